"""Every write of the counter queue: issuing tickets, calling them to a counter, serving them.

Each function is keyword-only and one transaction. Numbering is race-safe: a per office, group
and day counter row is bumped with an UPDATE (F() + 1), which concurrent kiosks wait on, and a
unique constraint backs it. Calling is race-safe too: a ticket moves from waiting to called only by
a conditional UPDATE (``WHERE status = 'waiting'``), so two counters never get the same ticket.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.offices.models import Office

from .models import Ticket, TicketKind, TicketSequence, TicketStatus
from .selectors import counter_current, group_by_code, office_local_day, queue_roles_of, tickets_in_call_order
from .signals import announce

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from daftar.accounts.models import User

MAX_REFERENCE_LENGTH = 32
_CALL_ATTEMPTS = 5
_CANDIDATES = 5


def _require_staff(*, office: Office, actor: User | AnonymousUser) -> None:
    if not queue_roles_of(user=actor, office=office):
        raise Forbidden("queue.not_office_staff", _("Only the staff of this office may work its queue."))


def _next_number(*, office: Office, day: date, group: str) -> int:
    sequence, _created = TicketSequence.objects.get_or_create(office=office, day=day, group=group)
    TicketSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    return TicketSequence.objects.values_list("last", flat=True).get(pk=sequence.pk)


@transaction.atomic
def ticket_issue(
    *,
    office: Office,
    group: str,
    kind: Literal["walk_in", "booking"],
    reference: str = "",
    due_at: datetime | None = None,
) -> Ticket:
    """A numbered ticket for today's queue of ``group`` at the office ("B-012").

    ``kind`` is "walk_in" or "booking"; a booking gives its code as ``reference`` and its slot
    start as ``due_at``. Issuing a booking's ticket again on the same day returns the first one.
    """
    queue_group = group_by_code(group)
    reference = (reference or "").strip()
    if kind not in TicketKind.values:
        raise InvalidValue("queue.kind", _("A ticket is either for a walk-in or for a booking."))
    if kind == TicketKind.BOOKING and not reference:
        raise InvalidValue("queue.reference_required", _("A booking's ticket needs the booking code."))
    if kind == TicketKind.WALK_IN and (reference or due_at is not None):
        raise InvalidValue("queue.walk_in_reference", _("A walk-in ticket has no booking code or time."))
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidValue("queue.reference_length", _("The booking code is too long."))
    if due_at is not None and (due_at.tzinfo is None or due_at.utcoffset() is None):
        raise InvalidValue("queue.naive_due_at", _("The booking time must carry its time zone."))
    if not office.can_serve:
        raise Conflict("queue.office_not_serving", _("This office cannot give queue tickets now."))
    now = timezone.now()
    day = office_local_day(office=office, at=now)
    if kind == TicketKind.BOOKING:
        existing = Ticket.objects.filter(office=office, day=day, kind=kind, reference=reference).first()
        if existing is not None:
            return existing
    number = _next_number(office=office, day=day, group=queue_group.code)
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                office=office,
                day=day,
                group=queue_group.code,
                number=number,
                label=f"{queue_group.letter}-{number:03d}",
                kind=kind,
                reference=reference,
                due_at=due_at,
                issued_at=now,
            )
    except IntegrityError:
        # The same booking checked in twice at once: the other check-in's ticket is the one.
        existing = Ticket.objects.filter(office=office, day=day, kind=kind, reference=reference).first()
        if kind != TicketKind.BOOKING or existing is None:
            raise
        return existing
    announce(ticket, "issued")
    return ticket


def _check_counter(*, office: Office, counter: int) -> None:
    if (
        isinstance(counter, bool)
        or not isinstance(counter, int)
        or not 1 <= counter <= max(1, office.counters)
    ):
        raise InvalidValue(
            "queue.counter",
            _("Choose a counter from 1 to %(counters)s."),
            {"counters": max(1, office.counters)},
        )


@transaction.atomic
def ticket_call_next(
    *, office: Office, counter: int, actor: User | AnonymousUser, groups: list[str] | None = None
) -> Ticket | None:
    """Call the next ticket to ``counter``; None when nobody is waiting (in ``groups``, if given).

    Order: bookings due within ±10 minutes of now (or past due), by slot time; then everyone else
    by issue time. A ticket already called to this counter and not yet started is called again
    (a recall) instead; a ticket being served must be finished first.
    """
    _require_staff(office=office, actor=actor)
    _check_counter(office=office, counter=counter)
    if groups is not None:
        groups = [group_by_code(code).code for code in groups]
    now = timezone.now()
    day = office_local_day(office=office, at=now)
    current = counter_current(office=office, counter=counter, day=day)
    if current is not None and current.status == TicketStatus.SERVING:
        raise Conflict(
            "queue.counter_busy",
            _("Ticket %(label)s is being served at this counter: finish it first."),
            {"label": current.label},
        )
    if current is not None:
        return _recall(ticket=current, now=now)
    for _attempt in range(_CALL_ATTEMPTS):
        candidates = tickets_in_call_order(office=office, day=day, now=now, groups=groups, limit=_CANDIDATES)
        if not candidates:
            return None
        for ticket in candidates:
            taken = Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED,
                counter=counter,
                called_at=now,
                announced_at=now,
                called_by=actor,
            )
            if taken:
                ticket.refresh_from_db()
                announce(ticket, "called")
                return ticket
        # Every candidate was taken by another counter meanwhile: look again.
    raise Conflict("queue.busy", _("The queue is very busy right now. Please try again."))


def _recall(*, ticket: Ticket, now: datetime) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(announced_at=now)
    ticket.refresh_from_db()
    announce(ticket, "recalled")
    return ticket


def _move(
    *, ticket: Ticket, actor: User | AnonymousUser, source: str, event: str, **changes: object
) -> Ticket:
    _require_staff(office=ticket.office, actor=actor)
    moved = Ticket.objects.filter(pk=ticket.pk, status=source).update(**changes)
    ticket.refresh_from_db()
    if not moved:
        raise Conflict(
            "queue.wrong_status",
            _("Ticket %(label)s is %(status)s; it cannot be changed that way."),
            {"label": ticket.label, "status": ticket.get_status_display()},
        )
    announce(ticket, event)
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket, actor: User | AnonymousUser) -> Ticket:
    """Call a called ticket again (its holder has not come to the counter yet)."""
    now = timezone.now()
    return _move(ticket=ticket, actor=actor, source=TicketStatus.CALLED, event="recalled", announced_at=now)


@transaction.atomic
def ticket_start(*, ticket: Ticket, actor: User | AnonymousUser) -> Ticket:
    """The holder of a called ticket came to the counter: service starts."""
    now = timezone.now()
    return _move(
        ticket=ticket,
        actor=actor,
        source=TicketStatus.CALLED,
        event="started",
        status=TicketStatus.SERVING,
        started_at=now,
    )


@transaction.atomic
def ticket_finish(*, ticket: Ticket, actor: User | AnonymousUser) -> Ticket:
    """Service at the counter is over."""
    now = timezone.now()
    return _move(
        ticket=ticket,
        actor=actor,
        source=TicketStatus.SERVING,
        event="finished",
        status=TicketStatus.DONE,
        finished_at=now,
    )


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, actor: User | AnonymousUser) -> Ticket:
    """A called ticket's holder did not come to the counter."""
    now = timezone.now()
    return _move(
        ticket=ticket,
        actor=actor,
        source=TicketStatus.CALLED,
        event="no_show",
        status=TicketStatus.NO_SHOW,
        finished_at=now,
    )
