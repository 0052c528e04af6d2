"""Reads about cities, offices, hours and holidays.

Each selector loads what the calendar needs in a fixed, small number of queries (never one per
office or per day) and hands plain data to ``daftar.offices.calendar``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.core.memo import Memo

from . import calendar, geo
from .calendar import DaySchedule, HolidayEntry, OverrideEntry, WeeklyEntry
from .models import (
    City,
    Holiday,
    HolidayKind,
    HoursOverride,
    LicenceStatus,
    Office,
    StaffAssignment,
    WeeklyHours,
    Zone,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise

    from daftar.accounts.models import User

MAX_PAGE_SIZE = 50


@cache
def _zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def city_timezone(*, city: City) -> ZoneInfo:
    """The city's time zone (Asia/Tehran for Tehran)."""
    return _zone_info(city.timezone)


def _working_weekdays(city: City) -> frozenset[int]:
    return frozenset(int(day) for day in (city.working_weekdays or []))


def _local(at: datetime, tz: ZoneInfo) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("pass an aware datetime: a naive one has no time zone to read it in")
    return at.astimezone(tz)


def _aware(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


# --- cities and districts -------------------------------------------------------------------------


# Cities, holidays and districts change rarely (the admin, loaders): each process remembers what it
# read (daftar.core.memo; cleared on every save of those models, see apps.py).
calendar_memo: Memo[Any] = Memo("cities, holidays and districts")


def city_default() -> City | None:
    """The city served by default: settings.DAFTAR_DEFAULT_CITY if active, else the first active city."""
    code = getattr(settings, "DAFTAR_DEFAULT_CITY", "")

    def load() -> City | None:
        active = City.objects.filter(is_active=True)
        return (active.filter(code=code).first() if code else None) or active.order_by("pk").first()

    return calendar_memo.get(("default city", code), load)


def zones_of(*, city: City) -> QuerySet[Zone]:
    """The city's districts in number order."""
    return Zone.objects.filter(city=city).order_by("number")


def holiday_name_on(*, city: City, day: date) -> str:
    """The names of the national holidays and city closures on ``day``, joined; empty on a normal day."""
    return "، ".join(dict.fromkeys(entry.name for entry in _holiday_entries(city=city, start=day, end=day)))


# --- loading --------------------------------------------------------------------------------------


def _holiday_entries(*, city: City, start: date, end: date) -> list[HolidayEntry]:
    """National holidays and the city's own, in [start, end]: one query, or none when remembered."""
    return _holiday_entries_of(city_id=city.pk, start=start, end=end)


def _holiday_entries_of(*, city_id: int, start: date, end: date) -> list[HolidayEntry]:
    entries: list[HolidayEntry] = calendar_memo.get(
        ("holidays", city_id, start.year, end.year), lambda: _holiday_years_of(city_id, start.year, end.year)
    )
    return [entry for entry in entries if start <= entry.day <= end]


def _holiday_years_of(city_id: int, first: int, last: int) -> list[HolidayEntry]:
    rows = (
        Holiday.objects.filter(
            Q(city__isnull=True) | Q(city_id=city_id), date__range=(date(first, 1, 1), date(last, 12, 31))
        )
        .order_by("date", "name")
        .values_list("date", "name", "kind")
    )
    return [HolidayEntry(day=day, name=name, closure=kind == HolidayKind.CLOSURE) for day, name, kind in rows]


def _override_entries(
    *, city: City, start: date, end: date, offices: QuerySet[Office, Any] | Sequence[int] | None = None
) -> dict[tuple[int | None, date], list[OverrideEntry]]:
    """Special hours in [start, end] keyed by (office id or None for city-wide, date): one query.

    ``offices`` limits the office rows (city-wide rows always come); None means every office.
    """
    rows = HoursOverride.objects.filter(city=city, date__range=(start, end))
    if offices is not None:
        rows = rows.filter(Q(office__isnull=True) | Q(office__in=offices))
    grouped: dict[tuple[int | None, date], list[OverrideEntry]] = defaultdict(list)
    for office_id, day, closed, opens, closes, reason in rows.order_by("date", "opens").values_list(
        "office_id", "date", "closed", "opens", "closes", "reason"
    ):
        grouped[(office_id, day)].append(
            OverrideEntry(closed=closed, opens=opens, closes=closes, reason=reason)
        )
    return grouped


def _weekly_entries(
    *, offices: QuerySet[Office, Any] | Sequence[int], weekday: int | None = None
) -> dict[int, list[WeeklyEntry]]:
    """Weekly schedule rows by office id: one query (a subquery when given a queryset)."""
    rows = WeeklyHours.objects.filter(office__in=offices)
    if weekday is not None:
        rows = rows.filter(weekday=weekday)
    grouped: dict[int, list[WeeklyEntry]] = defaultdict(list)
    for office_id, day, opens, closes in rows.values_list("office_id", "weekday", "opens", "closes"):
        grouped[office_id].append(WeeklyEntry(weekday=day, opens=opens, closes=closes))
    return grouped


@dataclass(frozen=True)
class _CalendarData:
    """Everything needed to compute schedules for some offices of one city over a date range."""

    working_weekdays: frozenset[int]
    holidays: dict[date, list[HolidayEntry]]
    overrides: dict[tuple[int | None, date], list[OverrideEntry]]
    weekly: dict[int, list[WeeklyEntry]]

    def schedule(self, office_id: int, day: date) -> DaySchedule:
        return calendar.day_schedule(
            day,
            holidays=self.holidays.get(day, ()),
            office_overrides=self.overrides.get((office_id, day), ()),
            city_overrides=self.overrides.get((None, day), ()),
            weekly=self.weekly.get(office_id, ()),
            working_weekdays=self.working_weekdays,
        )

    def schedule_for(self, office_id: int) -> Callable[[date], DaySchedule]:
        return lambda day: self.schedule(office_id, day)


def _calendar_data(
    *,
    city: City,
    start: date,
    end: date,
    offices: QuerySet[Office, Any] | Sequence[int],
    weekday: int | None = None,
) -> _CalendarData:
    """Three queries: holidays, special hours and weekly hours for the offices over [start, end]."""
    holidays: dict[date, list[HolidayEntry]] = defaultdict(list)
    for entry in _holiday_entries(city=city, start=start, end=end):
        holidays[entry.day].append(entry)
    return _CalendarData(
        working_weekdays=_working_weekdays(city),
        holidays=holidays,
        overrides=_override_entries(city=city, start=start, end=end, offices=offices),
        weekly=_weekly_entries(offices=offices, weekday=weekday),
    )


# --- one office -----------------------------------------------------------------------------------


def office_schedule_on(*, office: Office, day: date) -> DaySchedule:
    """The office's hours on ``day`` (local date in the office's city)."""
    data = _calendar_data(city=office.city, start=day, end=day, offices=[office.pk], weekday=day.weekday())
    return data.schedule(office.pk, day)


def office_schedules_between(*, office: Office, start: date, end: date) -> dict[date, DaySchedule]:
    """The office's hours on every day of [start, end], in three queries whatever the range."""
    data = _calendar_data(city=office.city, start=start, end=end, offices=[office.pk])
    days = (end - start).days + 1
    return {
        start + timedelta(days=n): data.schedule(office.pk, start + timedelta(days=n)) for n in range(days)
    }


@dataclass(frozen=True)
class OpenStatus:
    """Whether an office is open at a moment, and what a visitor needs to know about it.

    ``closes_at`` is the end of the current span when open; ``next_opening`` is the next span
    start when closed (None if nothing within the search horizon). Both are aware datetimes in
    the city's time zone. ``reason`` is a short human explanation.
    """

    is_open: bool
    at: datetime
    schedule: DaySchedule
    reason: StrOrPromise
    closes_at: datetime | None = None
    next_opening: datetime | None = None


def office_open_status(*, office: Office, at: datetime) -> OpenStatus:
    """Is the office open at ``at`` (aware; any zone)? Read in the city's local time."""
    city = office.city
    tz = city_timezone(city=city)
    local = _local(at, tz)
    day = local.date()
    data = _calendar_data(
        city=city,
        start=day,
        end=day + timedelta(days=calendar.NEXT_OPENING_HORIZON_DAYS),
        offices=[office.pk],
    )
    schedule = data.schedule(office.pk, day)
    span = calendar.current_span(schedule, local.time())
    if span is not None:
        return OpenStatus(
            is_open=True,
            at=local,
            schedule=schedule,
            reason=_("Open"),
            closes_at=_aware(day, span.closes, tz),
        )
    following = calendar.next_opening(local.replace(tzinfo=None), data.schedule_for(office.pk))
    reason: StrOrPromise = (
        schedule.closed_reason if schedule.is_closed_all_day else _("Outside working hours")
    )
    return OpenStatus(
        is_open=False,
        at=local,
        schedule=schedule,
        reason=reason,
        next_opening=following.replace(tzinfo=tz) if following else None,
    )


# --- working days ---------------------------------------------------------------------------------


def city_calendar(*, city_id: int, start: date, end: date) -> tuple[frozenset[int], set[date]]:
    """The city's working weekdays and its holiday dates in [start, end], from the per-process
    cache (no query once remembered): what lists need to count working days for many rows."""
    weekdays: frozenset[int] = calendar_memo.get(
        ("weekdays", city_id),
        lambda: frozenset(
            int(day)
            for day in City.objects.filter(pk=city_id).values_list("working_weekdays", flat=True)[0] or []
        ),
    )
    return weekdays, {entry.day for entry in _holiday_entries_of(city_id=city_id, start=start, end=end)}


def _holiday_dates(*, city: City, start: date, end: date) -> set[date]:
    return {entry.day for entry in _holiday_entries(city=city, start=start, end=end)}


def working_days_add(*, city: City, start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` in the city (see calendar.add_working_days).

    Holidays are loaded once for a range estimated to hold the answer; if the answer falls
    beyond it (an unusually long run of holidays), the range is extended and loaded again.
    """
    weekdays = _working_weekdays(city)
    if days < 0:
        raise ValueError("days must not be negative")
    if not weekdays:
        raise ValueError("the city has no working weekdays")
    end = start + timedelta(days=(days + 1) * 7 // len(weekdays) + 30)
    while True:
        holidays = _holiday_dates(city=city, start=start, end=end)
        result = calendar.add_working_days(start, days, working_weekdays=weekdays, holidays=holidays)
        if result <= end:
            return result
        end = result + timedelta(days=30)


def working_days_count(*, city: City, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
    low, high = min(start, end), max(start, end)
    holidays = _holiday_dates(city=city, start=low, end=high)
    return calendar.working_days_between(
        start, end, working_weekdays=_working_weekdays(city), holidays=holidays
    )


# --- the public office finder ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeRow:
    """One office in the finder: today's hours, whether it is open at the moment asked about."""

    office: Office
    schedule: DaySchedule
    is_open: bool
    holiday_name: str
    closes_at: time | None = None  # local end of the span in progress, when open

    @property
    def spans(self) -> tuple[calendar.Span, ...]:
        return self.schedule.spans


def _rows(offices: Iterable[Office], *, data: _CalendarData, day: date, moment: time) -> list[OfficeRow]:
    rows = []
    for office in offices:
        schedule = data.schedule(office.pk, day)
        span = calendar.current_span(schedule, moment)
        rows.append(
            OfficeRow(
                office=office,
                schedule=schedule,
                is_open=span is not None,
                holiday_name=schedule.holiday_name,
                closes_at=span.closes if span else None,
            )
        )
    return rows


def offices_search(
    *,
    city: City,
    zone_number: int | None = None,
    open_at: datetime | None = None,
    page: int = 1,
    page_size: int = 20,
    now: datetime | None = None,
) -> Page[OfficeRow]:
    """Active offices of a city for the public finder, a page of ``OfficeRow``.

    ``zone_number`` keeps one district; ``open_at`` (aware) keeps only offices open at that
    moment, and is also the moment the rows describe. Without it the rows describe ``now``
    (default: the current time). ``page`` out of range gives the nearest page; ``page_size``
    is clamped to 1–50. Queries: 4 with ``open_at``, 5 without, whatever the number of offices.
    """
    tz = city_timezone(city=city)
    local = _local(open_at or now or timezone.now(), tz)
    day, moment = local.date(), local.time()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    offices = (
        Office.objects.filter(city=city, licence_status=LicenceStatus.ACTIVE)
        .select_related("zone")
        .order_by("zone__number", "code")
    )
    if zone_number is not None:
        offices = offices.filter(zone__number=zone_number)

    if open_at is not None:
        # "Open now" needs every candidate's schedule before paging: compute them all in Python.
        data = _calendar_data(
            city=city, start=day, end=day, offices=offices.values("pk"), weekday=day.weekday()
        )
        rows = [row for row in _rows(offices, data=data, day=day, moment=moment) if row.is_open]
        return Paginator(rows, page_size).get_page(page)

    def build(page_offices: list[Office]) -> list[OfficeRow]:
        data = _calendar_data(
            city=city,
            start=day,
            end=day,
            offices=[office.pk for office in page_offices],
            weekday=day.weekday(),
        )
        return _rows(page_offices, data=data, day=day, moment=moment)

    return Paginator(_LazyRows(offices, build), page_size).get_page(page)


class _LazyRows(Sequence[OfficeRow]):
    """Offices as rows, built only for the slice the paginator asks for (one page)."""

    def __init__(self, offices: QuerySet[Office], build: Callable[[list[Office]], list[OfficeRow]]) -> None:
        self._offices = offices
        self._build = build

    def count(self) -> int:  # type: ignore[override]  # Paginator counts with a query, not len()
        return self._offices.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> OfficeRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[OfficeRow]: ...
    def __getitem__(self, index: int | slice) -> OfficeRow | list[OfficeRow]:
        if isinstance(index, slice):
            return self._build(list(self._offices[index]))
        return self._build([self._offices[index]])[0]


# --- geography ------------------------------------------------------------------------------------


def zone_for_point(*, city: City, latitude: float, longitude: float) -> Zone | None:
    """The city district whose boundary covers the point, or None (outside every district)."""
    zones: list[Zone] = calendar_memo.get(
        ("zones", city.pk),
        lambda: list(Zone.objects.filter(city=city, boundary__isnull=False).order_by("number")),
    )
    for zone in zones:
        geometry = geo.zone_geometry(zone.pk, zone.boundary)
        if geo.covers_point(geometry, latitude=float(latitude), longitude=float(longitude)):
            return zone
    return None


# --- staff ----------------------------------------------------------------------------------------


def offices_staff_of(*, user: User | AnonymousUser) -> QuerySet[StaffAssignment]:
    """The user's active staff assignments, with office and city loaded."""
    if not user.is_authenticated:
        return StaffAssignment.objects.none()
    return (
        StaffAssignment.objects.filter(user=user, is_active=True)
        .select_related("city", "office", "office__zone")
        .order_by("city__code", "office__code", "role")
    )


def is_staff_member(*, user: User | AnonymousUser) -> bool:
    """Whether the user holds any active staff assignment (office or municipal)."""
    return user.is_authenticated and StaffAssignment.objects.filter(user=user, is_active=True).exists()
