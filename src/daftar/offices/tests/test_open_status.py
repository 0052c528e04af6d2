"""Is office X open at time T: instants in Tehran local time, and UTC input converted correctly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import translation

from daftar.core.errors import InvalidValue
from daftar.core.jalali import TEHRAN
from daftar.offices import selectors, services
from daftar.offices.calendar import ScheduleSource, Span
from daftar.offices.models import City, Holiday, Office

pytestmark = pytest.mark.django_db

SATURDAY = date(2025, 5, 10)  # 1404/02/20, no holiday that week
THURSDAY = date(2025, 5, 15)
FRIDAY = date(2025, 5, 16)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN)


def test_open_in_the_morning_shift_with_its_closing_time(vanak: Office) -> None:
    status = selectors.office_open_status(office=vanak, at=at(SATURDAY, 10))
    assert status.is_open
    assert status.closes_at == at(SATURDAY, 15)
    assert status.next_opening is None


def test_closed_between_shifts_and_opens_again_for_the_evening(vanak: Office) -> None:
    status = selectors.office_open_status(office=vanak, at=at(SATURDAY, 15, 30))
    assert not status.is_open
    assert status.next_opening == at(SATURDAY, 16)
    with translation.override("en"):
        assert str(status.reason) == "Outside working hours"


def test_evening_shift_is_open_until_seven(vanak: Office) -> None:
    assert selectors.office_open_status(office=vanak, at=at(SATURDAY, 18, 59)).is_open
    assert not selectors.office_open_status(office=vanak, at=at(SATURDAY, 19)).is_open


def test_office_without_evening_shift_is_closed_in_the_evening(bazaar: Office) -> None:
    assert not selectors.office_open_status(office=bazaar, at=at(SATURDAY, 17)).is_open


def test_thursday_is_a_short_day(bazaar: Office) -> None:
    assert selectors.office_open_status(office=bazaar, at=at(THURSDAY, 12, 30)).is_open
    status = selectors.office_open_status(office=bazaar, at=at(THURSDAY, 13, 30))
    assert not status.is_open
    # Friday is closed, so the next opening is Saturday morning.
    assert status.next_opening == at(FRIDAY + timedelta(days=1), 8)


def test_friday_is_closed_as_the_weekend(bazaar: Office) -> None:
    status = selectors.office_open_status(office=bazaar, at=at(FRIDAY, 10))
    assert not status.is_open
    with translation.override("en"):
        assert str(status.reason) == "Weekend"


def test_national_holiday_closes_the_office_with_its_name(vanak: Office) -> None:
    services.holidays_sync(jalali_years=[1404])
    ashura = date(2025, 7, 6)  # a Sunday
    status = selectors.office_open_status(office=vanak, at=at(ashura, 10))
    assert not status.is_open
    assert "عاشورا" in str(status.reason)
    assert status.schedule.source == ScheduleSource.HOLIDAY
    assert status.next_opening == at(ashura + timedelta(days=1), 8)


def test_city_closure_closes_every_office_of_that_city_only(vanak: Office, tehran: City) -> None:
    services.closure_declare(city=tehran, date=SATURDAY, name="آلودگی هوا")
    status = selectors.office_open_status(office=vanak, at=at(SATURDAY, 10))
    assert not status.is_open
    assert status.reason == "آلودگی هوا"
    assert status.schedule.source == ScheduleSource.CLOSURE

    isfahan = services.city_create(code="isfahan", name_fa="اصفهان", name_en="Isfahan")
    Holiday.objects.create(
        city=isfahan, date=SATURDAY + timedelta(days=1), name="تعطیلی اصفهان", kind="closure"
    )
    assert selectors.office_open_status(office=vanak, at=at(SATURDAY + timedelta(days=1), 10)).is_open


def test_office_override_beats_the_city_override(vanak: Office, bazaar: Office, tehran: City) -> None:
    services.hours_override_set(city=tehran, date=SATURDAY, spans=[(time(8), time(20))], reason="پایان سال")
    services.hours_override_set(city=tehran, office=vanak, date=SATURDAY, closed=True, reason="تعمیرات")
    vanak_status = selectors.office_open_status(office=vanak, at=at(SATURDAY, 10))
    assert not vanak_status.is_open
    assert vanak_status.reason == "تعمیرات"
    bazaar_status = selectors.office_open_status(office=bazaar, at=at(SATURDAY, 19, 30))
    assert bazaar_status.is_open
    assert bazaar_status.closes_at == at(SATURDAY, 20)


def test_year_end_extended_hours_keep_offices_open_until_eight(bazaar: Office, tehran: City) -> None:
    day = date(2026, 3, 16)  # 1404/12/25, a Monday in the last ten days of Esfand
    services.hours_override_set(city=tehran, date=day, spans=[(time(8), time(20))], reason="تمدید پایان سال")
    assert selectors.office_open_status(office=bazaar, at=at(day, 19, 45)).is_open
    assert selectors.office_schedule_on(office=bazaar, day=day).spans == (Span(time(8), time(20)),)


def test_utc_input_is_read_in_tehran_time(bazaar: Office) -> None:
    # 11:00 UTC is 14:30 in Tehran (UTC+03:30): open; 11:30 UTC is 15:00 there: closed.
    open_status = selectors.office_open_status(office=bazaar, at=datetime(2025, 5, 10, 11, 0, tzinfo=UTC))
    assert open_status.is_open
    assert open_status.at.utcoffset() == timedelta(hours=3, minutes=30)
    assert not selectors.office_open_status(
        office=bazaar, at=datetime(2025, 5, 10, 11, 30, tzinfo=UTC)
    ).is_open
    # 21:00 UTC on Friday is already Saturday 00:30 in Tehran: the local date decides the day.
    late = selectors.office_open_status(office=bazaar, at=datetime(2025, 5, 16, 21, 0, tzinfo=UTC))
    next_saturday = FRIDAY + timedelta(days=1)
    assert late.schedule.day == next_saturday
    assert late.next_opening == at(next_saturday, 8)


def test_naive_datetimes_are_refused(bazaar: Office) -> None:
    with pytest.raises(ValueError, match="aware"):
        selectors.office_open_status(office=bazaar, at=datetime(2025, 5, 10, 10))


def test_office_schedule_on_lists_spans_and_holiday(vanak: Office, tehran: City) -> None:
    assert selectors.office_schedule_on(office=vanak, day=SATURDAY).spans == (
        Span(time(8), time(15)),
        Span(time(16), time(19)),
    )
    services.closure_declare(city=tehran, date=SATURDAY, name="برف")
    assert selectors.office_schedule_on(office=vanak, day=SATURDAY).holiday_name == "برف"


def test_override_for_an_office_of_another_city_is_refused(vanak: Office) -> None:
    other = services.city_create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    with pytest.raises(InvalidValue) as error:
        services.hours_override_set(city=other, office=vanak, date=SATURDAY, closed=True)
    assert error.value.code == "office.city_mismatch"
