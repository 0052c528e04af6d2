"""Slots come from the office's hours on the day, cut by the service's typical minutes, with as many
places as counters serve its category; closed days, past times and the lead time give none."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import override_settings

from daftar.appointments.models import OfficeServiceDesk, SlotUsage
from daftar.appointments.selectors import bookable_days, slots_for
from daftar.catalog.models import ServiceType
from daftar.core.jalali import TEHRAN
from daftar.offices.models import Holiday, LicenceStatus, Office, WeeklyHours
from daftar.offices.services import closure_declare, hours_override_set

from .conftest import FRIDAY, MINUTES, THURSDAY, at, upcoming

pytestmark = pytest.mark.django_db


def local_times(slots: list[Any]) -> list[str]:
    return [f"{slot.starts_at.astimezone(TEHRAN):%H:%M}" for slot in slots]


def test_slots_cover_the_morning_and_the_evening_shift_in_steps_of_the_group_minutes(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    WeeklyHours.objects.create(
        office=office, weekday=saturday.weekday(), shift="evening", opens=time(16), closes=time(19)
    )
    slots = slots_for(office=office, service_type=service_type, day=saturday, now=before)
    times = local_times(slots)
    assert len(slots) == 7 * 60 // MINUTES + 3 * 60 // MINUTES  # 21 in the morning, 9 in the evening
    assert times[:3] == ["08:00", "08:20", "08:40"]
    assert times[20:22] == ["14:40", "16:00"]
    assert times[-1] == "18:40"
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=MINUTES) for slot in slots)
    assert slots[0].starts_at == at(saturday, 8)


def test_a_slot_must_end_by_the_close_of_its_span(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    hours_override_set(city=office.city, office=office, date=saturday, spans=[(time(8), time(8, 50))])
    slots = slots_for(office=office, service_type=service_type, day=saturday, now=before)
    assert local_times(slots) == ["08:00", "08:20"]  # 08:40 would end at 09:00, after closing


def test_an_override_with_longer_hours_gives_the_longer_day(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    hours_override_set(city=office.city, date=saturday, spans=[(time(8), time(18))], reason="ساعات پایان سال")
    slots = slots_for(office=office, service_type=service_type, day=saturday, now=before)
    assert len(slots) == 10 * 60 // MINUTES
    assert local_times(slots)[-1] == "17:40"


def test_the_thursday_half_day_and_the_friday_weekend(office: Office, service_type: ServiceType) -> None:
    thursday, friday = upcoming(THURSDAY), upcoming(FRIDAY)
    now = at(thursday - timedelta(days=1), 10)
    assert (
        local_times(slots_for(office=office, service_type=service_type, day=thursday, now=now))[-1] == "12:40"
    )
    assert slots_for(office=office, service_type=service_type, day=friday, now=now) == []


def test_a_national_holiday_gives_no_slots(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    Holiday.objects.create(city=None, date=saturday, name="تعطیل رسمی")
    assert slots_for(office=office, service_type=service_type, day=saturday, now=before) == []


def test_a_city_closure_gives_no_slots(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    closure_declare(city=office.city, date=saturday, name="آلودگی هوا")
    assert slots_for(office=office, service_type=service_type, day=saturday, now=before) == []


def test_an_office_closure_override_gives_no_slots_there_only(
    office: Office, other_office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    hours_override_set(city=office.city, office=office, date=saturday, closed=True, reason="تعمیرات")
    assert slots_for(office=office, service_type=service_type, day=saturday, now=before) == []
    assert slots_for(office=other_office, service_type=service_type, day=saturday, now=before)


def test_slots_starting_within_the_lead_time_or_already_begun_are_not_offered(
    office: Office, service_type: ServiceType, saturday: date
) -> None:
    slots = slots_for(office=office, service_type=service_type, day=saturday, now=at(saturday, 9, 5))
    assert local_times(slots)[0] == "09:40"  # 09:20 starts within 30 minutes of 09:05
    with override_settings(APPOINTMENT_MIN_LEAD_MINUTES=0):
        slots = slots_for(office=office, service_type=service_type, day=saturday, now=at(saturday, 9, 5))
    assert local_times(slots)[0] == "09:20"


def test_past_days_and_days_beyond_the_horizon_have_no_slots(
    office: Office, service_type: ServiceType, saturday: date
) -> None:
    now = at(saturday, 10)
    assert (
        slots_for(office=office, service_type=service_type, day=saturday - timedelta(days=7), now=now) == []
    )
    with override_settings(APPOINTMENT_HORIZON_DAYS=5):  # today counts: Saturday to Wednesday
        assert slots_for(office=office, service_type=service_type, day=saturday + timedelta(days=4), now=now)
        assert (
            slots_for(office=office, service_type=service_type, day=saturday + timedelta(days=5), now=now)
            == []
        )


def test_capacity_is_the_office_counters_unless_a_service_desk_says_otherwise(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    assert {
        s.capacity for s in slots_for(office=office, service_type=service_type, day=saturday, now=before)
    } == {3}
    desk = OfficeServiceDesk.objects.create(office=office, category=service_type.category, counters=1)
    assert {
        s.capacity for s in slots_for(office=office, service_type=service_type, day=saturday, now=before)
    } == {1}
    desk.counters = 0
    desk.save()
    assert slots_for(office=office, service_type=service_type, day=saturday, now=before) == []


def test_taken_places_reduce_what_is_free(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    SlotUsage.objects.create(
        office=office, category=service_type.category, starts_at=at(saturday, 8, 20), booked=2, capacity=3
    )
    slots = slots_for(office=office, service_type=service_type, day=saturday, now=before)
    assert (slots[1].booked, slots[1].free) == (2, 1)
    assert (slots[0].booked, slots[0].free) == (0, 3)


def test_an_office_that_cannot_serve_offers_no_slots(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    office.licence_status = LicenceStatus.SUSPENDED
    assert slots_for(office=office, service_type=service_type, day=saturday, now=before) == []
    assert bookable_days(office=office, service_type=service_type, start=saturday, days=7, now=before) == []


def test_bookable_days_leave_out_weekends_holidays_closures_and_full_days(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    sunday, monday, tuesday = (saturday + timedelta(days=n) for n in (1, 2, 3))
    Holiday.objects.create(city=None, date=sunday, name="تعطیل رسمی")
    closure_declare(city=office.city, date=monday, name="آلودگی هوا")
    OfficeServiceDesk.objects.create(office=office, category=service_type.category, counters=1)
    for slot in slots_for(office=office, service_type=service_type, day=tuesday, now=before):
        SlotUsage.objects.create(
            office=office, category=service_type.category, starts_at=slot.starts_at, booked=1, capacity=1
        )
    days = bookable_days(office=office, service_type=service_type, start=saturday, days=7, now=before)
    # Saturday, Wednesday and Thursday are left; Friday is the weekend.
    assert days == [saturday, saturday + timedelta(days=4), saturday + timedelta(days=5)]


def test_bookable_days_start_today_at_the_earliest_and_stop_at_the_horizon(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    with override_settings(APPOINTMENT_HORIZON_DAYS=3):
        days = bookable_days(
            office=office, service_type=service_type, start=saturday - timedelta(days=10), days=30, now=before
        )
    # Horizon 3 from Friday: Friday (closed), Saturday, Sunday.
    assert days == [saturday, saturday + timedelta(days=1)]


def test_a_service_not_filed_at_offices_has_no_slots(
    office: Office, service_type: ServiceType, saturday: date, before: datetime
) -> None:
    version = service_type.versions.get()
    version.channels = ["online"]
    version.save()
    assert slots_for(office=office, service_type=service_type, day=saturday, now=before) == []
    assert bookable_days(office=office, service_type=service_type, start=saturday, days=7, now=before) == []


def test_the_bookable_days_of_a_month_take_a_fixed_number_of_queries(
    office: Any, service_type: Any, django_assert_max_num_queries: Any
) -> None:
    from daftar.core.jalali import local_today

    with django_assert_max_num_queries(8):
        bookable_days(office=office, service_type=service_type, start=local_today(), days=30)
