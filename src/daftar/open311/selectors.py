"""Reads of the Open311 face: jurisdictions, the services offered and their definitions, and
service requests as the public sees them (never the applicant or the reporter).

Service requests are the cases of the services offered through Open311 in the jurisdiction's city,
whichever way they were filed (online, at an office, or through Open311). Each list costs a fixed
number of queries however many requests it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.selectors import case_roles_of, workflow_of_version
from daftar.cases.tracking import display, is_well_formed, normalize_tracking_code
from daftar.catalog.intake import enum_choices, enum_title, field_order
from daftar.catalog.models import Channel, ServiceVersion
from daftar.catalog.selectors import service_current, services_current
from daftar.core.errors import InvalidValue, NotFound
from daftar.core.text import to_persian_digits
from daftar.offices.models import City
from daftar.offices.selectors import city_timezone
from daftar.workflow.definition import APPLICANT, Workflow

from .models import Open311Request
from .services import DESCRIPTION

WINDOW = timedelta(days=90)  # the spec's default span, and the longest one a query may ask for
MAX_RESULTS = 1000  # the spec's default cap: at most this many requests in one answer
MAX_IDS = 1000  # service_request_id values in one query
STATE_CHANGES = (EventKind.FILED, EventKind.ACTION, EventKind.AUTO)

# Municipal departments by code (ServiceVersion.department, Case.department); an unknown code is
# shown as it is.
DEPARTMENTS = {
    "urban_planning": _("Urban planning and architecture"),
    "business_affairs": _("Trade and business affairs"),
    "public_relations": _("Public relations and citizens' affairs"),
    "revenue": _("Revenue"),
    "urban_services": _("Urban services"),
    "civil_works": _("Civil works"),
    "traffic": _("Transport and traffic"),
    "real_estate": _("Real estate"),
    "office_supervision": _("Supervision of e-city service offices"),
}


# --- jurisdictions and services --------------------------------------------------------------------


def jurisdiction_city(*, jurisdiction_id: str | None) -> City:
    """The city a jurisdiction_id names (its code). Optional while one city is active."""
    code = (jurisdiction_id or "").strip()
    if code:
        city = City.objects.filter(code=code, is_active=True).first()
        if city is None:
            raise NotFound("open311.jurisdiction_unknown", _("jurisdiction_id was not found."))
        return city
    cities = list(City.objects.filter(is_active=True).order_by("pk")[:2])
    if len(cities) == 1:
        return cities[0]
    if not cities:
        raise NotFound("open311.no_jurisdiction", _("No jurisdiction is served here."))
    raise InvalidValue(
        "open311.jurisdiction_required",
        _("jurisdiction_id was not provided; this endpoint serves several jurisdictions."),
    )


def _is_offered(version: ServiceVersion) -> bool:
    return bool(version.open311) and Channel.ONLINE in (version.channels or [])


def services_offered() -> list[ServiceVersion]:
    """The services Open311 clients may file: published, in force, online, with an ``open311`` listing."""
    return [version for version in services_current(channel=Channel.ONLINE) if _is_offered(version)]


def service_offered(*, code: str) -> ServiceVersion | None:
    version = service_current(code=code)
    return version if version is not None and _is_offered(version) else None


def changeset() -> datetime | None:
    """When the offered services last changed (a newer published version), for discovery."""
    offered = [version.service_type_id for version in services_offered()]
    latest = ServiceVersion.objects.filter(service_type_id__in=offered).aggregate(latest=Max("published_at"))
    return latest["latest"]


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition, generated from the intake schema."""

    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[tuple[str, str]] | None = None  # (key, Persian name) for the list types


def _describe(code: str, spec: Mapping[str, Any], datatype: str) -> str | None:
    if datatype == "datetime":
        return gettext("ISO 8601 with its time zone offset, e.g. 2026-11-22T14:30:00+03:30")
    if spec.get("format") == "jalali_date":
        return gettext("A Solar Hijri date, e.g. 1405/09/01")
    if datatype == "number":
        low, high = spec.get("minimum"), spec.get("maximum")
        kind = gettext("A whole number") if spec.get("type") == "integer" else gettext("A number")
        if low is not None and high is not None:
            return gettext("%(kind)s from %(low)s to %(high)s") % {"kind": kind, "low": low, "high": high}
        return kind
    if datatype == "multivaluelist":
        return gettext("One or more keys from the list, each as attribute[%(code)s][]") % {"code": code}
    if datatype == "singlevaluelist":
        return gettext("One key from the list")
    limit = spec.get("maxLength")
    if limit:
        return gettext("At most %(count)s characters") % {"count": limit}
    return None


