"""Following a case up besides workflow actions: adding information (a note on the timeline) and
reopening a resolved case within the days its service allows (``parameters.reopen``)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import local_today, tehran_date
from daftar.core.text import normalize_persian
from daftar.offices.selectors import working_days_add
from daftar.workflow.definition import APPLICANT

from .models import Case, EventKind, Outcome
from .selectors import case_roles_of, workflow_of
from .services import _enter_state, case_auto_advance_on_commit, case_event_append

NOTE_MAX = 4000
# Who may reopen for the applicant: the applicant online, or an operator of the office that filed it.
REOPEN_ROLES = frozenset({APPLICANT, "office_operator"})


def _text(value: str, *, code: str, message: object) -> str:
    text = normalize_persian(value or "", multiline=True)
    if not text:
        raise InvalidValue(code, str(message), fields={"text": [str(message)]})
    if len(text) > NOTE_MAX:
        too_long = _("At most %(count)d characters.") % {"count": NOTE_MAX}
        raise InvalidValue(code, too_long, fields={"text": [too_long]})
    return text


def case_note_add(*, case: Case, actor: User, text: str, public: bool = True) -> Case:
    """Add information to an open case: the applicant's notes are always on the public timeline;
    staff may keep theirs internal."""
    roles = case_roles_of(case=case, user=actor)
    if not roles:
        raise Forbidden("case.note_forbidden", _("You may not add information to this case."))
    clean = _text(text, code="case.note_empty", message=_("Write the information to add."))
    if case.closed_at is not None:
        raise Conflict("case.note_closed", _("The case is closed; reopen it to add information."))
    staff = bool(roles - {APPLICANT})
    case_event_append(
        case=case,
        kind=EventKind.NOTE,
        actor=actor,
        message=clean,
        public=public or not staff,
        actor_role=sorted(roles - {APPLICANT})[0] if staff else APPLICANT,
    )
    return case


def reopen_days(case: Case) -> int | None:
    """How many days after being resolved the case may be reopened (None: its service does not allow it)."""
    spec = (case.service_version.parameters or {}).get("reopen") or {}
    days = spec.get("days")
    return int(days) if isinstance(days, int) else None


def reopen_until(case: Case) -> date | None:
    """The last day the resolved case may be reopened, or None."""
    days = reopen_days(case)
    if days is None or case.closed_at is None or case.outcome != Outcome.APPROVED:
        return None
    return tehran_date(case.closed_at) + timedelta(days=days)


def case_reopen(*, case: Case, actor: User, reason: str, expected_version: int) -> Case:
    """Reopen a resolved case within its service's window: back to the state the catalogue names,
    the overall deadline counted afresh from today; the earlier rating is set aside."""
    roles = case_roles_of(case=case, user=actor) & REOPEN_ROLES
    if not roles:
        raise Forbidden("case.reopen_forbidden", _("Only the applicant may reopen the case."))
    clean = _text(reason, code="case.reopen_reason", message=_("Say why the case should be reopened."))
    with transaction.atomic():
        fresh = (
            Case.objects.select_for_update(of=("self",))
            .select_related("service_version", "city")
            .get(pk=case.pk)
        )
        if fresh.version != expected_version:
            raise Conflict(
                "case.stale", _("Someone else changed this case meanwhile; reload it and try again.")
            )
        last_day = reopen_until(fresh)
        if reopen_days(fresh) is None or fresh.closed_at is None or fresh.outcome != Outcome.APPROVED:
            raise Conflict(
                "case.reopen_unavailable", _("Only a resolved case whose service allows it can be reopened.")
            )
        today = local_today()
        if last_day is None or today > last_day:
            raise Conflict(
                "case.reopen_expired",
                _("The %(days)d days for reopening this case have passed.") % {"days": reopen_days(fresh)},
            )
        workflow = workflow_of(fresh)
        target = str(fresh.service_version.parameters["reopen"]["to"])
        origin = fresh.state
        _enter_state(fresh, workflow, target, today=today)
        fresh.closed_at, fresh.outcome = None, ""
        fresh.rating, fresh.rating_comment = None, ""
        fresh.due_date = working_days_add(
            city=fresh.city, start=today, days=fresh.service_version.sla_working_days
        )
        fresh.overdue = False
        fresh.version = F("version") + 1
        fresh.save()
        fresh.refresh_from_db()
        case_event_append(
            case=fresh,
            kind=EventKind.ACTION,
            actor=actor,
            action="reopen",
            from_state=origin,
            to_state=target,
            actor_role=sorted(roles)[0],
            public=True,
            message=clean,
        )
        case_auto_advance_on_commit(case_id=fresh.pk)
    return fresh
