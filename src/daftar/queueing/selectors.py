"""Reads of the counter queue: groups, the call order, a ticket's place, the display, day figures."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.roles import Role
from daftar.core.errors import NotFound
from daftar.offices.models import Office
from daftar.offices.selectors import city_default, city_timezone, offices_staff_of

from .groups import QueueGroup, queue_groups_load
from .models import Ticket, TicketKind, TicketStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from daftar.accounts.models import User

# A booking is served at its time: from this long before its slot start it goes ahead of walk-ins.
DUE_WINDOW = timedelta(minutes=10)
# Counters that called someone within this span count as serving, for estimated waits.
ACTIVE_COUNTER_SPAN = timedelta(minutes=60)
QUEUE_ROLES = frozenset({Role.OFFICE_OPERATOR.value, Role.OFFICE_MANAGER.value})
MAX_WAITING_LIST = 200
MAX_TICKETS_PER_DAY = 20_000
DISPLAY_RECENT = 6
OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)


# --- groups -----------------------------------------------------------------------------------------


def queue_groups() -> list[QueueGroup]:
    """The queue groups of ``settings.DAFTAR_CATALOG_DIR``, in kiosk order (loaded once, validated)."""
    return list(queue_groups_load(Path(settings.DAFTAR_CATALOG_DIR)))


def group_by_code(code: str) -> QueueGroup:
    for group in queue_groups():
        if group.code == code:
            return group
    raise NotFound("queue.unknown_group", _("There is no such queue group."))


def group_of_category(code: str) -> QueueGroup:
    """The group that serves a service category (a code of catalog/categories.yaml)."""
    for group in queue_groups():
        if code in group.categories:
            return group
    raise NotFound("queue.unknown_category", _("No queue group serves this service category."))


# --- offices and staff ------------------------------------------------------------------------------


def office_local_day(*, office: Office, at: datetime | None = None) -> date:
    """The office's calendar date (in its city's time zone) at ``at`` (now by default)."""
    return (at or timezone.now()).astimezone(city_timezone(city=office.city)).date()


def office_for_queue(*, code: str) -> Office:
    """The default city's office with this code (the kiosk, display and counter pages' office)."""
    city = city_default()
    office = (
        Office.objects.select_related("city").filter(city=city, code=code).first()
        if city is not None
        else None
    )
    if office is None:
        raise NotFound("queue.unknown_office", _("There is no office with this code."))
    return office


def queue_roles_of(*, user: User | AnonymousUser, office: Office) -> set[str]:
    """The user's active queue roles (office_operator, office_manager) at this office."""
    return {a.role for a in offices_staff_of(user=user) if a.office_id == office.pk and a.role in QUEUE_ROLES}


# --- the call order ---------------------------------------------------------------------------------


def _waiting(*, office: Office, day: date, groups: Iterable[str] | None) -> QuerySet[Ticket]:
    queryset = Ticket.objects.filter(office=office, day=day, status=TicketStatus.WAITING)
    return queryset.filter(group__in=list(groups)) if groups is not None else queryset


def _due(now: datetime) -> Q:
    return Q(kind=TicketKind.BOOKING, due_at__lte=now + DUE_WINDOW)


def tickets_in_call_order(
    *, office: Office, day: date, now: datetime, groups: Iterable[str] | None = None, limit: int = 50
) -> list[Ticket]:
    """Waiting tickets in the order a counter calls them: bookings due within ±10 minutes (or past due)
    first, by slot time; then everyone else (walk-ins, early bookings) by issue time. Two queries."""
    limit = max(0, min(limit, MAX_WAITING_LIST))
    waiting = _waiting(office=office, day=day, groups=groups)
    due = list(waiting.filter(_due(now)).order_by("due_at", "issued_at", "pk")[:limit])
    rest = (
        list(waiting.exclude(_due(now)).order_by("issued_at", "pk")[: limit - len(due)])
        if limit > len(due)
        else []
    )
    return due + rest


