"""Builders for the lifecycle tests: a licence for the shared office, bookings, a case, a counter
payment and a queue ticket placed at a chosen local moment, staff with one role."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from django.conf import settings

from daftar.accounts.models import Person, User
from daftar.appointments.models import Booking, BookingStatus
from daftar.billing.models import Payment
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.tests.builders import bill_issue
from daftar.cases.models import Case
from daftar.cases.services import case_file
from daftar.certificates.models import Certificate
from daftar.core.jalali import TEHRAN, local_today
from daftar.offices.models import City, Office
from daftar.offices.services import staff_assign
from daftar.queueing.models import Ticket

from ..models import OfficeLicence
from ..violations import violation_types_load

_SERIAL = count(1)
CASE_DATA = {"renewal_code": "3-123-45-6", "deed_number": "12345", "floors": "4", "use": "residential"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware moment in Tehran."""
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN)


def past_weekday(weekday: int, *, weeks_back: int = 1) -> date:
    """A date with this (Python) weekday, at least a week before today."""
    day = local_today() - timedelta(days=7 * weeks_back)
    while day.weekday() != weekday:
        day -= timedelta(days=1)
    return day


def upcoming(weekday: int, *, after_days: int = 2) -> date:
    day = local_today() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def staff(
    username: str, role: str, city: City, office: Office | None = None, mobile: str | None = None
) -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405", mobile=mobile)
    staff_assign(user=user, role=role, city=city, office=office)
    return user


def holder(national_code: str = "0084575948", mobile: str = "09121112233") -> Person:
    return Person.objects.get_or_create(
        national_code=national_code, defaults={"first_name": "نادر", "last_name": "کاظمی", "mobile": mobile}
    )[0]


def licence_for(office: Office, *, application: Case, person: Person, valid_until: date) -> OfficeLicence:
    """A licence row for an existing office (the full journey is test_licence_journey's)."""
    serial = next(_SERIAL)
    certificate = Certificate.objects.create(
        case=application,
        number=f"LIC-TEST-{serial:04d}",
        kind="licence",
        title_fa="مجوز دفتر",
        payload="{}",
        signature="x",
        key_id="test",
        valid_until=valid_until,
    )
    licence = OfficeLicence.objects.create(
        number=f"TEH-1405-{serial:04d}",
        city=office.city,
        office=office,
        holder=person,
        zone=office.zone,
        application=application,
        certificate=certificate,
        valid_from=valid_until - timedelta(days=365 * 5),
        valid_until=valid_until,
    )
    Office.objects.filter(pk=office.pk).update(licence_valid_until=valid_until)
    office.licence_valid_until = valid_until
    return licence


def booking_at(office: Office, service_type: Any, person: Person, starts_at: datetime, by: User) -> Booking:
    return Booking.objects.create(
        code=f"LC{next(_SERIAL):06d}",
        office=office,
        service_type=service_type,
        category=service_type.category,
        person=person,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        day=starts_at.astimezone(TEHRAN).date(),
        status=BookingStatus.BOOKED,
        channel="online",
        created_by=by,
    )


def case_at(service_version: Any, office: Office, operator: User, person: Person, moment: datetime) -> Case:
    """A case filed at the office's counter, moved to ``moment``."""
    case = case_file(
        service=service_version,
        applicant=person,
        office=office,
        channel="office",
        data=CASE_DATA,
        actor=operator,
    )
    Case.objects.filter(pk=case.pk).update(created_at=moment)
    return case


def payment_at(office: Office, operator: User, moment: datetime) -> Payment:
    """A payment taken on the office's card terminal, moved to ``moment``."""
    bill = bill_issue(office.city, fee=1_000_000, office=office)
    payment = payment_collect_at_counter(
        bill=bill, office=office, actor=operator, terminal_reference=f"{next(_SERIAL):012d}"
    )
    Payment.objects.filter(pk=payment.pk).update(completed_at=moment)
    return payment


def ticket_at(office: Office, moment: datetime) -> Ticket:
    number = next(_SERIAL)
    return Ticket.objects.create(
        office=office,
        day=moment.astimezone(TEHRAN).date(),
        group="building",
        number=number,
        label=f"B-{number:03d}",
        kind="walk_in",
        issued_at=moment,
    )


def violation_types() -> None:
    violation_types_load(Path(settings.DAFTAR_CATALOG_DIR) / "violations.yaml")
