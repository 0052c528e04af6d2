"""The pure calendar rules: precedence of holidays, special hours and weekly hours; working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from daftar.offices import calendar
from daftar.offices.calendar import HolidayEntry, OverrideEntry, ScheduleSource, Span, WeeklyEntry

TEHRAN_WEEK = (5, 6, 0, 1, 2, 3)  # Saturday to Thursday
FRIDAY = 4
WEEKLY = [
    *(WeeklyEntry(weekday=d, opens=time(8), closes=time(15)) for d in (5, 6, 0, 1, 2)),
    *(WeeklyEntry(weekday=d, opens=time(16), closes=time(19)) for d in (5, 6, 0, 1, 2)),
    WeeklyEntry(weekday=3, opens=time(8), closes=time(13)),
]
SATURDAY = date(2025, 5, 10)
THURSDAY = date(2025, 5, 15)
FRIDAY_DATE = date(2025, 5, 16)


def test_weekly_hours_give_both_shifts_in_order() -> None:
    schedule = calendar.day_schedule(SATURDAY, weekly=WEEKLY, working_weekdays=TEHRAN_WEEK)
    assert schedule.spans == (Span(time(8), time(15)), Span(time(16), time(19)))
    assert schedule.source == ScheduleSource.WEEKLY


def test_friday_without_weekly_rows_is_closed_as_weekend() -> None:
    schedule = calendar.day_schedule(FRIDAY_DATE, weekly=WEEKLY, working_weekdays=TEHRAN_WEEK)
    assert schedule.is_closed_all_day
    with translation.override("en"):
        assert str(schedule.closed_reason) == "Weekend"


def test_holiday_beats_every_kind_of_hours() -> None:
    schedule = calendar.day_schedule(
        SATURDAY,
        holidays=[HolidayEntry(day=SATURDAY, name="عید"), HolidayEntry(day=SATURDAY, name="روز دوم")],
        office_overrides=[OverrideEntry(closed=False, opens=time(8), closes=time(20))],
        city_overrides=[OverrideEntry(closed=False, opens=time(8), closes=time(20))],
        weekly=WEEKLY,
    )
    assert schedule.is_closed_all_day
    assert schedule.source == ScheduleSource.HOLIDAY
    assert schedule.holiday_names == ("عید", "روز دوم")
    assert schedule.closed_reason == "عید، روز دوم"


def test_city_closure_is_reported_as_a_closure() -> None:
    schedule = calendar.day_schedule(
        SATURDAY, holidays=[HolidayEntry(day=SATURDAY, name="آلودگی هوا", closure=True)], weekly=WEEKLY
    )
    assert schedule.source == ScheduleSource.CLOSURE
    assert schedule.closed_reason == "آلودگی هوا"


def test_holidays_on_other_dates_are_ignored() -> None:
    schedule = calendar.day_schedule(
        SATURDAY, holidays=[HolidayEntry(day=SATURDAY + timedelta(days=1), name="x")], weekly=WEEKLY
    )
    assert not schedule.is_closed_all_day


def test_office_override_beats_city_override() -> None:
    schedule = calendar.day_schedule(
        SATURDAY,
        office_overrides=[OverrideEntry(closed=False, opens=time(10), closes=time(12))],
        city_overrides=[OverrideEntry(closed=False, opens=time(8), closes=time(20))],
        weekly=WEEKLY,
    )
    assert schedule.spans == (Span(time(10), time(12)),)
    assert schedule.source == ScheduleSource.OFFICE_OVERRIDE


def test_city_override_replaces_weekly_hours() -> None:
    schedule = calendar.day_schedule(
        FRIDAY_DATE,
        city_overrides=[OverrideEntry(closed=False, opens=time(8), closes=time(20))],
        weekly=WEEKLY,
    )
    assert schedule.spans == (Span(time(8), time(20)),)


def test_closed_override_closes_the_day_with_its_reason() -> None:
    schedule = calendar.day_schedule(
        SATURDAY, office_overrides=[OverrideEntry(closed=True, reason="تعمیرات")], weekly=WEEKLY
    )
    assert schedule.is_closed_all_day
    assert schedule.closed_reason == "تعمیرات"


def test_open_at_excludes_the_closing_minute() -> None:
    schedule = calendar.day_schedule(THURSDAY, weekly=WEEKLY)
    assert calendar.is_open_at(schedule, time(8))
    assert calendar.is_open_at(schedule, time(12, 59))
    assert not calendar.is_open_at(schedule, time(13))
    assert not calendar.is_open_at(schedule, time(7, 59))


def test_next_opening_finds_the_evening_shift_then_skips_friday() -> None:
    def schedule_for(day: date) -> calendar.DaySchedule:
        return calendar.day_schedule(day, weekly=WEEKLY)

    assert calendar.next_opening(datetime(2025, 5, 10, 15, 30), schedule_for) == datetime(2025, 5, 10, 16)
    # Thursday afternoon → Friday closed → Saturday 08:00.
    assert calendar.next_opening(datetime(2025, 5, 15, 14), schedule_for) == datetime(2025, 5, 17, 8)


def test_next_opening_gives_up_after_the_horizon() -> None:
    def always_closed(day: date) -> calendar.DaySchedule:
        return calendar.day_schedule(day)

    assert calendar.next_opening(datetime(2025, 5, 10, 9), always_closed, horizon_days=5) is None


def test_add_zero_working_days_rolls_forward_only_from_a_day_off() -> None:
    kwargs = {"working_weekdays": TEHRAN_WEEK, "holidays": {SATURDAY + timedelta(days=8)}}
    assert calendar.add_working_days(SATURDAY, 0, **kwargs) == SATURDAY
    assert calendar.add_working_days(FRIDAY_DATE, 0, **kwargs) == date(2025, 5, 17)


def test_add_working_days_counts_after_the_start_and_skips_friday() -> None:
    assert calendar.add_working_days(THURSDAY, 1, working_weekdays=TEHRAN_WEEK, holidays=set()) == date(
        2025, 5, 17
    )


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(SATURDAY, -1, working_weekdays=TEHRAN_WEEK, holidays=set())


def test_working_days_between_is_antisymmetric() -> None:
    a, b = SATURDAY, SATURDAY + timedelta(days=20)
    forward = calendar.working_days_between(a, b, working_weekdays=TEHRAN_WEEK, holidays=set())
    assert forward == 17  # three Fridays in 20 days
    assert calendar.working_days_between(b, a, working_weekdays=TEHRAN_WEEK, holidays=set()) == -forward


# --- properties --------------------------------------------------------------------------------------

starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
holiday_sets = st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), max_size=120)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=400), holidays=holiday_sets)
def test_add_working_days_never_lands_on_a_friday_or_a_holiday(
    start: date, n: int, holidays: set[date]
) -> None:
    result = calendar.add_working_days(start, n, working_weekdays=TEHRAN_WEEK, holidays=holidays)
    assert result.weekday() != FRIDAY
    assert result not in holidays
    assert result >= start


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=400), holidays=holiday_sets)
def test_counting_working_days_undoes_adding_them(start: date, n: int, holidays: set[date]) -> None:
    kwargs = {"working_weekdays": TEHRAN_WEEK, "holidays": holidays}
    assert calendar.working_days_between(start, calendar.add_working_days(start, n, **kwargs), **kwargs) == n


@settings(max_examples=100, deadline=None)
@given(start=starts, holidays=holiday_sets)
def test_zero_working_days_is_start_or_the_next_working_day(start: date, holidays: set[date]) -> None:
    kwargs = {"working_weekdays": TEHRAN_WEEK, "holidays": holidays}
    result = calendar.add_working_days(start, 0, **kwargs)
    expected = 0 if calendar.is_working_day(start, **kwargs) else 1
    assert calendar.working_days_between(start, result, **kwargs) == expected


@settings(max_examples=300, deadline=None)
@given(
    a=starts,
    b=starts,
    weekdays=st.sets(st.integers(0, 6), max_size=7),
    holidays=st.lists(st.dates(min_value=date(2023, 12, 1), max_value=date(2029, 1, 31)), max_size=60),
)
def test_working_days_between_counts_every_working_day_in_the_span_once(
    a: date, b: date, weekdays: set[int], holidays: list[date]
) -> None:
    """The counted (closed-form) answer equals walking the days one by one, holidays repeated or not."""
    low, high = min(a, b), max(a, b)
    walked = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if calendar.is_working_day(low + timedelta(days=offset), working_weekdays=weekdays, holidays=holidays)
    )
    expected = walked if b >= a else -walked
    assert calendar.working_days_between(a, b, working_weekdays=weekdays, holidays=holidays) == expected


spans_strategy = st.lists(
    st.tuples(st.integers(0, 23 * 60), st.integers(1, 60 * 6)).map(
        lambda pair: (pair[0], min(pair[0] + pair[1], 24 * 60 - 1))
    ),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(raw=spans_strategy, minute=st.integers(0, 24 * 60 - 1))
def test_open_at_a_moment_exactly_when_a_span_covers_it(raw: list[tuple[int, int]], minute: int) -> None:
    def clock(m: int) -> time:
        return time(m // 60, m % 60)

    entries = [
        WeeklyEntry(weekday=SATURDAY.weekday(), opens=clock(a), closes=clock(b)) for a, b in raw if a < b
    ]
    schedule = calendar.day_schedule(SATURDAY, weekly=entries)
    expected = any(a <= minute < b for a, b in raw if a < b)
    assert calendar.is_open_at(schedule, clock(minute)) is expected