def counter_current(*, office: Office, counter: int, day: date | None = None) -> Ticket | None:
    """The ticket at this counter today: called and not yet started, or being served."""
    return (
        Ticket.objects.filter(
            office=office,
            day=day or office_local_day(office=office),
            counter=counter,
            status__in=(TicketStatus.CALLED, TicketStatus.SERVING),
        )
        .order_by("-announced_at", "-pk")
        .first()
    )


def ticket_of_booking(*, office: Office, reference: str, day: date | None = None) -> Ticket | None:
    """The ticket a checked-in booking got today (found by its booking code)."""
    return Ticket.objects.filter(
        office=office,
        kind=TicketKind.BOOKING,
        reference=reference,
        day=day or office_local_day(office=office),
    ).first()


def counters_serving(*, office: Office, now: datetime | None = None) -> int:
    """How many counters are working: those that called someone within the last hour; before anyone
    is called, all of the office's counters. Always at least one."""
    now = now or timezone.now()
    active = (
        Ticket.objects.filter(
            office=office,
            day=office_local_day(office=office, at=now),
            announced_at__gte=now - ACTIVE_COUNTER_SPAN,
        )
        .order_by()
        .values("counter")
        .distinct()
        .count()
    )
    return max(1, min(active, office.counters) if active else office.counters)


def estimated_minutes(*, waiting: int, minutes: int, counters: int) -> int:
    """Waiting × the group's minutes ÷ the counters serving, rounded up."""
    return math.ceil(waiting * minutes / max(1, counters))


@dataclass(frozen=True)
class TicketPosition:
    ahead: int  # waiting tickets of the same group called before this one
    wait_minutes: int


def ticket_position(*, ticket: Ticket, now: datetime | None = None) -> TicketPosition:
    """Where a waiting ticket stands in its group's queue, and a rough wait."""
    now = now or timezone.now()
    if ticket.status != TicketStatus.WAITING:
        return TicketPosition(ahead=0, wait_minutes=0)
    waiting = _waiting(office=ticket.office, day=ticket.day, groups=[ticket.group]).exclude(pk=ticket.pk)
    if ticket.kind == TicketKind.BOOKING and ticket.due_at is not None and ticket.due_at <= now + DUE_WINDOW:
        due_before = Q(due_at__lt=ticket.due_at) | Q(due_at=ticket.due_at, issued_at__lt=ticket.issued_at)
        ahead = waiting.filter(_due(now)).filter(due_before).count()
    else:
        earlier = Q(issued_at__lt=ticket.issued_at) | Q(issued_at=ticket.issued_at, pk__lt=ticket.pk)
        ahead = waiting.filter(_due(now) | (~_due(now) & earlier)).count()
    minutes = group_by_code(ticket.group).minutes
    counters = counters_serving(office=ticket.office, now=now)
    return TicketPosition(
        ahead=ahead, wait_minutes=estimated_minutes(waiting=ahead, minutes=minutes, counters=counters)
    )


# --- the waiting-room display -----------------------------------------------------------------------


@dataclass(frozen=True)
class CalledLine:
    label: str
    counter: int
    group: str
    status: str
    announced_at: datetime


@dataclass(frozen=True)
class GroupLine:
    code: str
    letter: str
    name: str
    waiting: int
    wait_minutes: int


@dataclass(frozen=True)
class QueueDisplay:
    """What a waiting room may see: ticket numbers, counters and counts, never who holds a ticket."""

    office_code: str
    office_name: str
    called: tuple[CalledLine, ...]
    groups: tuple[GroupLine, ...]
    counters_serving: int

    def as_json(self) -> dict[str, Any]:
        return {
            "office": {"code": self.office_code, "name": self.office_name},
            "called": [
                {
                    "label": c.label,
                    "counter": c.counter,
                    "group": c.group,
                    "status": c.status,
                    "at": c.announced_at.isoformat(),
                }
                for c in self.called
            ],
            "groups": [
                {
                    "code": g.code,
                    "letter": g.letter,
                    "name": g.name,
                    "waiting": g.waiting,
                    "wait_minutes": g.wait_minutes,
                }
                for g in self.groups
            ],
            "counters_serving": self.counters_serving,
        }


