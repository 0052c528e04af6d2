"""Booking rules: who may book for whom, one booking per person and service a day, no place beyond
capacity, the no-show block, and the window for cancelling and moving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings

from daftar.accounts.models import User
from daftar.appointments.models import Booking, BookingStatus, OfficeServiceDesk, SlotUsage
from daftar.appointments.selectors import person_booking_blocked_until, slots_for
from daftar.appointments.services import booking_cancel, booking_create, booking_reschedule
from daftar.catalog.models import ServiceType
from daftar.core.errors import Conflict, Forbidden
from daftar.core.jalali import format_jalali_date
from daftar.core.text import to_persian_digits
from daftar.offices.models import LicenceStatus, Office
from daftar.outbox.models import OutboxMessage

from .conftest import at

pytestmark = pytest.mark.django_db


def booked(slot_start: datetime, office: Office, service_type: ServiceType) -> int:
    usage = SlotUsage.objects.filter(
        office=office, category=service_type.category, starts_at=slot_start
    ).first()
    return usage.booked if usage else 0


@pytest.fixture
def book(office: Office, service_type: ServiceType, before: datetime) -> Callable[..., Booking]:
    def make(user: User, starts_at: datetime, **extra: Any) -> Booking:
        options: dict[str, Any] = {
            "office": office,
            "service_type": service_type,
            "person": user.person,
            "starts_at": starts_at,
            "actor": user,
            "channel": "online",
            "now": before,
        }
        options.update(extra)
        return booking_create(**options)

    return make


def test_a_citizen_books_a_free_slot_and_gets_an_sms_with_the_code_date_and_time(
    book: Callable[..., Booking],
    citizen_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    booking = book(citizen_user, at(saturday, 9, 20))
    assert booking.status == BookingStatus.BOOKED
    assert booking.day == saturday
    assert booking.ends_at == at(saturday, 9, 40)
    assert len(booking.code) == 8
    assert booked(at(saturday, 9, 20), office, service_type) == 1
    message = OutboxMessage.objects.get(idempotency_key=f"booking-{booking.code}-booked")
    assert message.payload["to"] == "09121234567"
    body = message.payload["body"]
    assert booking.code in body
    assert format_jalali_date(saturday, style="long") in body
    assert to_persian_digits("09:20") in body
    assert office.name in body


def test_online_a_citizen_cannot_book_for_someone_else(
    book: Callable[..., Booking], citizen_user: User, other_citizen: User, saturday: date
) -> None:
    with pytest.raises(Forbidden) as caught:
        book(citizen_user, at(saturday, 9), person=other_citizen.person)
    assert caught.value.code == "booking.not_yours"
    assert not Booking.objects.exists()


def test_office_staff_book_for_a_citizen_at_their_own_office_only(
    book: Callable[..., Booking],
    operator_user: User,
    other_operator: User,
    citizen_user: User,
    saturday: date,
) -> None:
    booking = book(operator_user, at(saturday, 9), person=citizen_user.person, channel="office")
    assert (booking.channel, booking.created_by, booking.person) == (
        "office",
        operator_user,
        citizen_user.person,
    )
    with pytest.raises(Forbidden):
        book(other_operator, at(saturday, 10), person=citizen_user.person, channel="office")
    with pytest.raises(Forbidden):
        book(citizen_user, at(saturday, 10), person=citizen_user.person, channel="office")


def test_one_active_booking_per_person_per_service_per_day(
    book: Callable[..., Booking],
    citizen_user: User,
    other_service_type: ServiceType,
    saturday: date,
) -> None:
    first = book(citizen_user, at(saturday, 9))
    with pytest.raises(Conflict) as caught:
        book(citizen_user, at(saturday, 11))
    assert caught.value.code == "booking.one_per_day"
    # Another service the same day, or the same service the next day, is fine.
    book(citizen_user, at(saturday, 11), service_type=other_service_type)
    book(citizen_user, at(saturday + timedelta(days=1), 9))
    # Once cancelled, the day is free again.
    booking_cancel(booking=first, actor=citizen_user, now=at(saturday - timedelta(days=1), 10))
    book(citizen_user, at(saturday, 12))


def test_the_database_refuses_a_second_active_booking_even_past_the_service_checks(
    make_booking: Callable[..., Booking],
    citizen_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    from django.db import IntegrityError, transaction

    make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=at(saturday, 9),
        created_by=citizen_user,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        make_booking(
            office=office,
            service_type=service_type,
            person=citizen_user.person,
            starts_at=at(saturday, 10),
            created_by=citizen_user,
        )


def test_a_full_slot_is_refused_with_slot_full_and_nothing_is_written(
    book: Callable[..., Booking],
    citizen_user: User,
    other_citizen: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    OfficeServiceDesk.objects.create(office=office, category=service_type.category, counters=1)
    book(citizen_user, at(saturday, 9))
    with pytest.raises(Conflict) as caught:
        book(other_citizen, at(saturday, 9))
    assert caught.value.code == "booking.slot_full"
    assert "پر شده" in str(caught.value)
    assert Booking.objects.count() == 1
    assert booked(at(saturday, 9), office, service_type) == 1
    assert OutboxMessage.objects.count() == 1


def test_a_time_that_is_not_a_slot_start_or_is_too_soon_cannot_be_booked(
    book: Callable[..., Booking], citizen_user: User, saturday: date
) -> None:
    for wrong in (at(saturday, 9, 10), at(saturday, 15), at(saturday, 7, 40)):
        with pytest.raises(Conflict) as caught:
            book(citizen_user, wrong)
        assert caught.value.code == "booking.slot_unavailable"
    with pytest.raises(Conflict):
        book(citizen_user, at(saturday, 9), now=at(saturday, 8, 45))


def test_an_office_that_cannot_serve_takes_no_bookings(
    book: Callable[..., Booking], citizen_user: User, office: Office, saturday: date
) -> None:
    office.licence_status = LicenceStatus.SUSPENDED
    office.save()
    with pytest.raises(Conflict) as caught:
        book(citizen_user, at(saturday, 9))
    assert caught.value.code == "booking.office_inactive"


# --- no-shows ---------------------------------------------------------------------------------------


def _no_shows(
    make_booking: Callable[..., Booking],
    user: User,
    office: Office,
    service_type: ServiceType,
    days: list[date],
) -> None:
    for day in days:
        make_booking(
            office=office,
            service_type=service_type,
            person=user.person,
            starts_at=at(day, 9),
            status=BookingStatus.NO_SHOW,
            created_by=user,
        )


def test_three_no_shows_in_ninety_days_block_online_booking_for_thirty_days_after_the_last(
    book: Callable[..., Booking],
    make_booking: Callable[..., Booking],
    citizen_user: User,
    operator_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    today = saturday - timedelta(days=1)
    last = today - timedelta(days=5)
    _no_shows(
        make_booking,
        citizen_user,
        office,
        service_type,
        [today - timedelta(days=60), today - timedelta(days=20), last],
    )
    assert person_booking_blocked_until(person=citizen_user.person, today=today) == last + timedelta(days=30)
    with pytest.raises(Conflict) as caught:
        book(citizen_user, at(saturday, 9))
    assert caught.value.code == "booking.blocked"
    # At the counter, the office's staff may still book for them.
    assert book(
        citizen_user, at(saturday, 9), person=citizen_user.person, actor=operator_user, channel="office"
    )


def test_no_shows_older_than_the_window_or_too_few_do_not_block(
    make_booking: Callable[..., Booking],
    citizen_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    today = saturday - timedelta(days=1)
    _no_shows(
        make_booking,
        citizen_user,
        office,
        service_type,
        [today - timedelta(days=100), today - timedelta(days=20), today - timedelta(days=5)],
    )
    assert person_booking_blocked_until(person=citizen_user.person, today=today) is None
    # The block ends 30 days after the last no-show.
    _no_shows(make_booking, citizen_user, office, service_type, [today - timedelta(days=10)])
    assert person_booking_blocked_until(person=citizen_user.person, today=today) == today + timedelta(days=25)
    assert person_booking_blocked_until(person=citizen_user.person, today=today + timedelta(days=25)) is None
    with override_settings(APPOINTMENT_NO_SHOW_LIMIT=4):
        assert person_booking_blocked_until(person=citizen_user.person, today=today) is None


# --- cancelling and moving ---------------------------------------------------------------------------


def test_the_citizen_cancels_until_two_hours_before_and_the_place_is_freed(
    book: Callable[..., Booking],
    citizen_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    booking = book(citizen_user, at(saturday, 10))
    with pytest.raises(Conflict) as caught:
        booking_cancel(booking=booking, actor=citizen_user, now=at(saturday, 8, 1))
    assert caught.value.code == "booking.change_too_late"
    cancelled = booking_cancel(booking=booking, actor=citizen_user, reason="سفر", now=at(saturday, 8))
    assert (cancelled.status, cancelled.cancelled_reason) == (BookingStatus.CANCELLED, "سفر")
    assert booked(at(saturday, 10), office, service_type) == 0
    assert OutboxMessage.objects.filter(idempotency_key=f"booking-{booking.code}-cancelled").exists()
    with pytest.raises(Conflict) as caught:
        booking_cancel(booking=booking, actor=citizen_user, now=at(saturday, 7))
    assert caught.value.code == "booking.not_active"


def test_another_citizen_cannot_cancel_but_the_office_staff_can(
    book: Callable[..., Booking],
    citizen_user: User,
    other_citizen: User,
    operator_user: User,
    other_operator: User,
    saturday: date,
) -> None:
    booking = book(citizen_user, at(saturday, 10))
    now = at(saturday, 7)
    for stranger in (other_citizen, other_operator):
        with pytest.raises(Forbidden):
            booking_cancel(booking=booking, actor=stranger, now=now)
    assert booking_cancel(booking=booking, actor=operator_user, now=now).status == BookingStatus.CANCELLED


def test_moving_takes_the_new_place_and_frees_the_old_one(
    book: Callable[..., Booking],
    citizen_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    booking = book(citizen_user, at(saturday, 10))
    sunday = saturday + timedelta(days=1)
    moved = booking_reschedule(
        booking=booking, starts_at=at(sunday, 11, 20), actor=citizen_user, now=at(saturday, 7)
    )
    assert (moved.code, moved.day, moved.starts_at, moved.ends_at) == (
        booking.code,
        sunday,
        at(sunday, 11, 20),
        at(sunday, 11, 40),
    )
    assert booked(at(saturday, 10), office, service_type) == 0
    assert booked(at(sunday, 11, 20), office, service_type) == 1
    assert (
        OutboxMessage.objects.filter(idempotency_key__startswith=f"booking-{booking.code}-moved-").count()
        == 1
    )


def test_moving_to_a_full_slot_keeps_the_old_place(
    book: Callable[..., Booking],
    citizen_user: User,
    other_citizen: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
) -> None:
    OfficeServiceDesk.objects.create(office=office, category=service_type.category, counters=1)
    booking = book(citizen_user, at(saturday, 10))
    book(other_citizen, at(saturday, 11))
    with pytest.raises(Conflict) as caught:
        booking_reschedule(
            booking=booking, starts_at=at(saturday, 11), actor=citizen_user, now=at(saturday, 7)
        )
    assert caught.value.code == "booking.slot_full"
    booking.refresh_from_db()
    assert booking.starts_at == at(saturday, 10)
    assert booked(at(saturday, 10), office, service_type) == 1
    assert booked(at(saturday, 11), office, service_type) == 1


def test_moving_is_refused_too_close_to_the_time_and_onto_a_day_already_booked(
    book: Callable[..., Booking], citizen_user: User, saturday: date
) -> None:
    booking = book(citizen_user, at(saturday, 10))
    sunday = saturday + timedelta(days=1)
    book(citizen_user, at(sunday, 9))
    with pytest.raises(Conflict) as caught:
        booking_reschedule(
            booking=booking, starts_at=at(saturday, 12), actor=citizen_user, now=at(saturday, 8, 30)
        )
    assert caught.value.code == "booking.change_too_late"
    with pytest.raises(Conflict) as caught:
        booking_reschedule(booking=booking, starts_at=at(sunday, 10), actor=citizen_user, now=at(saturday, 7))
    assert caught.value.code == "booking.one_per_day"


def test_slots_show_the_booked_places(
    book: Callable[..., Booking],
    citizen_user: User,
    office: Office,
    service_type: ServiceType,
    saturday: date,
    before: datetime,
) -> None:
    book(citizen_user, at(saturday, 8))
    first = slots_for(office=office, service_type=service_type, day=saturday, now=before)[0]
    assert (first.booked, first.free) == (1, 2)
