"""Writes of case files: filing, acting, automatic transitions, the overdue sweep, rating.

Every function here is one transaction. ``case_file`` is idempotent per (filer, key);
``case_act`` is optimistic: the caller names the case version it saw, and of two people acting
on the same version exactly one wins (the other gets ``case.stale``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.catalog.intake import intake_validate
from daftar.catalog.models import Channel, ServiceVersion, VersionStatus
from daftar.core.errors import Conflict, Forbidden, InvalidValue, NotFound
from daftar.core.jalali import local_today
from daftar.core.text import normalize_for_search, normalize_persian
from daftar.offices.models import City, Office
from daftar.offices.selectors import (
    city_default,
    offices_staff_of,
    working_days_add,
    working_days_count,
    zone_for_point,
)
from daftar.workflow.definition import CORRECTION, RETURN, Workflow
from daftar.workflow.registry import EffectContext, effects, guards

from .models import Case, CaseEvent, EventKind
from .notifications import notify_case_filed, notify_correction_waiting
from .selectors import case_roles_of, workflow_of, workflow_of_version
from .tracking import tracking_code_new

logger = logging.getLogger(__name__)

MAX_AUTO_STEPS = 20
FILING_ROLES = {Role.OFFICE_OPERATOR.value, Role.OFFICE_MANAGER.value}

# Sent inside the filing's transaction once the case exists (case=Case, actor=User): engine parts
# above the cases app (billing issues the case's bill) hook in here; an error they raise undoes
# the filing.
case_filed = Signal()


@dataclass(frozen=True)
class Location:
    """Where the case is: a point on the map and its address; services whose location mode is
    ``point_or_address`` also take an address alone (a citizen report without a map)."""

    latitude: Decimal | None
    longitude: Decimal | None
    address: str = ""

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


# --- timeline ------------------------------------------------------------------------------------


def case_event_append(
    *,
    case: Case,
    kind: str,
    actor: User | None,
    message: str = "",
    public: bool = True,
    payload: Mapping[str, Any] | None = None,
    action: str = "",
    from_state: str = "",
    to_state: str = "",
    actor_role: str = "",
    first: bool = False,
) -> CaseEvent:
    """Append one timeline event. The case row is locked so sequence numbers never collide.

    ``first``: the case was inserted by the current transaction and has no event yet (filing), so
    no other transaction can see it: the event is number 1 without the lock and the look-up.
    """
    with transaction.atomic(savepoint=False):
        if first:
            last = 0
        else:
            Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
            last = CaseEvent.objects.filter(case_id=case.pk).aggregate(last=Max("seq"))["last"] or 0
        return CaseEvent.objects.create(
            case_id=case.pk,
            seq=last + 1,
            kind=kind,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            actor_role=actor_role,
            # Filing at an office is checked to be by its staff (_check_filer) before the first event.
            office=case.office if first and case.channel == Channel.OFFICE else _actor_office(actor, case),
            public=public,
            message=message,
            payload=dict(payload or {}),
        )


def _actor_office(actor: User | None, case: Case) -> Office | None:
    if actor is None or case.office_id is None:
        return None
    return case.office if offices_staff_of(user=actor).filter(office_id=case.office_id).exists() else None


# --- deadlines and states ------------------------------------------------------------------------


def _waiting_on(workflow: Workflow, state: str, *, escalated: bool) -> str:
    roles = sorted(workflow.roles_waiting(state, escalated=escalated))
    return f"|{'|'.join(roles)}|" if roles else ""


def _enter_state(case: Case, workflow: Workflow, target: str, *, today: date) -> None:
    """Move the case into ``target``: clock, deadlines, inbox roles, closing. Does not save."""
    previous = workflow.state(case.state)
    state = workflow.state(target)
    case.state = target
    case.state_entered_at = timezone.now()
    case.escalated = False
    if state.clock_paused:
        if case.paused_on is None:
            case.paused_on = today
            case.return_state = previous.code
            # Keep the interrupted state's own deadline so it can move on when the case returns.
            case.return_state_due_date = case.state_due_date
        case.state_due_date = None
    else:
        if case.paused_on is not None:
            paused = max(0, working_days_count(city=case.city, start=case.paused_on, end=today))
            if case.due_date is not None:
                case.due_date = working_days_add(city=case.city, start=case.due_date, days=paused)
            returning = case.return_state_due_date
            returning_to = case.return_state
            case.paused_on = None
            case.return_state = ""
            case.return_state_due_date = None
            # Back to the interrupted state: its own deadline, moved by the paused days. Onward to
            # another state (a paid bill moving the case on): that state's SLA from today.
            if target in (returning_to, previous.code):
                case.state_due_date = (
                    working_days_add(city=case.city, start=returning, days=paused) if returning else None
                )
            else:
                case.state_due_date = None
        else:
            case.state_due_date = None
        if state.sla_working_days is not None and case.state_due_date is None:
            case.state_due_date = working_days_add(city=case.city, start=today, days=state.sla_working_days)
    case.overdue = bool(
        case.due_date and case.due_date < today and not state.terminal and not state.clock_paused
    )
    if state.terminal:
        case.closed_at = timezone.now()
        case.outcome = state.outcome or ""
        case.waiting_on = ""
        case.state_due_date = None
    else:
        case.waiting_on = _waiting_on(workflow, target, escalated=False)
    case.updated_at = timezone.now()


def _run_effects(case: Case, names: tuple[str, ...], context: EffectContext) -> None:
    for name in names:
        effects.get(name)(case, context)


def _failed_guards(case: Case, names: tuple[str, ...]) -> list[str]:
    reasons = []
    for name in names:
        result = guards.get(name)(case)
        if not result.ok:
            reasons.append(str(result.reason))
    return reasons


# --- filing --------------------------------------------------------------------------------------


def _check_filer(
    *, service: ServiceVersion, applicant: Person, office: Office | None, channel: str, actor: User
) -> None:
    if channel not in service.channels:
        raise InvalidValue("case.channel", _("This service cannot be filed through this channel."))
    if channel == Channel.OFFICE:
        if office is None:
            raise InvalidValue("case.office_required", _("An office filing needs the office."))
        if not office.can_serve:
            raise Conflict(
                "case.office_inactive", _("This office's licence is not active; it cannot file cases.")
            )
        roles = {a.role for a in offices_staff_of(user=actor).filter(office=office)}
        if not roles & FILING_ROLES:
            raise Forbidden("case.not_office_staff", _("Only this office's staff may file cases at it."))
    elif channel == Channel.ONLINE:
        if actor.person_id != applicant.pk:
            raise Forbidden("case.not_applicant", _("Online, citizens file only in their own name."))
    else:
        raise InvalidValue("case.channel", _("Unknown channel."))


def _check_location(service: ServiceVersion, location: Location | None) -> None:
    if service.location == "required" and (location is None or not location.has_point):
        raise InvalidValue(
            "case.location_required",
            _("This service needs the location on the map."),
            fields={"location": [_("This field is required.")]},
        )
    if service.location == "point_or_address" and (
        location is None or not (location.has_point or location.address.strip())
    ):
        raise InvalidValue(
            "case.location_required",
            _("Mark the place on the map or write its address."),
            fields={"location": [_("This field is required.")]},
        )


def _record_links(service: ServiceVersion, data: Mapping[str, Any]) -> dict[str, str]:
    return {
        kind: str(data[field]) for kind, field in service.links.items() if data.get(field) not in (None, "")
    }


def _existing_for_key(actor: User, key: str, service: ServiceVersion) -> Case | None:
    existing = Case.objects.filter(filed_by=actor, idempotency_key=key).first()
    if existing is not None and existing.service_type_id != service.service_type_id:
        raise Conflict("case.idempotency_key_reused", _("This idempotency key was used for another request."))
    return existing


def case_file(
    *,
    service: ServiceVersion,
    applicant: Person,
    office: Office | None,
    channel: str,
    data: Mapping[str, Any],
    actor: User,
    idempotency_key: str | None = None,
    location: Location | None = None,
) -> Case:
    """File a case: validate, create it in its start state with its timeline entry, in one transaction.

    Idempotent: the same filer with the same key gets the same case back, even when two requests
    race (the database's unique index decides; the loser returns the winner's case).
    """
    key = (idempotency_key or "").strip()[:100] or None
    if key is not None and (existing := _existing_for_key(actor, key, service)) is not None:
        return existing
    today = local_today()
    if service.status != VersionStatus.PUBLISHED or not service.is_valid_on(today):
        raise Conflict("case.service_unavailable", _("This service is not available for filing today."))
    _check_filer(service=service, applicant=applicant, office=office, channel=channel, actor=actor)
    cleaned = intake_validate(service.intake_schema, data)
    _check_location(service, location)
    city = office.city if office is not None else _online_city()
    workflow = workflow_of_version(service)
    links = _record_links(service, cleaned)
    with transaction.atomic():
        case = Case(
            service_version=service,
            service_type=service.service_type,
            category_id=service.service_type.category_id,
            department=service.department,
            city=city,
            office=office,
            channel=channel,
            applicant=applicant,
            filed_by=actor,
            idempotency_key=key,
            data=cleaned,
            links=links,
            renewal_code=links.get("property", ""),
            applicant_name=normalize_for_search(applicant.display_name),
            state=workflow.start,
            due_date=working_days_add(city=city, start=today, days=service.sla_working_days),
        )
        if location is not None:
            case.address = normalize_persian(location.address, multiline=True)
            if location.latitude is not None and location.longitude is not None:
                case.latitude, case.longitude = location.latitude, location.longitude
                case.zone = zone_for_point(
                    city=city, latitude=float(location.latitude), longitude=float(location.longitude)
                )
        start = workflow.state(workflow.start)
        case.waiting_on = _waiting_on(workflow, workflow.start, escalated=False)
        if start.sla_working_days is not None:
            case.state_due_date = working_days_add(city=city, start=today, days=start.sla_working_days)
        _insert_with_fresh_code(case)
        if case.pk is None:  # lost an idempotency race: the winner's case is the answer
            winner = _existing_for_key(actor, key or "", service)
            assert winner is not None
            return winner
        for name in service.filing_guards or ():
            # In order, stopping at the first refusal (a later check may presume an earlier one);
            # raised inside the transaction, so the case and everything with it roll back.
            result = guards.get(name)(case)
            if not result.ok:
                raise Conflict("case.filing_refused", "%(reasons)s", {"reasons": str(result.reason)})
        case_event_append(
            case=case,
            kind=EventKind.FILED,
            actor=actor,
            to_state=workflow.start,
            actor_role=channel,
            message=service.name_fa,
            first=True,
        )
        case_filed.send(sender=Case, case=case, actor=actor)
        context = EffectContext(actor=actor, action="file", from_state="", to_state=workflow.start)
        _run_effects(case, start.effects_on_enter, context)
        if start.auto:  # a start state without automatic transitions has nothing to re-check
            case_auto_advance_on_commit(case_id=case.pk)
        notify_case_filed(case=case)
    if start.auto and not transaction.get_connection().in_atomic_block:
        case.refresh_from_db()  # committed, and the automatic transitions have run: answer with them
    return case


def _insert_with_fresh_code(case: Case, attempts: int = 8) -> None:
    for _attempt in range(attempts):
        case.tracking_code = tracking_code_new()
        try:
            with transaction.atomic():
                case.save(force_insert=True)
            return
        except IntegrityError:
            case.pk = None
            if (
                case.idempotency_key
                and Case.objects.filter(filed_by=case.filed_by, idempotency_key=case.idempotency_key).exists()
            ):
                return
    raise Conflict("case.tracking_code_exhausted", _("Could not allocate a tracking code; try again."))


def _online_city() -> City:
    """The city an online case belongs to: the default city (one city per deployment today)."""
    city = city_default()
    if city is None:
        raise NotFound("case.no_city", _("No city is configured."))
    return city


# --- acting --------------------------------------------------------------------------------------


def case_act(
    *,
    case: Case,
    action: str,
    actor: User,
    expected_version: int,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Case:
    """Take an action on a case: role and scope, guards, optimistic concurrency, timeline, effects,
    deadlines; automatic transitions are tried after commit."""
    with transaction.atomic():
        fresh = Case.objects.select_related("service_version", "city", "office", "applicant").get(pk=case.pk)
        if fresh.version != expected_version:
            raise Conflict(
                "case.stale", _("Someone else changed this case meanwhile; reload it and try again.")
            )
        workflow = workflow_of(fresh)
        state = workflow.state(fresh.state)
        act = state.actions.get(action)
        if act is None:
            raise Conflict(
                "case.action_unavailable", _("This action is not available in the case's current state.")
            )
        roles = workflow.may_take(
            act, case_roles_of(case=fresh, user=actor), state=state, escalated=fresh.escalated
        )
        if not roles:
            raise Forbidden("case.role", _("You may not take this action on this case."))
        text = normalize_persian(reason or "", multiline=True)
        if act.reason == "required" and not text:
            raise InvalidValue(
                "case.reason_required",
                _("A reason is required for this action."),
                fields={"reason": [_("This field is required.")]},
            )
        failed = _failed_guards(fresh, act.guards)
        if failed:
            raise Conflict("case.guard_failed", "%(reasons)s", {"reasons": " ".join(failed)})
        claimed = Case.objects.filter(pk=fresh.pk, version=expected_version).update(version=F("version") + 1)
        if not claimed:
            raise Conflict(
                "case.stale", _("Someone else changed this case meanwhile; reload it and try again.")
            )
        fresh.version = expected_version + 1
        origin = fresh.state
        target = fresh.return_state if act.to == RETURN else act.to
        _enter_state(fresh, workflow, target, today=local_today())
        fresh.save()
        case_event_append(
            case=fresh,
            kind=EventKind.ACTION,
            actor=actor,
            action=action,
            from_state=origin,
            to_state=target,
            actor_role=sorted(roles)[0],
            public=act.public,
            message=text,
            payload=dict(payload or {}),
        )
        context = EffectContext(
            actor=actor,
            action=action,
            from_state=origin,
            to_state=target,
            payload=dict(payload or {}),
            reason=text,
        )
        _run_effects(fresh, act.effects, context)
        _run_effects(fresh, workflow.state(target).effects_on_enter, context)
        case_auto_advance_on_commit(case_id=fresh.pk)
    return fresh


def case_auto_advance(*, case_id: int) -> Case:
    """Take every automatic transition whose guards now pass (as the system), one step at a time."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("service_version", "city")
            .get(pk=case_id)
        )
        workflow = workflow_of(case)
        for _step in range(MAX_AUTO_STEPS):
            state = workflow.state(case.state)
            chosen = next((a for a in state.auto if not _failed_guards(case, tuple(a["guards"]))), None)
            if chosen is None or state.terminal:
                break
            origin = case.state
            case.version += 1
            _enter_state(case, workflow, chosen["to"], today=local_today())
            case.save()
            case_event_append(
                case=case, kind=EventKind.AUTO, actor=None, from_state=origin, to_state=case.state
            )
            context = EffectContext(actor=None, action="", from_state=origin, to_state=case.state)
            _run_effects(case, tuple(chosen.get("effects") or ()), context)
            _run_effects(case, workflow.state(case.state).effects_on_enter, context)
        return case