def _datatype(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if kind == "array":
        return "multivaluelist"
    if kind == "boolean" or spec.get("enum"):
        return "singlevaluelist"
    if kind in ("integer", "number"):
        return "number"
    if spec.get("format") == "datetime":
        return "datetime"
    if spec.get("x-multiline"):
        return "text"
    return "string"


def service_attributes(service: ServiceVersion) -> list[Attribute]:
    """The definition's attributes: every intake field but ``description`` (the standard parameter),
    in form order."""
    schema = service.intake_schema
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    attributes: list[Attribute] = []
    for name in field_order(schema):
        if name == DESCRIPTION:
            continue
        spec = properties[name]
        datatype = _datatype(spec)
        values: list[tuple[str, str]] | None = None
        if spec.get("type") == "boolean":
            values = [("true", gettext("Yes")), ("false", gettext("No"))]
        elif datatype in ("singlevaluelist", "multivaluelist"):
            values = [(str(choice), enum_title(spec, choice)) for choice in enum_choices(spec)]
        attributes.append(
            Attribute(
                code=name,
                datatype=datatype,
                required=name in required,
                datatype_description=_describe(name, spec, datatype),
                order=len(attributes) + 1,
                description=str(spec.get("title") or name),
                values=values,
            )
        )
    return attributes


# --- service requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilters:
    ids: list[str] | None = None  # service_request_id: overrides every other filter
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] | None = None  # {"open", "closed"}
    page: int = 1
    page_size: int = MAX_RESULTS


