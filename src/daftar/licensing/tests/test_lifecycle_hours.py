"""An office's request to change its approved weekly hours: who may ask, what a valid week is, one
pending request at a time, and the municipality's decision (approval replaces the week and cancels
bookings that no longer fit; rejection needs a reason)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from daftar.accounts.roles import Role
from daftar.appointments.models import Booking, BookingStatus
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.licensing.lifecycle import hours_request_decide, hours_request_submit
from daftar.licensing.lifecycle_selectors import office_week
from daftar.licensing.models import HoursChangeRequest, HoursRequestStatus
from daftar.offices.models import City, Office, WeeklyHours
from daftar.offices.selectors import office_schedule_on
from daftar.outbox.models import OutboxMessage

from .lifecycle_builders import at, booking_at, holder, staff, upcoming

pytestmark = pytest.mark.django_db
SATURDAY, SUNDAY = 5, 6
MANAGER_MOBILE = "09125556677"


def week(
    *, saturday: tuple[str, str] = ("08:00", "14:00"), evening: tuple[str, str] | None = None
) -> list[dict]:
    """Saturday to Wednesday mornings (Saturday's as given), optionally a Sunday evening shift."""
    schedule = [
        {"weekday": d, "shift": "morning", "opens": "08:00", "closes": "15:00"} for d in (SUNDAY, 0, 1, 2)
    ]
    schedule.append({"weekday": SATURDAY, "shift": "morning", "opens": saturday[0], "closes": saturday[1]})
    if evening:
        schedule.append({"weekday": SUNDAY, "shift": "evening", "opens": evening[0], "closes": evening[1]})
    return schedule


@pytest.fixture
def manager(office: Office) -> Any:
    return staff("manager1", Role.OFFICE_MANAGER, office.city, office, mobile=MANAGER_MOBILE)


@pytest.fixture
def officer(city: City) -> Any:
    return staff("licensing1", Role.LICENSING_OFFICER, city)


def submit(
    office: Office, manager: Any, schedule: list[dict] | None = None, reason: str = "کاهش مراجعه"
) -> Any:
    return hours_request_submit(office=office, actor=manager, schedule=schedule or week(), reason=reason)


# --- asking ---------------------------------------------------------------------------------------


def test_the_manager_asks_for_a_new_week_which_is_stored_in_order_and_awaits_approval(
    office: Office, manager: Any
) -> None:
    request = submit(office, manager, week(saturday=("۰۸:۰۰", "۱۴:۰۰"), evening=("16:00", "19:30")))
    assert request.status == HoursRequestStatus.PENDING
    assert request.schedule[0] == {"weekday": 0, "shift": "morning", "opens": "08:00", "closes": "15:00"}
    assert {"weekday": SATURDAY, "shift": "morning", "opens": "08:00", "closes": "14:00"} in request.schedule
    assert {"weekday": SUNDAY, "shift": "evening", "opens": "16:00", "closes": "19:30"} in request.schedule
    # nothing changes before approval
    assert WeeklyHours.objects.get(office=office, weekday=SATURDAY).closes == time(15)


def test_only_the_manager_of_that_office_may_ask(
    office: Office, operator_user: Any, officer: Any, city: City, zone: Any
) -> None:
    from daftar.billing.tests.builders import office_open

    other = office_open(city, zone, code="2205", name="دفتر دیگر")
    other_manager = staff("manager2", Role.OFFICE_MANAGER, city, other)
    for actor in (operator_user, officer, other_manager):
        with pytest.raises(Forbidden):
            submit(office, actor)
    assert not HoursChangeRequest.objects.exists()


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"weekday": 7, "shift": "morning", "opens": "08:00", "closes": "12:00"}, "schedule"),
        ({"weekday": "1", "shift": "morning", "opens": "08:00", "closes": "12:00"}, "schedule"),
        ({"weekday": 3, "shift": "night", "opens": "20:00", "closes": "23:00"}, "schedule"),
        ({"weekday": 3, "shift": "morning", "opens": "12:00", "closes": "08:00"}, "3.morning"),
        ({"weekday": 3, "shift": "morning", "opens": "10:00", "closes": "10:00"}, "3.morning"),
        ({"weekday": 3, "shift": "morning", "opens": "8", "closes": "12:00"}, "3.morning"),
        ({"weekday": 3, "shift": "morning", "opens": "25:00", "closes": "26:00"}, "3.morning"),
        ({"weekday": 0, "shift": "morning", "opens": "09:00", "closes": "12:00"}, "0.morning"),  # twice
        ({"weekday": SUNDAY, "shift": "evening", "opens": "14:00", "closes": "18:00"}, f"{SUNDAY}.evening"),
    ],
)
def test_a_week_with_a_bad_shift_is_refused_on_that_shift(
    office: Office, manager: Any, item: dict, field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        submit(office, manager, [*week(), item])
    assert field in caught.value.fields
    assert not HoursChangeRequest.objects.exists()


def test_a_week_without_any_shift_or_without_a_reason_is_refused(office: Office, manager: Any) -> None:
    with pytest.raises(InvalidValue):
        hours_request_submit(office=office, actor=manager, schedule=[], reason="x")
    with pytest.raises(InvalidValue):
        hours_request_submit(office=office, actor=manager, schedule=["08:00-14:00"], reason="x")  # type: ignore[list-item]
    with pytest.raises(InvalidValue) as caught:
        submit(office, manager, reason=" ")
    assert "reason" in caught.value.fields


def test_an_office_has_at_most_one_pending_request_and_may_ask_again_once_it_is_decided(
    office: Office, manager: Any, officer: Any
) -> None:
    first = submit(office, manager)
    with pytest.raises(Conflict) as caught:
        submit(office, manager, week(saturday=("08:00", "13:00")))
    assert caught.value.code == "hours_request.pending"
    hours_request_decide(request=first, actor=officer, approve=False, reason="نیاز منطقه")
    assert submit(office, manager, week(saturday=("08:00", "13:00"))).status == HoursRequestStatus.PENDING


def test_asking_for_the_hours_already_approved_is_refused(office: Office, manager: Any) -> None:
    current = [
        {
            "weekday": row.weekday,
            "shift": row.shift,
            "opens": f"{row.opens:%H:%M}",
            "closes": f"{row.closes:%H:%M}",
        }
        for row in WeeklyHours.objects.filter(office=office)
    ]
    with pytest.raises(Conflict) as caught:
        submit(office, manager, current)
    assert caught.value.code == "hours_request.unchanged"


# --- deciding -------------------------------------------------------------------------------------


def test_approval_replaces_the_week_and_cancels_only_bookings_that_no_longer_fit(
    office: Office,
    manager: Any,
    officer: Any,
    service_version: Any,
    citizen_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    saturday = upcoming(SATURDAY)
    thursday = upcoming(3)
    other = holder()
    kind = service_version.service_type
    kept = booking_at(office, kind, citizen_user.person, at(saturday, 9), citizen_user)
    late = booking_at(office, kind, other, at(saturday, 14, 20), citizen_user)
    closed = booking_at(office, kind, citizen_user.person, at(thursday, 9), citizen_user)
    request = submit(office, manager, week(evening=("16:00", "20:00")))

    with django_capture_on_commit_callbacks(execute=True):
        decided = hours_request_decide(request=request, actor=officer, approve=True, reason="")
    assert decided.status == HoursRequestStatus.APPROVED
    assert decided.decided_by == officer
    assert office_schedule_on(office=office, day=saturday).spans == ((time(8), time(14)),)
    assert not WeeklyHours.objects.filter(office=office, weekday=3).exists()  # Thursday dropped
    assert WeeklyHours.objects.get(office=office, weekday=SUNDAY, shift="evening").closes == time(20)
    statuses = {b.pk: b.status for b in Booking.objects.all()}
    assert statuses == {
        kept.pk: BookingStatus.BOOKED,
        late.pk: BookingStatus.CANCELLED,
        closed.pk: BookingStatus.CANCELLED,
    }
    [sms] = [m for m in OutboxMessage.objects.all() if m.payload.get("purpose") == "hours_request_decided"]
    assert sms.payload["to"] == MANAGER_MOBILE
    assert "تأیید" in sms.payload["body"]


def test_rejection_needs_a_reason_keeps_the_week_and_tells_the_manager_why(
    office: Office, manager: Any, officer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = submit(office, manager)
    with pytest.raises(InvalidValue) as caught:
        hours_request_decide(request=request, actor=officer, approve=False, reason="  ")
    assert "reason" in caught.value.fields
    before = [(r.weekday, r.shift, r.opens, r.closes) for r in WeeklyHours.objects.filter(office=office)]
    with django_capture_on_commit_callbacks(execute=True):
        decided = hours_request_decide(
            request=request, actor=officer, approve=False, reason="نیاز منطقه به شیفت کامل"
        )
    assert decided.status == HoursRequestStatus.REJECTED
    assert decided.decision_reason == "نیاز منطقه به شیفت کامل"
    assert [
        (r.weekday, r.shift, r.opens, r.closes) for r in WeeklyHours.objects.filter(office=office)
    ] == before
    [sms] = [m for m in OutboxMessage.objects.all() if m.payload.get("purpose") == "hours_request_decided"]
    assert "نیاز منطقه به شیفت کامل" in sms.payload["body"]


def test_only_a_licensing_officer_or_city_administrator_of_the_city_decides_and_only_once(
    office: Office, manager: Any, officer: Any, operator_user: Any, city: City
) -> None:
    request = submit(office, manager)
    other_city = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    refused = [
        manager,
        operator_user,
        staff("inspector1", Role.TECHNICAL_INSPECTOR, city),
        staff("auditor1", Role.AUDITOR, city),
        staff("licensing2", Role.LICENSING_OFFICER, other_city),
    ]
    for actor in refused:
        with pytest.raises(Forbidden):
            hours_request_decide(request=request, actor=actor, approve=True, reason="")
    admin = staff("admin1", Role.CITY_ADMINISTRATOR, city)
    hours_request_decide(request=request, actor=admin, approve=True, reason="")
    with pytest.raises(Conflict):
        hours_request_decide(request=request, actor=officer, approve=False, reason="دیر")
    assert [row.morning for row in office_week(office=office) if row.weekday == SATURDAY] == [
        (time(8), time(14))
    ]
