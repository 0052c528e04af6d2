"""Background jobs: bookings nobody checked in become no-shows after the grace period; reminders go
out the day before, once per booking however often the job runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from daftar.accounts.models import User
from daftar.appointments import tasks
from daftar.appointments.models import Booking, BookingStatus
from daftar.appointments.services import (
    booking_cancel,
    booking_reschedule,
    bookings_mark_no_shows,
    bookings_remind,
)
from daftar.catalog.models import ServiceType
from daftar.offices.models import Office
from daftar.outbox.models import OutboxMessage

from .conftest import at

pytestmark = pytest.mark.django_db


def test_bookings_not_checked_in_become_no_shows_once_the_grace_period_has_passed(
    make_booking: Callable[..., Booking],
    office: Office,
    service_type: ServiceType,
    citizen_user: User,
    other_citizen: User,
    other_service_type: ServiceType,
    saturday: date,
) -> None:
    late = make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=at(saturday, 9),
        created_by=citizen_user,
    )
    came = make_booking(
        office=office,
        service_type=other_service_type,
        person=citizen_user.person,
        starts_at=at(saturday, 9),
        status=BookingStatus.CHECKED_IN,
        created_by=citizen_user,
    )
    later = make_booking(
        office=office,
        service_type=service_type,
        person=other_citizen.person,
        starts_at=at(saturday, 10),
        created_by=other_citizen,
    )
    # 09:00–09:20 plus 15 minutes of grace: still not a no-show at 09:35, one at 09:36.
    assert bookings_mark_no_shows(now=at(saturday, 9, 35)) == 0
    assert bookings_mark_no_shows(now=at(saturday, 9, 36)) == 1
    assert [Booking.objects.get(pk=b.pk).status for b in (late, came, later)] == [
        BookingStatus.NO_SHOW,
        BookingStatus.CHECKED_IN,
        BookingStatus.BOOKED,
    ]
    assert bookings_mark_no_shows(now=at(saturday, 9, 40)) == 0


def test_the_no_show_task_runs_the_service(
    make_booking: Callable[..., Booking], office: Office, service_type: ServiceType, citizen_user: User
) -> None:
    past = make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=at(date(2026, 1, 3), 9),
        created_by=citizen_user,
    )
    assert tasks.mark_no_shows.delay().get() == 1
    past.refresh_from_db()
    assert past.status == BookingStatus.NO_SHOW


def test_reminders_go_once_per_booking_and_again_only_when_it_moves(
    make_booking: Callable[..., Booking],
    office: Office,
    service_type: ServiceType,
    citizen_user: User,
    other_citizen: User,
    saturday: date,
) -> None:
    first = make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=at(saturday, 9),
        created_by=citizen_user,
    )
    second = make_booking(
        office=office,
        service_type=service_type,
        person=other_citizen.person,
        starts_at=at(saturday, 10),
        created_by=other_citizen,
    )
    assert bookings_remind(day=saturday) == 2
    assert bookings_remind(day=saturday) == 0
    reminders = OutboxMessage.objects.filter(idempotency_key__contains="-remind-")
    assert reminders.count() == 2
    body = reminders.get(payload__to=citizen_user.person.mobile).payload["body"]
    assert first.code in body
    assert office.address in body
    booking_reschedule(booking=first, starts_at=at(saturday, 11), actor=citizen_user, now=at(saturday, 7))
    booking_cancel(booking=second, actor=other_citizen, now=at(saturday, 7))
    assert bookings_remind(day=saturday) == 1  # the moved one, at its new time; not the cancelled one
    assert bookings_remind(day=saturday + timedelta(days=1)) == 0


def test_the_reminder_task_reminds_tomorrows_bookings(
    make_booking: Callable[..., Booking], office: Office, service_type: ServiceType, citizen_user: User
) -> None:
    from daftar.core.jalali import local_today

    make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=at(local_today() + timedelta(days=1), 9),
        created_by=citizen_user,
    )
    assert tasks.remind.delay().get() == 1
    assert tasks.remind.delay().get() == 0
