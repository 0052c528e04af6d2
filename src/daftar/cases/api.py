"""Cases API: file, read, act, inbox, search, rate. Thin: every rule lives in services/selectors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from ninja import Field, Header, Router, Schema
from ninja.responses import Status

from daftar.accounts.models import Person, PersonKind, User
from daftar.accounts.services import person_register
from daftar.catalog.selectors import service_current
from daftar.core.errors import Forbidden, NotFound, RateLimited
from daftar.offices.models import Office
from daftar.workflow.definition import APPLICANT

from .models import Case, CaseEvent
from .selectors import (
    RowsPage,
    case_actions_for,
    case_events_for,
    case_for_user,
    case_roles_of,
    case_track_public,
    cases_of_applicant,
    cases_search,
    inbox_for,
    workflow_of,
)
from .services import Location, case_act, case_file, case_rate
from .tracking import display

router = Router(tags=["cases"])


class ApplicantIn(Schema):
    national_code: str
    kind: str = "real"
    first_name: str = ""
    last_name: str = ""
    legal_name: str = ""
    mobile: str = ""


class LocationIn(Schema):
    # Both or neither: an address alone is enough for services whose location is point_or_address.
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str = ""


class FileIn(Schema):
    service: str = Field(..., description="service code, e.g. building.no_violation_certificate")
    channel: str = "office"
    office: str | None = Field(None, description="office code (required for the office channel)")
    applicant: ApplicantIn | None = Field(None, description="omit online: the caller files for themself")
    data: dict[str, Any]
    location: LocationIn | None = None


class EventOut(Schema):
    seq: int
    kind: str
    action: str
    from_state: str
    to_state: str
    actor: str | None
    public: bool
    message: str
    created_at: datetime


class CaseOut(Schema):
    tracking_code: str
    tracking_code_display: str
    service: str
    service_version: int
    service_name: str
    channel: str
    office: str | None
    applicant_name: str
    state: str
    state_name: dict[str, str]
    version: int
    data: dict[str, Any]
    due_date: date | None
    state_due_date: date | None
    overdue: bool
    outcome: str
    closed_at: datetime | None
    created_at: datetime
    your_roles: list[str]


class RowOut(Schema):
    tracking_code: str
    service: str
    service_name: str
    applicant_name: str
    office: str | None
    state: str
    state_name: dict[str, str]
    working_days_left: int | None
    overdue: bool
    escalated: bool
    version: int


class RowsOut(Schema):
    page: int
    pages: int
    count: int
    count_capped: bool = Field(
        False,
        description="More cases match than `count` (counting stops at 1,000, at 200 for a search; narrow it)",
    )
    results: list[RowOut]


class ActionOut(Schema):
    code: str
    name: dict[str, str]
    reason: str


class ActIn(Schema):
    action: str
    expected_version: int
    reason: str = ""
    payload: dict[str, Any] = {}


class RatingIn(Schema):
    rating: int
    comment: str = ""


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def case_out(case: Case, roles: set[str]) -> dict[str, Any]:
    return {
        "tracking_code": case.tracking_code,
        "tracking_code_display": display(case.tracking_code),
        "service": case.service_type.code,
        "service_version": case.service_version.number,
        "service_name": case.service_version.name_fa,
        "channel": case.channel,
        "office": case.office.code if case.office else None,
        "applicant_name": case.applicant.display_name,
        "state": case.state,
        "state_name": workflow_of(case).state(case.state).name,
        "version": case.version,
        "data": case.data,
        "due_date": case.due_date,
        "state_due_date": case.state_due_date,
        "overdue": case.overdue,
        "outcome": case.outcome,
        "closed_at": case.closed_at,
        "created_at": case.created_at,
        "your_roles": sorted(roles),
    }


def _rows_out(result: RowsPage) -> dict[str, Any]:
    return {
        "page": result.page.number,
        "pages": result.page.paginator.num_pages,
        "count": result.page.paginator.count,
        "count_capped": result.count_capped,
        "results": [
            {
                "tracking_code": row.case.tracking_code,
                "service": row.case.service_type.code,
                "service_name": row.case.service_version.name_fa,
                "applicant_name": row.case.applicant.display_name,
                "office": row.case.office.code if row.case.office else None,
                "state": row.case.state,
                "state_name": row.state_name,
                "working_days_left": row.working_days_left,
                "overdue": row.case.overdue,
                "escalated": row.case.escalated,
                "version": row.case.version,
            }
            for row in result.rows
        ],
    }


def visible_case(request: HttpRequest, code: str) -> tuple[Case, set[str]]:
    found = case_for_user(tracking_code=code, user=request.user)
    if found is None:  # unknown and not-yours look the same
        raise NotFound("case.not_found", _("No case with this tracking code was found."))
    return found


def _applicant(body: FileIn, user: User) -> Person:
    if body.channel == "online" or body.applicant is None:
        if user.person is None:
            raise Forbidden("case.no_person", _("Complete your profile before filing online."))
        return user.person
    given = body.applicant
    return person_register(
        kind=PersonKind(given.kind),
        national_code=given.national_code,
        first_name=given.first_name,
        last_name=given.last_name,
        legal_name=given.legal_name,
        mobile=given.mobile,
    )


@router.post("/cases", response={201: CaseOut}, summary="File a case (idempotent with Idempotency-Key)")
def file_case(
    request: HttpRequest, body: FileIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
) -> Status[dict[str, Any]]:
    user = _user(request)
    service = service_current(code=body.service)
    if service is None:
        raise NotFound("catalog.unknown_service", _("No service with this code is in force."))
    office = None
    if body.office:
        office = Office.objects.select_related("city").filter(code=body.office).first()
        if office is None:
            raise NotFound("office.not_found", _("No office with this code."))
    location = Location(**body.location.dict()) if body.location else None
    case = case_file(
        service=service,
        applicant=_applicant(body, user),
        office=office,
        channel=body.channel,
        data=body.data,
        actor=user,
        idempotency_key=idempotency_key,
        location=location,
    )
    return Status(201, case_out(case, case_roles_of(case=case, user=user)))


@router.get("/cases/{code}", response=CaseOut, summary="Read a case you have a role on")
def read_case(request: HttpRequest, code: str) -> dict[str, Any]:
    return case_out(*visible_case(request, code))


@router.get("/cases/{code}/actions", response=list[ActionOut], summary="Actions you may take now")
def case_actions(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    case, roles = visible_case(request, code)
    return [
        {"code": a.code, "name": a.name, "reason": a.reason} for a in case_actions_for(case=case, roles=roles)
    ]


@router.post(
    "/cases/{code}/act", response=CaseOut, summary="Take an action (optimistic: send the version you saw)"
)
def act(request: HttpRequest, code: str, body: ActIn) -> dict[str, Any]:
    case, _roles = visible_case(request, code)
    user = _user(request)
    case_act(
        case=case,
        action=body.action,
        actor=user,
        expected_version=body.expected_version,
        reason=body.reason,
        payload=body.payload,
    )
    return case_out(*visible_case(request, code))


@router.get(
    "/cases/{code}/timeline", response=list[EventOut], summary="Timeline (internal events for staff only)"
)
def timeline(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    case, roles = visible_case(request, code)
    events: list[CaseEvent] = list(case_events_for(case=case, roles=roles))
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor.get_full_name() or None if e.actor else None,
            "public": e.public,
            "message": e.message,
            "created_at": e.created_at,
        }
        for e in events
    ]


@router.post("/cases/{code}/rating", response=CaseOut, summary="Rate a closed case (applicant, once)")
def rate(request: HttpRequest, code: str, body: RatingIn) -> dict[str, Any]:
    case, _roles = visible_case(request, code)
    case_rate(case=case, actor=_user(request), rating=body.rating, comment=body.comment)
    return case_out(*visible_case(request, code))


@router.get("/inbox", response=RowsOut, summary="Cases waiting on your roles: overdue first")
def inbox(request: HttpRequest, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    return _rows_out(inbox_for(user=_user(request), page=page, page_size=page_size))


@router.get("/cases", response=RowsOut, summary="Search (staff) or your own cases (citizens)")
def search(request: HttpRequest, q: str = "", page: int = 1, page_size: int = 50) -> dict[str, Any]:
    user = _user(request)
    if q:
        return _rows_out(cases_search(user=user, query=q, page=page, page_size=page_size))
    return _rows_out(cases_of_applicant(user=user, page=page, page_size=page_size))


# --- public tracking -----------------------------------------------------------------------------


class TrackIn(Schema):
    tracking_code: str = Field(..., max_length=40)
    national_code: str = Field(..., max_length=20, description="the applicant's national code (or legal ID)")


class TrackEventOut(Schema):
    at: datetime
    kind: str
    state: str
    state_name: str
    message: str


class TrackOut(Schema):
    tracking_code: str
    tracking_code_display: str
    service_name: str
    state: str
    state_name: str
    filed_at: datetime
    due_date: date | None
    closed_at: datetime | None
    outcome: str
    timeline: list[TrackEventOut]


@router.post("/track", response=TrackOut, auth=None, summary="Public tracking: tracking code + national code")
def track(request: HttpRequest, body: TrackIn) -> dict[str, Any]:
    """What the tracking page shows, for apps and kiosks. In the body, so national codes stay out of
    URLs and logs; an unknown code and a wrong national code get the same 404; rate limited per address."""
    if is_ratelimited(
        request, group="case-track", key="ip", rate=settings.DAFTAR_CASE_TRACK_RATE_PER_IP, increment=True
    ):
        raise RateLimited("case.rate_limited", _("Too many requests; try again in a minute."), retry_after=60)
    case = case_track_public(tracking_code=body.tracking_code, national_code=body.national_code)
    if case is None:
        raise NotFound("case.not_found", _("No case with this tracking code was found."))
    workflow = workflow_of(case)

    def state_name(code: str) -> str:
        return workflow.state(code).name.get("fa", code) if code in workflow.states else ""

    events = (
        case_events_for(case=case, roles={APPLICANT})
        .select_related(None)
        .only("created_at", "kind", "to_state", "message", "public", "case_id")[:200]
    )
    return {
        "tracking_code": case.tracking_code,
        "tracking_code_display": display(case.tracking_code),
        "service_name": case.service_version.name_fa,
        "state": case.state,
        "state_name": state_name(case.state),
        "filed_at": case.created_at,
        "due_date": case.due_date,
        "closed_at": case.closed_at,
        "outcome": case.outcome,
        "timeline": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "state": e.to_state,
                "state_name": state_name(e.to_state) if e.to_state else "",
                "message": e.message,
            }
            for e in events
        ],
    }
