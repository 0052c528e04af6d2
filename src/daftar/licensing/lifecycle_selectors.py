"""Reads for a licence's life after it is issued: licences near expiry and who to remind, offices'
approved weekly hours and the requests to change them, and activity recorded outside those hours.

Every read loads what it needs in a fixed number of queries, never one per office or per row:
``activity_outside_hours`` in particular counts activity in the database, per office, grouped by
the offices' hours on the day (most offices of a city share a few standard schedules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min, Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from daftar.accounts.roles import Role
from daftar.billing.models import Payment, PaymentStatus
from daftar.billing.payments import COUNTER
from daftar.cases.models import Case
from daftar.catalog.models import Channel
from daftar.core.jalali import PERSIAN_WEEK_ORDER
from daftar.offices import calendar
from daftar.offices.calendar import DaySchedule, HolidayEntry, OverrideEntry, Span, WeeklyEntry
from daftar.offices.models import (
    City,
    Holiday,
    HolidayKind,
    HoursOverride,
    Office,
    Shift,
    StaffAssignment,
    WeeklyHours,
)
from daftar.offices.selectors import city_timezone, offices_staff_of
from daftar.queueing.models import Ticket

from .models import ActivityFlag, HoursChangeRequest, HoursRequestStatus, OfficeLicence

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise

    from daftar.accounts.models import User

FLAGS_PAGE_SIZE = 30
REQUESTS_SHOWN = 20


# --- out-of-hours activity -----------------------------------------------------------------------


class ActivityKind:
    """The kinds of activity checked against an office's approved hours (``ActivityFlag.activity``)."""

    CASE_FILED = "case_filed"
    COUNTER_PAYMENT = "counter_payment"
    QUEUE_TICKET = "queue_ticket"

    LABELS: Mapping[str, StrOrPromise] = {
        CASE_FILED: _("Cases filed"),
        COUNTER_PAYMENT: _("Counter payments"),
        QUEUE_TICKET: _("Queue tickets"),
    }
    ALL: tuple[str, ...] = (CASE_FILED, COUNTER_PAYMENT, QUEUE_TICKET)

    @classmethod
    def label(cls, code: str) -> StrOrPromise:
        return cls.LABELS.get(code, code)


# Work that ends a little after closing is normal (the last people in the queue are still being
# served), so a filed case or a counter payment counts as outside the hours only after this margin
# past a span's close. A queue ticket is issued on arrival: one issued after closing has none.
CLOSING_GRACE: Mapping[str, timedelta] = {
    ActivityKind.CASE_FILED: timedelta(minutes=15),
    ActivityKind.COUNTER_PAYMENT: timedelta(minutes=15),
    ActivityKind.QUEUE_TICKET: timedelta(0),
}


@dataclass(frozen=True)
class _Source:
    model: type[Model]
    moment: str  # the field holding when the activity happened
    extra: Q  # what counts as this activity beyond the office and the moment

    def rows(self, *, city: City, start: datetime, end: datetime) -> QuerySet[Any]:
        return self.model._default_manager.filter(
            self.extra,
            office__city=city,
            **{f"{self.moment}__gte": start, f"{self.moment}__lt": end},
        )


SOURCES: Mapping[str, _Source] = {
    # cases filed at the office's counter (an online case is not the office's activity)
    ActivityKind.CASE_FILED: _Source(Case, "created_at", Q(channel=Channel.OFFICE)),
    # payments taken on the office's card terminal (a reversed one was still taken)
    ActivityKind.COUNTER_PAYMENT: _Source(
        Payment,
        "completed_at",
        Q(provider=COUNTER, status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REVERSED]),
    ),
    ActivityKind.QUEUE_TICKET: _Source(Ticket, "issued_at", Q()),
}


@dataclass(frozen=True)
class ActivityRow:
    """Activity of one kind at one office on one day, outside its hours: how much, first and last."""

    office_id: int
    activity: str
    count: int
    first_at: datetime
    last_at: datetime


