"""The product's calendar: office hours on a date, open/closed at a moment, working days.

Pure functions over plain data (no queries, no time zones): callers load the rows and pass
local dates and wall-clock times, so every rule here can be property-tested. Selectors do the
loading (``daftar.offices.selectors``).

Precedence for an office's hours on a date, first match wins:

1. a holiday (national, or the office's city closure) → closed, with the holiday's name;
2. the office's own special-hours rows for the date;
3. the city-wide special-hours rows for the date (office empty);
4. the weekly schedule rows for the weekday (none → closed).

Any special-hours row marked ``closed`` closes the whole day at its level.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# How far next_opening looks ahead: longer than Nowruz plus any run of closures seen in practice.
NEXT_OPENING_HORIZON_DAYS = 60


class Span(NamedTuple):
    """One stretch of opening hours in local wall-clock time: open from ``opens`` until ``closes``."""

    opens: time
    closes: time

    def contains(self, moment: time) -> bool:
        # Half-open: at the closing minute the office is already closed.
        return self.opens <= moment < self.closes


class ScheduleSource(StrEnum):
    """Which rule decided a day's schedule (useful for explaining it to people)."""

    HOLIDAY = "holiday"
    CLOSURE = "closure"
    OFFICE_OVERRIDE = "office_override"
    CITY_OVERRIDE = "city_override"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class HolidayEntry:
    """A holiday as the calendar needs it; ``closure`` marks a city-declared closure."""

    day: date
    name: str
    closure: bool = False


@dataclass(frozen=True)
class OverrideEntry:
    """One special-hours row: a span, or ``closed`` for the whole day."""

    closed: bool
    opens: time | None = None
    closes: time | None = None
    reason: str = ""


@dataclass(frozen=True)
class WeeklyEntry:
    """One shift of the weekly schedule; ``weekday`` in Python numbering (Monday=0)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class DaySchedule:
    """An office's hours on one date: its spans (empty when closed) and why it is closed."""

    day: date
    spans: tuple[Span, ...]
    source: ScheduleSource
    closed_reason: StrOrPromise = ""
    holiday_names: tuple[str, ...] = field(default=())

    @property
    def is_closed_all_day(self) -> bool:
        return not self.spans

    @property
    def holiday_name(self) -> str:
        return "، ".join(self.holiday_names)


def _sorted_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    return tuple(sorted(spans))


def _override_schedule(day: date, rows: Sequence[OverrideEntry], source: ScheduleSource) -> DaySchedule:
    closed = [row for row in rows if row.closed]
    if closed:
        reason = closed[0].reason or _("Closed by special hours")
        return DaySchedule(day=day, spans=(), source=source, closed_reason=reason)
    spans = _sorted_spans(
        Span(row.opens, row.closes) for row in rows if row.opens is not None and row.closes is not None
    )
    return DaySchedule(day=day, spans=spans, source=source)


def day_schedule(
    day: date,
    *,
    holidays: Sequence[HolidayEntry] = (),
    office_overrides: Sequence[OverrideEntry] = (),
    city_overrides: Sequence[OverrideEntry] = (),
    weekly: Sequence[WeeklyEntry] = (),
    working_weekdays: Collection[int] = (5, 6, 0, 1, 2, 3),
) -> DaySchedule:
    """An office's schedule on ``day`` by the precedence in the module docstring.

    Every argument may hold rows for other dates or weekdays: only those for ``day`` count,
    so callers can pass what they loaded for a whole range.
    """
    todays_holidays = [entry for entry in holidays if entry.day == day]
    if todays_holidays:
        names = tuple(dict.fromkeys(entry.name for entry in todays_holidays))
        only_closures = all(entry.closure for entry in todays_holidays)
        return DaySchedule(
            day=day,
            spans=(),
            source=ScheduleSource.CLOSURE if only_closures else ScheduleSource.HOLIDAY,
            closed_reason="، ".join(names),
            holiday_names=names,
        )
    if office_overrides:
        return _override_schedule(day, office_overrides, ScheduleSource.OFFICE_OVERRIDE)
    if city_overrides:
        return _override_schedule(day, city_overrides, ScheduleSource.CITY_OVERRIDE)
    spans = _sorted_spans(Span(row.opens, row.closes) for row in weekly if row.weekday == day.weekday())
    if spans:
        return DaySchedule(day=day, spans=spans, source=ScheduleSource.WEEKLY)
    reason = _("Weekend") if day.weekday() not in working_weekdays else _("No working hours on this day")
    return DaySchedule(day=day, spans=(), source=ScheduleSource.WEEKLY, closed_reason=reason)


