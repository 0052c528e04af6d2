"""How a case reads on a page: its intake data under the schema's Persian labels, and its timeline
in words. Pure presentation over what the selectors returned."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from daftar.accounts.roles import role_label
from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.selectors import workflow_of
from daftar.catalog.intake import enum_title, field_order
from daftar.core.i18n import pick
from daftar.workflow.definition import Workflow

from .intake_form import LTR_FORMATS


def page_query(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


@dataclass(frozen=True)
class IntakeRow:
    label: str
    value: str
    ltr: bool


def _shown(spec: Mapping[str, Any], value: Any) -> str:
    if spec.get("enum") or spec.get("type") == "array":
        return enum_title(spec, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def intake_rows(case: Case) -> list[IntakeRow]:
    """The case's intake data in form order, labelled with the titles of the version it was filed under."""
    return schema_rows(case.service_version.intake_schema or {}, case.data or {})


def schema_rows(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[IntakeRow]:
    """Values of an object schema (intake, the part of it an inquiry carries, an agency's answer)
    in the schema's order under its titles; names the schema does not know come last, as they are."""
    properties = schema.get("properties") or {}
    names = [name for name in field_order(schema) if name in data] + [n for n in data if n not in properties]
    rows = []
    for name in names:
        spec = properties.get(name) or {}
        value = data[name]
        if value is None or value == "":
            continue
        label = pick(str(spec.get("title") or name), str(spec.get("x-title-en") or ""))
        ltr = spec.get("format") in LTR_FORMATS or spec.get("type") in ("integer", "number")
        rows.append(
            IntakeRow(
                label=label,
                value=_shown(spec, value),
                ltr=bool(ltr and not (spec.get("enum") or spec.get("type") == "array")),
            )
        )
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    text: str
    state: str  # the Persian (or English) name of the state entered, if any
    message: str
    public: bool


def _state_name(workflow: Workflow, code: str) -> str:
    state = workflow.states.get(code)
    return pick(state.name.get("fa", code), state.name.get("en", "")) if state else code


def _action_name(workflow: Workflow, state_code: str, action: str) -> str:
    state = workflow.states.get(state_code)
    found = state.actions.get(action) if state else None
    return pick(found.name.get("fa", action), found.name.get("en", "")) if found else action


def _actor(event: CaseEvent, case: Case, *, staff_view: bool) -> str:
    actor = event.actor
    if actor is None:
        return _("System")
    if (
        actor.person_id is not None
        and actor.person_id == case.applicant_id
        and event.actor_role in ("", "online", "applicant")
    ):
        return _("Applicant")
    role = role_label(event.actor_role) if event.actor_role not in ("", "office", "online") else ""
    if staff_view:
        name = actor.get_full_name() or str(actor)
        return f"{name} ({role})" if role else name
    if role:
        return role
    if event.office is not None:
        return event.office.name
    return _("Municipality")


def _text(event: CaseEvent, workflow: Workflow, case: Case) -> str:
    kind = event.kind
    if kind == EventKind.FILED:
        if case.office is not None and event.actor_role == "office":
            return _("Case filed at %(office)s") % {"office": case.office.name}
        return _("Case filed online")
    if kind == EventKind.ACTION:
        return _action_name(workflow, event.from_state, event.action)
    if kind == EventKind.AUTO:
        return _("Moved on automatically")
    if kind == EventKind.OVERDUE:
        return _("Deadline passed")
    if kind == EventKind.RATED:
        return _("Rated %(rating)s out of 5") % {"rating": (event.payload or {}).get("rating", "")}
    if kind == EventKind.OUTPUT:
        return event.message or _("Output issued")
    return event.message or kind


def timeline(case: Case, events: Iterable[CaseEvent], *, staff_view: bool) -> list[TimelineEntry]:
    workflow = workflow_of(case)
    entries = []
    for event in events:
        text = _text(event, workflow, case)
        # An action's reason is shown beside it; other kinds' message already is the text.
        message = event.message if event.kind == EventKind.ACTION else ""
        entries.append(
            TimelineEntry(
                at=event.created_at,
                actor=_actor(event, case, staff_view=staff_view),
                text=text,
                state=_state_name(workflow, event.to_state) if event.to_state else "",
                message=message,
                public=event.public,
            )
        )
    return entries