def day_window(*, city: City, day: date) -> tuple[datetime, datetime]:
    """The city's local day as an aware half-open interval [midnight, next midnight)."""
    tz = city_timezone(city=city)
    return (
        datetime.combine(day, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


def office_day_schedules(*, city: City, day: date, office_ids: Sequence[int]) -> dict[int, DaySchedule]:
    """Each office's hours on ``day`` (holidays, the office's and the city's special hours and the
    weekly schedule, by ``offices.calendar``'s precedence), in three queries whatever the count.

    The same answer as ``offices.selectors.office_schedule_on`` for each office, loaded at once.
    """
    holidays = [
        HolidayEntry(day=d, name=name, closure=kind == HolidayKind.CLOSURE)
        for d, name, kind in Holiday.objects.filter(Q(city__isnull=True) | Q(city=city), date=day)
        .order_by("name")
        .values_list("date", "name", "kind")
    ]
    overrides: dict[int | None, list[OverrideEntry]] = defaultdict(list)
    for office_id, closed, opens, closes, reason in (
        HoursOverride.objects.filter(city=city, date=day)
        .filter(Q(office__isnull=True) | Q(office_id__in=list(office_ids)))
        .order_by("opens")
        .values_list("office_id", "closed", "opens", "closes", "reason")
    ):
        overrides[office_id].append(OverrideEntry(closed=closed, opens=opens, closes=closes, reason=reason))
    weekly: dict[int, list[WeeklyEntry]] = defaultdict(list)
    for office_id, opens, closes in WeeklyHours.objects.filter(
        office_id__in=list(office_ids), weekday=day.weekday()
    ).values_list("office_id", "opens", "closes"):
        weekly[office_id].append(WeeklyEntry(weekday=day.weekday(), opens=opens, closes=closes))
    working = frozenset(int(d) for d in (city.working_weekdays or []))
    return {
        office_id: calendar.day_schedule(
            day,
            holidays=holidays,
            office_overrides=overrides.get(office_id, ()),
            city_overrides=overrides.get(None, ()),
            weekly=weekly.get(office_id, ()),
            working_weekdays=working,
        )
        for office_id in office_ids
    }


def _aggregate(rows: QuerySet[Any], moment: str) -> dict[int, tuple[int, datetime, datetime]]:
    return {
        row["office_id"]: (row["n"], row["first"], row["last"])
        for row in rows.order_by()
        .values("office_id")
        .annotate(n=Count("pk"), first=Min(moment), last=Max(moment))
    }


def _inside(*, moment: str, day: date, spans: Iterable[Span], tz: Any, grace: timedelta) -> Q:
    inside = Q(pk__in=[])
    for span in spans:
        opens = datetime.combine(day, span.opens, tzinfo=tz)
        closes = datetime.combine(day, span.closes, tzinfo=tz) + grace
        inside |= Q(**{f"{moment}__gte": opens, f"{moment}__lt": closes})
    return inside


def activity_outside_hours(*, city: City, day: date) -> list[ActivityRow]:
    """Activity at the city's offices on the local ``day`` outside each office's hours that day.

    Queries: one per kind to find the offices with any activity, three for their hours, then one
    per kind and distinct schedule among those offices (a day closed all day needs none: all of its
    activity is outside). Never one per office or per row.
    """
    start, end = day_window(city=city, day=day)
    tz = city_timezone(city=city)
    any_activity = {
        kind: _aggregate(source.rows(city=city, start=start, end=end), source.moment)
        for kind, source in SOURCES.items()
    }
    office_ids = sorted({office_id for found in any_activity.values() for office_id in found})
    if not office_ids:
        return []
    schedules = office_day_schedules(city=city, day=day, office_ids=office_ids)
    found_rows: list[ActivityRow] = []
    for kind, source in SOURCES.items():
        by_spans: dict[tuple[Span, ...], list[int]] = defaultdict(list)
        for office_id in any_activity[kind]:
            by_spans[schedules[office_id].spans].append(office_id)
        for spans, ids in by_spans.items():
            if not spans:
                outside = {office_id: any_activity[kind][office_id] for office_id in ids}
            else:
                inside = _inside(moment=source.moment, day=day, spans=spans, tz=tz, grace=CLOSING_GRACE[kind])
                outside = _aggregate(
                    source.rows(city=city, start=start, end=end).filter(office_id__in=ids).exclude(inside),
                    source.moment,
                )
            found_rows.extend(
                ActivityRow(office_id=office_id, activity=kind, count=n, first_at=first, last_at=last)
                for office_id, (n, first, last) in outside.items()
                if n
            )
    return sorted(found_rows, key=lambda row: (row.office_id, row.activity))


# --- who may see the supervision pages -----------------------------------------------------------


def city_roles_of(*, user: User | AnonymousUser, roles: Iterable[str]) -> dict[int, tuple[City, set[str]]]:
    """The cities where the user holds one of ``roles`` as a municipal role, with those roles."""
    wanted = set(roles)
    cities: dict[int, tuple[City, set[str]]] = {}
    for assignment in offices_staff_of(user=user):
        if assignment.office_id is None and assignment.role in wanted:
            cities.setdefault(assignment.city_id, (assignment.city, set()))[1].add(assignment.role)
    return cities


def offices_managed_by(*, user: User | AnonymousUser) -> list[Office]:
    """The offices the user is an active office manager of, in code order (any licence status)."""
    offices: dict[int, Office] = {}
    for assignment in offices_staff_of(user=user):
        if assignment.role == Role.OFFICE_MANAGER.value and assignment.office is not None:
            offices.setdefault(assignment.office.pk, assignment.office)
    return sorted(offices.values(), key=lambda office: (office.city_id, office.code))


def flags_page(
    *,
    city: City,
    day_from: date | None = None,
    day_to: date | None = None,
    office_code: str = "",
    activity: str = "",
    state: str = "open",
    page: int | str = 1,
    page_size: int = FLAGS_PAGE_SIZE,
) -> Page[ActivityFlag]:
    """The city's out-of-hours flags, newest day first; ``state`` is open (not reviewed), dismissed,
    violation or all. Two queries (count and page)."""
    flags = ActivityFlag.objects.filter(office__city=city).select_related(
        "office", "reviewed_by", "violation"
    )
    if day_from is not None:
        flags = flags.filter(day__gte=day_from)
    if day_to is not None:
        flags = flags.filter(day__lte=day_to)
    if office_code:
        flags = flags.filter(office__code=office_code)
    if activity:
        flags = flags.filter(activity=activity)
    if state == "open":
        flags = flags.filter(reviewed_at__isnull=True)
    elif state == "dismissed":
        flags = flags.filter(reviewed_at__isnull=False, violation__isnull=True)
    elif state == "violation":
        flags = flags.filter(violation__isnull=False)
    return Paginator(flags.order_by("-day", "office__code", "activity", "pk"), page_size).get_page(page)


def flag_of_city(*, city: City, pk: int) -> ActivityFlag | None:
    return (
        ActivityFlag.objects.select_related("office", "office__city").filter(office__city=city, pk=pk).first()
    )


# --- weekly hours and requests to change them ----------------------------------------------------

WEEKDAY_NAMES: Mapping[int, StrOrPromise] = {
    0: _("Monday"),
    1: _("Tuesday"),
    2: _("Wednesday"),
    3: _("Thursday"),
    4: _("Friday"),
    5: _("Saturday"),
    6: _("Sunday"),
}


@dataclass(frozen=True)
class WeekRow:
    """One weekday of a weekly schedule as people read it: its morning and evening shifts."""

    weekday: int
    morning: Span | None
    evening: Span | None

    @property
    def name(self) -> StrOrPromise:
        return WEEKDAY_NAMES[self.weekday]

    @property
    def closed(self) -> bool:
        return self.morning is None and self.evening is None


ShiftKey = tuple[int, str]  # (weekday, shift)


def week_rows(entries: Mapping[ShiftKey, Span]) -> list[WeekRow]:
    """A week (Saturday first) from its shifts keyed by (weekday, shift)."""
    return [
        WeekRow(
            weekday=weekday,
            morning=entries.get((weekday, Shift.MORNING.value)),
            evening=entries.get((weekday, Shift.EVENING.value)),
        )
        for weekday in PERSIAN_WEEK_ORDER
    ]


def _clock(text: str) -> time:
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


def schedule_entries(schedule: Iterable[Mapping[str, Any]]) -> dict[ShiftKey, Span]:
    """A stored request's schedule (already validated when submitted) keyed by (weekday, shift)."""
    return {
        (int(item["weekday"]), str(item["shift"])): Span(_clock(item["opens"]), _clock(item["closes"]))
        for item in schedule
    }


def weekly_entries_of(*, office_ids: Sequence[int]) -> dict[int, dict[ShiftKey, Span]]:
    """The approved weekly hours of these offices keyed by (weekday, shift): one query."""
    found: dict[int, dict[ShiftKey, Span]] = defaultdict(dict)
    for office_id, weekday, shift, opens, closes in WeeklyHours.objects.filter(
        office_id__in=list(office_ids)
    ).values_list("office_id", "weekday", "shift", "opens", "closes"):
        found[office_id][(weekday, shift)] = Span(opens, closes)
    return found


def office_week(*, office: Office) -> list[WeekRow]:
    """The office's approved week (Saturday first): one query."""
    return week_rows(weekly_entries_of(office_ids=[office.pk]).get(office.pk, {}))


def hours_requests_of_office(*, office: Office, limit: int = REQUESTS_SHOWN) -> list[HoursChangeRequest]:
    """The office's latest requests to change its hours, newest first: one query."""
    return list(
        HoursChangeRequest.objects.filter(office=office)
        .select_related("decided_by")
        .order_by("-requested_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class PendingRequestRow:
    """A pending request with the office's approved week and the proposed one, side by side."""

    request: HoursChangeRequest
    current: list[WeekRow]
    proposed: list[WeekRow]

    @property
    def days(self) -> list[tuple[WeekRow, WeekRow]]:
        return list(zip(self.current, self.proposed, strict=True))


def hours_requests_pending(*, city: City, limit: int = 50) -> list[PendingRequestRow]:
    """The city's requests awaiting a decision, oldest first, each with both weeks: two queries."""
    requests = list(
        HoursChangeRequest.objects.filter(office__city=city, status=HoursRequestStatus.PENDING)
        .select_related("office", "office__zone", "requested_by")
        .order_by("requested_at", "pk")[:limit]
    )
    current = weekly_entries_of(office_ids=[r.office_id for r in requests])
    return [
        PendingRequestRow(
            request=r,
            current=week_rows(current.get(r.office_id, {})),
            proposed=week_rows(schedule_entries(r.schedule)),
        )
        for r in requests
    ]


def hours_request_of_city(*, city: City, pk: int) -> HoursChangeRequest | None:
    return (
        HoursChangeRequest.objects.select_related("office", "office__city", "requested_by")
        .filter(office__city=city, pk=pk)
        .first()
    )


# --- licences near their end ---------------------------------------------------------------------


def licences_ending_between(*, first: date, last: date) -> QuerySet[OfficeLicence]:
    """Licences not revoked whose last valid day is in [first, last], with office and holder."""
    return (
        OfficeLicence.objects.filter(revoked_at__isnull=True, valid_until__range=(first, last))
        .select_related("office", "office__city", "holder")
        .order_by("valid_until", "pk")
    )


def manager_mobiles(*, office_ids: Iterable[int]) -> dict[int, list[str]]:
    """The mobile numbers of each office's active managers (account's, else the person's): one query."""
    found: dict[int, list[str]] = defaultdict(list)
    for office_id, mobile, person_mobile in (
        StaffAssignment.objects.filter(
            office_id__in=list(office_ids), role=Role.OFFICE_MANAGER.value, is_active=True
        )
        .order_by("pk")
        .values_list("office_id", "user__mobile", "user__person__mobile")
    ):
        number = mobile or person_mobile or ""
        if number and number not in found[office_id]:
            found[office_id].append(number)
    return found