def display_for(*, office: Office, recent: int = DISPLAY_RECENT) -> QueueDisplay:
    """The last tickets called (newest first) with their counters, and per group the people waiting and
    the estimated wait (waiting × group minutes ÷ counters serving). Three queries."""
    now = timezone.now()
    day = office_local_day(office=office, at=now)
    called = (
        Ticket.objects.filter(
            office=office, day=day, status__in=(TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.DONE)
        )
        .order_by("-announced_at", "-pk")
        .values_list("label", "counter", "group", "status", "announced_at")[: max(0, min(recent, 20))]
    )
    waiting = Counter(
        dict(
            Ticket.objects.filter(office=office, day=day, status=TicketStatus.WAITING)
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values_list("group", "n")
        )
    )
    counters = counters_serving(office=office, now=now)
    return QueueDisplay(
        office_code=office.code,
        office_name=office.name,
        called=tuple(
            CalledLine(label=label, counter=counter or 0, group=group, status=status, announced_at=at or now)
            for label, counter, group, status, at in called
        ),
        groups=tuple(
            GroupLine(
                code=g.code,
                letter=g.letter,
                name=g.name,
                waiting=waiting[g.code],
                wait_minutes=estimated_minutes(waiting=waiting[g.code], minutes=g.minutes, counters=counters),
            )
            for g in queue_groups()
        ),
        counters_serving=counters,
    )


# --- day figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    count: int
    average: timedelta | None
    median: timedelta | None

    @classmethod
    def of(cls, values: list[timedelta]) -> Durations:
        if not values:
            return cls(count=0, average=None, median=None)
        seconds = [v.total_seconds() for v in values]
        return cls(
            count=len(values),
            average=timedelta(seconds=round(statistics.fmean(seconds))),
            median=timedelta(seconds=round(statistics.median(seconds))),
        )


@dataclass(frozen=True)
class GroupDayStats:
    code: str
    name: str
    issued: int
    served: int
    no_shows: int
    waiting: Durations


@dataclass(frozen=True)
class DayStats:
    """One office's queue on one day: tickets per kind, waits (issued → called), service times
    (started → finished) and no-shows; ``open`` counts tickets still waiting or at a counter."""

    day: date
    issued: int
    walk_ins: int
    bookings: int
    served: int
    no_shows: int
    open: int
    waiting: Durations
    service: Durations
    groups: tuple[GroupDayStats, ...]


def office_day_stats(*, office: Office, day: date) -> DayStats:
    """The day's figures for one office, from one bounded query."""
    rows = list(
        Ticket.objects.filter(office=office, day=day)
        .order_by("pk")
        .values_list("group", "kind", "status", "issued_at", "called_at", "started_at", "finished_at")[
            :MAX_TICKETS_PER_DAY
        ]
    )
    waits: dict[str, list[timedelta]] = {}
    services: list[timedelta] = []
    issued: Counter[str] = Counter()
    served: Counter[str] = Counter()
    no_shows: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    still_open = 0
    for group, kind, status, issued_at, called_at, started_at, finished_at in rows:
        issued[group] += 1
        kinds[kind] += 1
        if called_at is not None:
            waits.setdefault(group, []).append(called_at - issued_at)
        if status == TicketStatus.DONE:
            served[group] += 1
            if started_at is not None and finished_at is not None:
                services.append(finished_at - started_at)
        elif status == TicketStatus.NO_SHOW:
            no_shows[group] += 1
        elif status in OPEN_STATUSES:
            still_open += 1
    known = {g.code: g for g in queue_groups()}
    codes = [code for code in known if issued[code]] + sorted(code for code in issued if code not in known)
    return DayStats(
        day=day,
        issued=len(rows),
        walk_ins=kinds[TicketKind.WALK_IN],
        bookings=kinds[TicketKind.BOOKING],
        served=sum(served.values()),
        no_shows=sum(no_shows.values()),
        open=still_open,
        waiting=Durations.of([w for values in waits.values() for w in values]),
        service=Durations.of(services),
        groups=tuple(
            GroupDayStats(
                code=code,
                name=known[code].name if code in known else code,
                issued=issued[code],
                served=served[code],
                no_shows=no_shows[code],
                waiting=Durations.of(waits.get(code, [])),
            )
            for code in codes
        ),
    )