def requests_window(
    *, start: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The requested_datetime span searched: the last 90 days by default; 90 days from a lone
    start_date, up to a lone end_date; never longer than 90 days (the spec)."""
    moment = now or timezone.now()
    if start is None and end is None:
        return moment - WINDOW, moment
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise InvalidValue("open311.window_reversed", _("end_date is before start_date."))
    if end - start > WINDOW:
        raise InvalidValue(
            "open311.window_too_long", _("start_date and end_date may not span more than 90 days.")
        )
    return start, end


@dataclass(frozen=True)
class Note:
    datetime: str
    type: str
    status: str
    summary: str
    description: str | None


@dataclass(frozen=True)
class RequestRow:
    """One service request as GeoReport v2 shows it; nothing personal."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    extended_attributes: dict[str, Any] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


def iso(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def agency_name(city: City, department: str) -> str:
    label = DEPARTMENTS.get(department)
    return gettext("Municipality of %(city)s — %(department)s") % {
        "city": city.name_fa,
        "department": str(label) if label is not None else department,
    }


def service_notice(version: ServiceVersion) -> str:
    return gettext("To be dealt with within %(days)s working days.") % {
        "days": to_persian_digits(str(version.sla_working_days))
    }


def _answer(spec: Mapping[str, Any], value: Any) -> tuple[str, str]:
    """An intake answer as (value, Persian name)."""
    if isinstance(value, bool):
        return ("true", gettext("Yes")) if value else ("false", gettext("No"))
    if isinstance(value, list):
        return ",".join(str(item) for item in value), enum_title(spec, value)
    return str(value), enum_title(spec, value)


def _answers(version: ServiceVersion, data: Mapping[str, Any]) -> list[dict[str, str]]:
    properties = version.intake_schema.get("properties") or {}
    rows = []
    for name in field_order(version.intake_schema):
        if name == DESCRIPTION or data.get(name) in (None, "", []):
            continue
        value, label = _answer(properties[name], data[name])
        rows.append(
            {"code": name, "label": str(properties[name].get("title") or name), "value": value, "name": label}
        )
    return rows


def _notes(events: Sequence[CaseEvent], workflow: Workflow, tz: ZoneInfo) -> list[Note]:
    notes = []
    for event in events:
        state = workflow.states.get(event.to_state)
        if state is None:
            continue
        kind = {EventKind.FILED: "submitted", EventKind.AUTO: "auto"}.get(EventKind(event.kind), event.action)
        # What staff wrote for the citizen; a citizen's own words (a reopening reason) stay private.
        said = event.message if event.kind == EventKind.ACTION and event.actor_role != APPLICANT else ""
        notes.append(
            Note(
                datetime=iso(event.created_at, tz),
                type=kind or "action",
                status="closed" if state.terminal else "open",
                summary=state.name.get("fa", state.code),
                description=said or None,
            )
        )
    return notes


def _status_notes(case: Case, notes: list[Note], events: Sequence[CaseEvent], workflow: Workflow) -> str:
    """Why the request is where it is: staff's message on the change into the current state, else
    the state's Persian name."""
    if events and notes and events[-1].to_state == case.state and notes[-1].description:
        return notes[-1].description
    state = workflow.states.get(case.state)
    return state.name.get("fa", case.state) if state is not None else case.state


def _row(
    case: Case,
    *,
    version: ServiceVersion,
    workflow: Workflow,
    events: Sequence[CaseEvent],
    city: City,
    tz: ZoneInfo,
    record: Open311Request | None,
) -> RequestRow:
    notes = _notes(events, workflow, tz)
    closed = case.closed_at is not None
    updated = case.closed_at if case.closed_at is not None else case.updated_at
    expected = (
        iso(datetime.combine(case.due_date, time(23, 59, 59), tzinfo=tz), tz) if case.due_date else None
    )
    state = workflow.states.get(case.state)
    description = case.data.get(DESCRIPTION)
    return RequestRow(
        service_request_id=case.tracking_code,
        status="closed" if closed else "open",
        status_notes=_status_notes(case, notes, events, workflow),
        service_name=version.name_fa,
        service_code=case.service_type.code,
        description=str(description) if description not in (None, "") else None,
        agency_responsible=agency_name(city, case.department),
        service_notice=service_notice(version),
        requested_datetime=iso(case.created_at, tz),
        updated_datetime=iso(max(updated, case.created_at), tz),
        expected_datetime=expected,
        address=case.address or None,
        address_id=(record.address_id or None) if record is not None else None,
        zipcode=None,
        lat=float(case.latitude) if case.latitude is not None else None,
        long=float(case.longitude) if case.longitude is not None else None,
        media_url=(record.media_url or None) if record is not None else None,
        extended_attributes={
            "tracking_code": display(case.tracking_code),
            "state": case.state,
            "state_name": state.name.get("fa", case.state) if state is not None else case.state,
            "department": case.department,
            "department_name": str(DEPARTMENTS.get(case.department, case.department)),
            "district": case.zone.name if case.zone_id is not None and case.zone is not None else None,
            "channel": "open311" if record is not None else case.channel,
            "attributes": _answers(version, case.data),
        },
        notes=notes,
    )


def _rows(cases: list[Case], *, city: City) -> list[RequestRow]:
    if not cases:
        return []
    tz = city_timezone(city=city)
    versions = ServiceVersion.objects.in_bulk({case.service_version_id for case in cases})
    events: dict[int, list[CaseEvent]] = {case.pk: [] for case in cases}
    for event in CaseEvent.objects.filter(
        case_id__in=list(events), public=True, kind__in=STATE_CHANGES
    ).order_by("case_id", "seq"):
        events[event.case_id].append(event)
    workflows = {pk: workflow_of_version(version) for pk, version in versions.items()}
    rows = []
    for case in cases:
        try:
            record: Open311Request | None = getattr(case, "open311_request")  # noqa: B009 - reverse one-to-one
        except Open311Request.DoesNotExist:
            record = None
        rows.append(
            _row(
                case,
                version=versions[case.service_version_id],
                workflow=workflows[case.service_version_id],
                events=events[case.pk],
                city=city,
                tz=tz,
                record=record,
            )
        )
    return rows


def _requests_queryset(city: City, service_type_ids: Iterable[int]) -> Any:
    return (
        Case.objects.filter(city=city, service_type_id__in=list(service_type_ids))
        .select_related("service_type", "zone", "open311_request")
        .order_by("-created_at", "-pk")
    )


def requests_search(*, city: City, filters: RequestFilters, now: datetime | None = None) -> list[RequestRow]:
    """GET requests: newest first, at most ``page_size`` (≤ 1000) a page."""
    offered = {version.service_type_id for version in services_offered()}
    queryset = _requests_queryset(city, offered)
    if filters.ids is not None:
        codes = [
            code for code in (normalize_tracking_code(item) for item in filters.ids) if is_well_formed(code)
        ]
        queryset = queryset.filter(tracking_code__in=codes[:MAX_IDS])
    else:
        if filters.service_codes is not None:
            queryset = queryset.filter(service_type__code__in=filters.service_codes)
        if filters.statuses is not None and len(filters.statuses) == 1:
            queryset = queryset.filter(closed_at__isnull="open" in filters.statuses)
        start, end = requests_window(start=filters.start, end=filters.end, now=now)
        queryset = queryset.filter(Q(created_at__gte=start) & Q(created_at__lte=end))
    size = max(1, min(filters.page_size, MAX_RESULTS))
    offset = (max(1, filters.page) - 1) * size
    return _rows(list(queryset[offset : offset + size]), city=city)


def request_one(*, city: City, service_request_id: str) -> RequestRow | None:
    code = normalize_tracking_code(service_request_id)
    if not is_well_formed(code):
        return None
    offered = {version.service_type_id for version in services_offered()}
    case = _requests_queryset(city, offered).filter(tracking_code=code).first()
    return _rows([case], city=city)[0] if case is not None else None


def token_lookup(*, city: City, token: str) -> Open311Request | None:
    if not token or len(token) > 40:
        return None
    return Open311Request.objects.select_related("case").filter(city=city, token=token).first()


def open311_reporter_for(*, case: Case, user: User) -> Open311Request | None:
    """The reporter's details of a request filed through Open311, for the municipal staff who hold a
    role on the case (never the public, never the client application)."""
    roles = case_roles_of(case=case, user=user) - {APPLICANT}
    if not roles:
        return None
    return Open311Request.objects.filter(case=case).first()