def case_auto_advance_on_commit(*, case_id: int) -> None:
    """Re-check automatic transitions once the current transaction has committed (a fact changed)."""

    def run() -> None:
        try:
            case_auto_advance(case_id=case_id)
        except Exception:  # the triggering write is committed; log and let the sweep retry later
            logger.exception("automatic transition failed for case %s", case_id)

    transaction.on_commit(run)


# --- the overdue sweep ---------------------------------------------------------------------------


def cases_sweep_overdue(*, today: date | None = None, batch: int = 500) -> int:
    """Mark open, running cases past a deadline overdue and escalate them per their workflow.

    Returns how many cases were newly marked. Safe to run as often as wanted.
    """
    day = today or local_today()
    due = Q(state_due_date__lt=day) | Q(due_date__lt=day)
    marked = 0
    while True:
        ids = list(
            Case.objects.filter(
                due, closed_at__isnull=True, paused_on__isnull=True, overdue=False
            ).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return marked
        for case_id in ids:
            marked += int(case_escalate(case_id=case_id, reason="مهلت رسیدگی به پرونده گذشته است."))


def case_escalate(*, case_id: int, reason: str, payload: Mapping[str, Any] | None = None) -> bool:
    """Mark an open case overdue and open its state's actions to the escalation roles (if any).

    Returns False when the case was already overdue or is closed (nothing to do). The timeline
    gets an internal event naming why (a missed deadline, an overdue inquiry …).
    """
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("service_version").get(pk=case_id)
        if case.overdue or case.closed_at is not None:
            return False
        workflow = workflow_of(case)
        state = workflow.state(case.state)
        case.overdue = True
        if state.escalate_to:
            case.escalated = True
            case.waiting_on = _waiting_on(workflow, case.state, escalated=True)
        case.save(update_fields=["overdue", "escalated", "waiting_on", "updated_at"])
        case_event_append(
            case=case,
            kind=EventKind.OVERDUE,
            actor=None,
            public=False,
            message=reason,
            payload={"state": case.state, "escalated_to": list(state.escalate_to), **dict(payload or {})},
        )
        return True


# The applicant is reminded on these days (counted from when the case went back to them).
REMINDER_DAYS = (3, 7, 14)


def cases_remind_waiting_applicants(*, today: date | None = None) -> int:
    """Remind applicants whose case waits for their correction; at most once a day per case."""
    day = today or local_today()
    due = [day - timedelta(days=n) for n in REMINDER_DAYS]
    cases = Case.objects.filter(state=CORRECTION, closed_at__isnull=True, paused_on__in=due).select_related(
        "applicant"
    )
    sent = 0
    for case in cases.iterator(chunk_size=500):
        with transaction.atomic():
            notify_correction_waiting(case=case, today=day)
        sent += 1
    return sent


# --- closing -------------------------------------------------------------------------------------


def case_rate(*, case: Case, actor: User, rating: int, comment: str = "") -> Case:
    """The applicant rates a closed case once (1–5)."""
    if actor.person_id != case.applicant_id:
        raise Forbidden("case.rate_not_applicant", _("Only the applicant may rate the case."))
    if case.closed_at is None:
        raise Conflict("case.rate_open", _("A case can be rated once it is closed."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidValue(
            "case.rating_range",
            _("The rating is a whole number from 1 to 5."),
            fields={"rating": [_("The rating is a whole number from 1 to 5.")]},
        )
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, rating__isnull=True).update(
            rating=rating, rating_comment=normalize_persian(comment or "", multiline=True)[:2000]
        )
        if not updated:
            raise Conflict("case.already_rated", _("This case has already been rated."))
        case.refresh_from_db()
        case_event_append(
            case=case, kind=EventKind.RATED, actor=actor, public=True, payload={"rating": rating}
        )
    return case
