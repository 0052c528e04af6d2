"""Fixtures for appointment tests: a service to book, days on the office's weekly schedule, people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from daftar.accounts.models import Person, User
from daftar.appointments.models import Booking, BookingStatus
from daftar.catalog.models import ServiceType
from daftar.core.jalali import TEHRAN, local_today
from daftar.offices.models import LicenceStatus, Office, WeeklyHours
from daftar.offices.services import staff_assign

SATURDAY, THURSDAY, FRIDAY = 5, 3, 4
MINUTES = 20  # the "building" queue group's typical minutes (catalog/queue_groups.yaml)


def upcoming(weekday: int, *, after_days: int = 3) -> date:
    """The first date with this weekday at least ``after_days`` from today (inside the horizon)."""
    day = local_today() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware moment in Tehran."""
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN)


@pytest.fixture
def service_type(service_version: Any) -> ServiceType:
    """building.no_violation_certificate (category building_technical → queue group "building")."""
    return service_version.service_type


@pytest.fixture
def other_service_type(service_type: ServiceType) -> ServiceType:
    """A second service of the same category, also filed at offices."""
    from daftar.catalog.models import ServiceCategory
    from daftar.catalog.services import service_entry_compile, service_version_load
    from daftar.conftest import TEST_SERVICE

    entry = {
        **TEST_SERVICE,
        "code": "building.permit_extension",
        "name": {"fa": "تمدید پروانه", "en": "Extension"},
    }
    compiled = service_entry_compile(
        entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
    )
    version, _changed = service_version_load(compiled=compiled)
    return version.service_type


@pytest.fixture
def saturday() -> date:
    return upcoming(SATURDAY)


@pytest.fixture
def before(saturday: date) -> datetime:
    """A moment the day before the Saturday: every slot of the Saturday is bookable then."""
    return at(saturday - timedelta(days=1), 10)


def _person(national_code: str, mobile: str, first_name: str) -> Person:
    return Person.objects.create(
        national_code=national_code, first_name=first_name, last_name="تست", mobile=mobile
    )


def _citizen(person: Person) -> User:
    return User.objects.create_user(username=person.mobile, mobile=person.mobile, person=person)


@pytest.fixture
def make_citizen(db: None) -> Callable[[str, str], User]:
    def make(national_code: str, mobile: str) -> User:
        return _citizen(_person(national_code, mobile, "شهروند"))

    return make


@pytest.fixture
def other_citizen(make_citizen: Callable[[str, str], User]) -> User:
    return make_citizen("0013542419", "09129876543")


@pytest.fixture
def other_office(office: Office) -> Office:
    other = Office.objects.create(
        city=office.city,
        zone=office.zone,
        code="2207",
        name="دفتر خدمات الکترونیک شهر کد ۲۲۰۷",
        licence_status=LicenceStatus.ACTIVE,
        address="تهران، خیابان شریعتی",
        counters=2,
    )
    for weekday in (5, 6, 0, 1, 2):
        WeeklyHours.objects.create(office=other, weekday=weekday, opens=time(8), closes=time(15))
    return other


@pytest.fixture
def other_operator(other_office: Office) -> User:
    user = User.objects.create_user(username="operator2", password="x-test-password-1405")
    staff_assign(user=user, role="office_operator", city=other_office.city, office=other_office)
    return user


@pytest.fixture
def make_booking(db: None) -> Callable[..., Booking]:
    """A booking row written directly (for states a test needs without going through the slots)."""
    counter = iter(range(10_000))

    def make(
        *,
        office: Office,
        service_type: ServiceType,
        person: Person,
        starts_at: datetime,
        minutes: int = MINUTES,
        status: str = BookingStatus.BOOKED,
        created_by: User,
    ) -> Booking:
        return Booking.objects.create(
            code=f"TST{next(counter):05d}",
            office=office,
            service_type=service_type,
            category=service_type.category,
            person=person,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            day=starts_at.astimezone(TEHRAN).date(),
            status=status,
            channel="online",
            created_by=created_by,
        )

    return make


def national_code(serial: int) -> str:
    """A valid 10-digit national code built from a serial number (check digit computed)."""
    body = f"{serial:09d}"
    remainder = sum(int(digit) * (10 - i) for i, digit in enumerate(body)) % 11
    return body + str(remainder if remainder < 2 else 11 - remainder)
