"""Closing a day (a city closure, special hours that close it) or suspending an office cancels the
bookings it affects, and each person is told why by SMS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from daftar.accounts.models import User
from daftar.appointments.models import Booking, BookingStatus, SlotUsage
from daftar.appointments.services import booking_create, bookings_cancel_for_closure
from daftar.catalog.models import ServiceType
from daftar.offices.models import LicenceStatus, Office
from daftar.offices.services import closure_declare, hours_override_set, office_licence_status_set
from daftar.outbox.models import OutboxMessage

from .conftest import at, national_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_bookings(
    office: Office,
    other_office: Office,
    service_type: ServiceType,
    make_citizen: Callable[[str, str], User],
    saturday: date,
    before: datetime,
) -> list[Booking]:
    """Two bookings at the office and one at the other office, all on the Saturday."""
    made = []
    for n, (place, hour) in enumerate([(office, 9), (office, 10), (other_office, 9)]):
        user = make_citizen(national_code(700 + n), f"0912000000{n}")
        made.append(
            booking_create(
                office=place,
                service_type=service_type,
                person=user.person,
                starts_at=at(saturday, hour),
                actor=user,
                channel="online",
                now=before,
            )
        )
    return made


def statuses(bookings: list[Booking]) -> list[str]:
    return [Booking.objects.get(pk=b.pk).status for b in bookings]


def cancellation_sms(booking: Booking) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(idempotency_key=f"booking-{booking.code}-cancelled").first()


def test_a_city_closure_cancels_the_days_bookings_and_tells_each_citizen_why(
    three_bookings: list[Booking], office: Office, saturday: date, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        closure_declare(city=office.city, date=saturday, name="آلودگی شدید هوا")
    assert statuses(three_bookings) == [BookingStatus.CANCELLED] * 3
    for booking in three_bookings:
        message = cancellation_sms(booking)
        assert message is not None
        assert "آلودگی شدید هوا" in message.payload["body"]
        assert booking.code in message.payload["body"]
        assert message.payload["to"] == booking.person.mobile
    assert OutboxMessage.objects.filter(idempotency_key__endswith="-cancelled").count() == 3
    assert set(SlotUsage.objects.values_list("booked", flat=True)) == {0}
    assert Booking.objects.get(pk=three_bookings[0].pk).cancelled_reason == "آلودگی شدید هوا"


def test_an_office_closed_by_special_hours_loses_only_its_own_bookings(
    three_bookings: list[Booking], office: Office, saturday: date, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hours_override_set(city=office.city, office=office, date=saturday, closed=True, reason="تعمیرات")
    assert statuses(three_bookings) == [
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED,
        BookingStatus.BOOKED,
    ]
    assert cancellation_sms(three_bookings[2]) is None


def test_a_city_wide_closing_by_special_hours_spares_an_office_with_its_own_hours(
    three_bookings: list[Booking],
    office: Office,
    other_office: Office,
    saturday: date,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hours_override_set(city=office.city, office=other_office, date=saturday, spans=[(time(8), time(12))])
        hours_override_set(city=office.city, date=saturday, closed=True, reason="تعطیلی اضطراری")
    assert statuses(three_bookings) == [
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED,
        BookingStatus.BOOKED,
    ]


def test_special_hours_that_keep_the_day_open_cancel_nothing(
    three_bookings: list[Booking], office: Office, saturday: date, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hours_override_set(city=office.city, date=saturday, spans=[(time(8), time(18))])
    assert statuses(three_bookings) == [BookingStatus.BOOKED] * 3


def test_special_hours_that_shorten_the_day_cancel_only_the_bookings_that_no_longer_fit(
    three_bookings: list[Booking], office: Office, saturday: date, django_capture_on_commit_callbacks: Any
) -> None:
    # the 9:00 booking fits 8:00-9:50; the 10:00 one does not; the other office's is untouched
    with django_capture_on_commit_callbacks(execute=True):
        hours_override_set(
            city=office.city, office=office, date=saturday, spans=[(time(8), time(9, 50))], reason="جلسه"
        )
    assert statuses(three_bookings) == [BookingStatus.BOOKED, BookingStatus.CANCELLED, BookingStatus.BOOKED]
    sms = cancellation_sms(three_bookings[1])
    assert sms is not None
    assert "جلسه" in sms.payload["body"]
    assert cancellation_sms(three_bookings[0]) is None


def test_cancelling_for_a_closure_twice_cancels_and_messages_once(
    three_bookings: list[Booking], office: Office, saturday: date
) -> None:
    assert bookings_cancel_for_closure(office=None, city=office.city, day=saturday, reason="برف") == 3
    assert bookings_cancel_for_closure(office=None, city=office.city, day=saturday, reason="برف") == 0
    assert OutboxMessage.objects.filter(idempotency_key__endswith="-cancelled").count() == 3
    other_day = saturday + timedelta(days=1)
    assert bookings_cancel_for_closure(office=office, city=office.city, day=other_day, reason="برف") == 0


def test_a_suspended_office_loses_its_future_bookings_not_its_past_ones(
    three_bookings: list[Booking],
    office: Office,
    make_booking: Callable[..., Booking],
    service_type: ServiceType,
    citizen_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    past = make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=timezone.now() - timedelta(days=2),
        status=BookingStatus.SERVED,
        created_by=citizen_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        office_licence_status_set(office=office, status=LicenceStatus.SUSPENDED, reason="تخلف در تعرفه")
    assert statuses(three_bookings) == [
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED,
        BookingStatus.BOOKED,
    ]
    message = cancellation_sms(three_bookings[0])
    assert message is not None
    assert "تخلف در تعرفه" in message.payload["body"]
    past.refresh_from_db()
    assert past.status == BookingStatus.SERVED
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.SUSPENDED


def test_an_office_made_active_again_keeps_its_bookings(
    three_bookings: list[Booking], office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    office.licence_status = LicenceStatus.PENDING
    office.save()
    with django_capture_on_commit_callbacks(execute=True):
        office_licence_status_set(office=office, status=LicenceStatus.ACTIVE)
    assert statuses(three_bookings) == [BookingStatus.BOOKED] * 3


def test_a_day_closed_without_a_reason_still_says_the_office_is_closed(
    three_bookings: list[Booking], office: Office, saturday: date, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hours_override_set(city=office.city, office=office, date=saturday, closed=True)
    message = cancellation_sms(three_bookings[0])
    assert message is not None
    assert "تعطیلی دفتر" in message.payload["body"]


def test_suspending_an_office_or_closing_a_day_in_the_admin_cancels_bookings_too(
    three_bookings: list[Booking],
    office: Office,
    other_office: Office,
    saturday: date,
    rf: Any,
    admin_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.contrib import admin

    from daftar.offices.models import Holiday

    request = rf.post("/admin/")
    request.user = admin_user
    office_admin = admin.site._registry[Office]
    form_class = office_admin.get_form(request, office)
    data = {field: getattr(office, field) for field in form_class.base_fields if hasattr(office, field)}
    data.update(zone=office.zone_id, city=office.city_id, licence_status=LicenceStatus.SUSPENDED)
    form = form_class(data=data, instance=Office.objects.get(pk=office.pk))
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        office_admin.save_model(request, form.save(commit=False), form, change=True)
    assert statuses(three_bookings)[:2] == [BookingStatus.CANCELLED, BookingStatus.CANCELLED]
    # a closure typed into the holidays admin closes the other office's day as well
    holiday_admin = admin.site._registry[Holiday]
    closure = Holiday(city=office.city, date=saturday, name="تعطیلی اضطراری", kind="closure")
    with django_capture_on_commit_callbacks(execute=True):
        holiday_admin.save_model(request, closure, None, change=False)
    assert statuses(three_bookings)[2] == BookingStatus.CANCELLED