def current_span(schedule: DaySchedule, local_time: time) -> Span | None:
    """The span that covers ``local_time``, if any."""
    for span in schedule.spans:
        if span.contains(local_time):
            return span
    return None


def is_open_at(schedule: DaySchedule, local_time: time) -> bool:
    """Whether the office is open at ``local_time`` on the schedule's day (closing minute excluded)."""
    return current_span(schedule, local_time) is not None


def next_opening(
    after: datetime,
    schedule_for: Callable[[date], DaySchedule],
    *,
    horizon_days: int = NEXT_OPENING_HORIZON_DAYS,
) -> datetime | None:
    """The first span start strictly after the naive local moment ``after``, or None.

    ``schedule_for`` gives the schedule of a date; it is asked for ``after``'s date and each
    following date up to ``horizon_days`` ahead. Strictly after: called while open, it gives
    the next shift, not the one in progress.
    """
    if after.tzinfo is not None:
        raise ValueError("next_opening works in naive local time; convert first")
    for offset in range(horizon_days + 1):
        day = after.date() + timedelta(days=offset)
        for span in schedule_for(day).spans:
            start = datetime.combine(day, span.opens)
            if start > after:
                return start
    return None


# --- working days -------------------------------------------------------------------------------


def is_working_day(day: date, *, working_weekdays: Collection[int], holidays: Collection[date]) -> bool:
    """A working day: its weekday is a city working weekday and it is no holiday or closure."""
    return day.weekday() in working_weekdays and day not in holidays


def add_working_days(
    start: date, n: int, *, working_weekdays: Collection[int], holidays: Collection[date]
) -> date:
    """The ``n``-th working day after ``start``.

    ``n >= 1`` counts working days strictly after ``start`` (a file lodged on Wednesday with a
    one-working-day deadline is due on Thursday). ``n == 0`` is ``start`` itself when it is a
    working day, else the first working day after it: a due date never falls on a day off.
    Negative ``n`` is a ValueError. ``holidays`` must cover the dates up to the result.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if not set(working_weekdays) & set(range(7)):
        raise ValueError("the city has no working weekdays")
    day = start
    if n == 0:
        while not is_working_day(day, working_weekdays=working_weekdays, holidays=holidays):
            day += timedelta(days=1)
        return day
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, working_weekdays=working_weekdays, holidays=holidays):
            remaining -= 1
    return day


def working_days_between(
    a: date, b: date, *, working_weekdays: Collection[int], holidays: Collection[date]
) -> int:
    """Working days in ``(a, b]``: after ``a``, up to and including ``b``; negative when ``b < a``.

    The inverse of ``add_working_days`` for ``n >= 1``:
    ``working_days_between(s, add_working_days(s, n)) == n``.
    """
    if b < a:
        return -working_days_between(b, a, working_weekdays=working_weekdays, holidays=holidays)
    # Counted, not walked: an inbox computes this for every row, over spans of months.
    weekdays = set(working_weekdays) & set(range(7))
    span = (b - a).days
    weeks, rest = divmod(span, 7)
    count = weeks * len(weekdays)
    first = a.weekday() + 1  # weekday of a + 1 day; the rest days follow it
    count += sum(1 for offset in range(rest) if (first + offset) % 7 in weekdays)
    return count - sum(1 for day in set(holidays) if a < day <= b and day.weekday() in weekdays)


def holidays_by_day(entries: Iterable[HolidayEntry]) -> Mapping[date, list[HolidayEntry]]:
    """Group holiday entries by date (a date may carry several)."""
    grouped: dict[date, list[HolidayEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.day, []).append(entry)
    return grouped
