"""Office licensing for everyone: the licence's conditions and the open calls (``licensing/``), every
call (``licensing/calls/``), the public register of offices (``register/``) and the eligibility panel
the case page shows on a licence application. Staff forms are in ``views_licensing_staff``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.accounts.roles import ROLE_BY_CODE, Scope
from daftar.cases.models import Case
from daftar.catalog.models import ServiceVersion
from daftar.catalog.selectors import service_current
from daftar.core.i18n import is_english, pick
from daftar.core.jalali import PERSIAN_WEEK_ORDER, WEEKDAY_NAMES_FA, local_today
from daftar.core.text import normalize_persian, to_latin_digits
from daftar.licensing.eligibility import (
    DEFAULT_EQUIPMENT,
    DEFAULT_PASS_MARK,
    GROUP_LABELS,
    RULES,
    RuleContext,
    RuleStatus,
    rules_of,
)
from daftar.licensing.models import (
    ApplicationCall,
    Assessment,
    AssessmentKind,
    BuildingUse,
    LicenceApplication,
    SiteVisit,
    SiteVisitPhoto,
)
from daftar.licensing.selectors import (
    REGISTER_PAGE_SIZE,
    QuotaRow,
    application_of,
    calls_open,
    calls_public,
    calls_quota_rows,
    register_entry,
    register_search,
)
from daftar.licensing.services import INSPECTOR_ROLES, LICENSING_ROLES
from daftar.offices.models import City, LicenceStatus, Office, WeeklyHours
from daftar.offices.selectors import city_default
from daftar.workflow.definition import APPLICANT

from .forms_licensing import (
    ApplicantKindForm,
    AssessmentRecordForm,
    AssessmentScheduleForm,
    RegisterSearchForm,
    jalali_datetime_text,
)
from .templatetags.daftar import jdate
from .views import ratelimited

LICENCE_SERVICE = "licensing.office_licence"
OPEN_CALLS_SHOWN = 10
PUBLIC_CALLS_SHOWN = 40
ASSESSMENT_RULE = {
    AssessmentKind.EXAM: "applicant_passed_exam",
    AssessmentKind.INTERVIEW: "applicant_passed_interview",
}


def _city() -> City:
    city = city_default()
    if city is None:
        raise Http404
    return city


def _join(items: Iterable[str]) -> str:
    return (", " if is_english() else "، ").join(items)


def schema_title(schema: Mapping[str, Any], name: str) -> str:
    """A property's title in the intake schema; for a course «…», only the course's name."""
    spec = (schema.get("properties") or {}).get(name) or {}
    title = pick(str(spec.get("title") or name), str(spec.get("x-title-en") or ""))
    if "«" in title and "»" in title:
        return title[title.index("«") + 1 : title.index("»")]
    return title


def _enum_title(schema: Mapping[str, Any], name: str, value: str) -> str:
    spec = (schema.get("properties") or {}).get(name) or {}
    values = [str(v) for v in spec.get("enum") or []]
    titles = [str(t) for t in spec.get("x-enum-titles") or []]
    if value in values and len(titles) == len(values):
        return titles[values.index(value)]
    return value


def equipment_items(service: ServiceVersion) -> list[tuple[str, str]]:
    """(name, title) of each equipment item the premises must have, per the service's parameters."""
    params = (service.parameters or {}).get("premises_equipped") or {}
    names = [str(n) for n in params.get("required") or DEFAULT_EQUIPMENT]
    schema = service.intake_schema or {}
    return [(name, schema_title(schema, name)) for name in names]


def pass_mark_of(service: ServiceVersion, kind: str) -> Decimal:
    raw = ((service.parameters or {}).get(ASSESSMENT_RULE[AssessmentKind(kind)]) or {}).get("pass_mark")
    return Decimal(str(raw)) if raw is not None else DEFAULT_PASS_MARK


def call_phase(call: ApplicationCall, now: datetime) -> str:
    if call.cancelled_at is not None:
        return "cancelled"
    if now < call.opens_at:
        return "upcoming"
    return "open" if now < call.closes_at else "closed"


# --- the conditions page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    name: str
    label: Promise | str
    detail: str = ""


def _condition_detail(name: str, service: ServiceVersion, city: City) -> str:
    params: Mapping[str, Any] = (service.parameters or {}).get(name) or {}
    schema = service.intake_schema or {}
    if name == "applicant_degree":
        fields = [str(f) for f in params.get("fields") or []]
        return _("At least %(level)s, in one of: %(fields)s.") % {
            "level": _enum_title(schema, "degree_level", str(params.get("min_level") or "bachelor")),
            "fields": _join(_enum_title(schema, "degree_field", f) for f in fields),
        }
    if name == "applicant_experience":
        return _("At least %(years)s years.") % {"years": params.get("min_years") or 3}
    if name == "applicant_training":
        courses = [str(c) for c in params.get("required") or []]
        return _("The courses: %(courses)s.") % {"courses": _join(schema_title(schema, c) for c in courses)}
    if name in ("applicant_passed_exam", "applicant_passed_interview"):
        return _("Pass mark: %(mark)s out of 100.") % {"mark": params.get("pass_mark") or DEFAULT_PASS_MARK}
    if name == "premises_use":
        allowed = [str(u) for u in params.get("allowed") or []]
        return _("Allowed: %(uses)s.") % {
            "uses": _join(str(BuildingUse(u).label) for u in allowed if u in BuildingUse.values)
        }
    if name == "premises_area":
        return _("At least %(area)s m² of useful area in %(city)s.") % {
            "area": params.get("min_m2") or city.min_office_area_m2,
            "city": city.name,
        }
    if name == "premises_equipped":
        return _("Required: %(items)s.") % {"items": _join(title for _n, title in equipment_items(service))}
    if name == "premises_in_permitted_zone":
        return _("Only in a district where an open call offers places (see the calls below).")
    return ""


def conditions_of(service: ServiceVersion, city: City) -> list[tuple[Promise, list[Condition]]]:
    """Every eligibility rule the service applies, grouped (general / specialised / premises)."""
    names = ((service.parameters or {}).get("eligibility") or {}).get("rules") or list(RULES)
    groups: dict[str, list[Condition]] = {group: [] for group in GROUP_LABELS}
    for name in names:
        item = RULES.get(name)
        if item is not None:
            groups[item.group].append(
                Condition(name=name, label=item.label, detail=_condition_detail(name, service, city))
            )
    return [(GROUP_LABELS[group], items) for group, items in groups.items() if items]


def _documents_of(service: ServiceVersion) -> list[dict[str, Any]]:
    rows = []
    for spec in service.documents or []:
        if not isinstance(spec, Mapping) or not spec.get("code"):
            continue
        names = spec.get("name") or {}
        rows.append(
            {
                "code": spec["code"],
                "name": pick(str(names.get("fa") or spec["code"]), str(names.get("en") or "")),
                "required": bool(spec.get("required", True)),
                "help": str(spec.get("help") or ""),
            }
        )
    return rows


def _process_steps() -> list[str]:
    return [
        _("Apply online while a call is open, with your documents and the premises' point on the map."),
        _("The licensing officer reviews your documents."),
        _("Pay the application fee online."),
        _("Sit the written specialist exam."),
        _("Attend the scientific and technical interview."),
        _("A technical inspector visits the premises."),
        _("Final approval: the licence is issued and your office is activated."),
    ]


@require_safe
def licensing_home(request: HttpRequest) -> HttpResponse:
    """«دفتر خدمات الکترونیک شهر»: what the licence is, who may apply, with what, and the open calls."""
    city = _city()
    service = service_current(code=LICENCE_SERVICE)
    if service is None:
        raise Http404
    schema = service.intake_schema or {}
    calls = list(calls_open(city=city)[:OPEN_CALLS_SHOWN])
    form = ApplicantKindForm(request.GET if "nationality" in request.GET else None, schema=schema)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else None
    apply_url = signin_url = ""
    not_eligible = chosen is not None and chosen["nationality"] != "iranian"
    if chosen is not None and not not_eligible and calls:
        query = urlencode({"person_type": chosen["person_type"], "nationality": chosen["nationality"]})
        apply_url = f"{reverse('web:apply', args=[LICENCE_SERVICE])}?{query}"
        if not request.user.is_authenticated:
            signin_url = f"{reverse('web:signin')}?{urlencode({'next': apply_url})}"
    rows = calls_quota_rows(calls=list(calls))
    return render(
        request,
        "web/licensing_home.html",
        {
            "nav": "licensing",
            "city": city,
            "service": service,
            "conditions": conditions_of(service, city),
            "documents": _documents_of(service),
            "steps": _process_steps(),
            "calls": [(call, rows[call.pk]) for call in calls],
            "form": form,
            "chosen": chosen,
            "not_eligible": not_eligible,
            "apply_url": apply_url,
            "signin_url": signin_url,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_safe
def licence_calls(request: HttpRequest) -> HttpResponse:
    """Calls open now, coming, and closed within the year, with each district's places."""
    city = _city()
    now = timezone.now()
    calls = list(calls_public(city=city)[:PUBLIC_CALLS_SHOWN])
    rows = calls_quota_rows(calls=list(calls))
    phases: dict[str, list[tuple[ApplicationCall, list[QuotaRow]]]] = {
        "open": [],
        "upcoming": [],
        "closed": [],
    }
    for call in calls:
        phases[call_phase(call, now)].append((call, rows[call.pk]))
    phases["open"].sort(key=lambda item: item[0].closes_at)
    phases["upcoming"].sort(key=lambda item: item[0].opens_at)
    return render(
        request,
        "web/licensing_calls.html",
        {"nav": "licensing", "city": city, "phases": phases},
    )


# --- the public register ---------------------------------------------------------------------------


def _register_limited(request: HttpRequest) -> bool:
    rate = settings.DAFTAR_REGISTER_RATE_PER_IP
    return bool(is_ratelimited(request, group="licence-register", key="ip", rate=rate, increment=True))


def _register_query(text: str) -> str:
    """A name as stored (Persian letters normalised); a code or licence number in Latin digits."""
    clean = normalize_persian(text)
    latin = to_latin_digits(clean)
    return latin.upper() if latin.replace("-", "").isascii() else clean


def standing_text(standing: str, suspended_until: date | None) -> str:
    """The office's standing in plain words."""
    if standing == "good":
        return _("In good standing")
    if standing == LicenceStatus.SUSPENDED:
        if suspended_until is not None:
            return _("Suspended until %(date)s") % {"date": jdate(suspended_until, "long")}
        return _("Suspended")
    if standing == LicenceStatus.REVOKED:
        return _("Licence revoked")
    if standing == LicenceStatus.EXPIRED:
        return _("Licence expired")
    return str(LicenceStatus(standing).label) if standing in LicenceStatus.values else standing


@require_safe
def register(request: HttpRequest) -> HttpResponse:
    """The public register of offices: search by name, office code or licence number."""
    city = _city()
    form = RegisterSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_bound and form.is_valid() else ""
    if query and _register_limited(request):
        return ratelimited(request, Ratelimited())
    page_text = request.GET.get("page", "1")
    page = max(int(page_text), 1) if page_text.isdigit() and len(page_text) < 6 else 1
    found = register_search(
        city=city,
        query=_register_query(query),
        today=local_today(),
        limit=REGISTER_PAGE_SIZE + 1,
        offset=(page - 1) * REGISTER_PAGE_SIZE,
    )
    rows = [
        {"row": row, "standing": standing_text(row.standing, row.suspended_until)}
        for row in found[:REGISTER_PAGE_SIZE]
    ]
    base = urlencode({"q": query}) + "&" if query else ""
    return render(
        request,
        "web/register.html",
        {
            "nav": "register",
            "city": city,
            "form": form,
            "query": query,
            "rows": rows,
            "page": page,
            "previous_url": f"?{base}page={page - 1}" if page > 1 else "",
            "next_url": f"?{base}page={page + 1}" if len(found) > REGISTER_PAGE_SIZE else "",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def weekly_rows(office: Office) -> list[dict[str, Any]]:
    """The office's approved week, Saturday first: each day's shifts, or none (closed)."""
    spans: dict[int, list[WeeklyHours]] = {}
    for hours in WeeklyHours.objects.filter(office=office).order_by("weekday", "opens"):
        spans.setdefault(hours.weekday, []).append(hours)
    return [
        {"weekday": weekday, "name": WEEKDAY_NAMES_FA[index], "spans": spans.get(weekday, [])}
        for index, weekday in enumerate(PERSIAN_WEEK_ORDER)
    ]


@require_safe
def register_office(request: HttpRequest, office_code: str) -> HttpResponse:
    """One office of the register: its licence, standing and approved hours; nothing about its holder."""
    city = _city()
    if _register_limited(request):
        return ratelimited(request, Ratelimited())
    row = register_entry(city=city, code=to_latin_digits(office_code), today=local_today())
    if row is None:
        raise Http404
    office = row.office
    return render(
        request,
        "web/register_office.html",
        {
            "nav": "register",
            "office": office,
            "licence": row.licence,
            "standing": row.standing,
            "standing_text": standing_text(row.standing, row.suspended_until),
            "week": weekly_rows(office),
        },
    )


# --- the eligibility panel on the case page ------------------------------------------------------------


@dataclass
class AssessmentRow:
    kind: str
    label: str
    assessment: Assessment | None
    pass_mark: Decimal


@dataclass
class LicencePanel:
    """What the case page shows about a licence application (``web/_licence_panel.html``)."""

    application: LicenceApplication | None
    groups: list[tuple[Promise, list[RuleStatus]]]
    counts: dict[str, int]
    assessments: list[AssessmentRow]
    visit: SiteVisit | None
    visit_equipment: list[tuple[str, bool]]
    staff: bool
    photos: list[SiteVisitPhoto] = field(default_factory=list)
    stage: str = ""  # "exam" or "interview" when a licensing officer may schedule or record it now
    stage_label: str = ""
    schedule_form: AssessmentScheduleForm | None = None
    record_form: AssessmentRecordForm | None = None
    record_from: datetime | None = None  # the result may be recorded from this moment
    site_visit_url: str = ""


def _sees_panel(roles: set[str]) -> bool:
    """The applicant and municipal staff; not office or agency staff."""
    return APPLICANT in roles or any(
        (spec := ROLE_BY_CODE.get(role)) is not None and spec.scope == Scope.CITY for role in roles
    )


def licence_panel(
    *, case: Case, roles: set[str], forms: Mapping[str, Any] | None = None
) -> LicencePanel | None:
    """The eligibility panel of a licence application, or None for any other case or viewer.

    A fixed handful of queries: the application, the documents, the exam and interview, the site
    visit (and its photos for staff), and the applicant's ties to other offices."""
    if case.service_type.code != LICENCE_SERVICE or not _sees_panel(roles):
        return None
    application = application_of(case=case)
    ctx = RuleContext(case, application=application)
    statuses = [RuleStatus(rule=item, result=item.check(ctx)) for item in rules_of(case)]
    grouped: dict[str, list[RuleStatus]] = {group: [] for group in GROUP_LABELS}
    for status in statuses:
        grouped.setdefault(status.rule.group, []).append(status)
    counts = {
        state: sum(1 for s in statuses if s.state == state) for state in ("passed", "failed", "pending")
    }
    service = case.service_version
    staff = bool(roles - {APPLICANT})
    assessments = [
        AssessmentRow(
            kind=kind.value,
            label=str(kind.label),
            assessment=ctx.assessments.get(kind.value),
            pass_mark=pass_mark_of(service, kind.value),
        )
        for kind in AssessmentKind
    ]
    visit = ctx.site_visit
    found = visit.equipment if visit is not None else {}
    panel = LicencePanel(
        application=application,
        groups=[(GROUP_LABELS[g], items) for g, items in grouped.items() if items and g in GROUP_LABELS],
        counts=counts,
        assessments=assessments,
        visit=visit,
        visit_equipment=[(title, found.get(name) is True) for name, title in equipment_items(service)],
        staff=staff,
    )
    if visit is not None and staff:
        panel.photos = list(SiteVisitPhoto.objects.filter(visit=visit))
    if not case.is_open or application is None:
        return panel
    _assessment_forms(panel, case, roles, forms or {})
    if case.state == "site_visit" and roles & INSPECTOR_ROLES and visit is None:
        panel.site_visit_url = reverse("web:licence_site_visit", args=[case.tracking_code])
    return panel


def _assessment_forms(panel: LicencePanel, case: Case, roles: set[str], forms: Mapping[str, Any]) -> None:
    if case.state not in AssessmentKind.values or not roles & LICENSING_ROLES:
        return
    kind = AssessmentKind(case.state)
    current = next((row.assessment for row in panel.assessments if row.kind == kind.value), None)
    panel.stage, panel.stage_label = kind.value, str(kind.label)
    if current is not None and current.is_recorded:
        return
    initial = (
        {
            "scheduled_at": jalali_datetime_text(current.scheduled_at),
            "place": current.place,
            "panel": current.panel,
        }
        if current is not None
        else None
    )
    panel.schedule_form = forms.get("schedule") or AssessmentScheduleForm(prefix="schedule", initial=initial)
    if current is None:
        return
    if "record" in forms:
        panel.record_form = forms["record"]
    elif current.scheduled_at <= timezone.now():
        panel.record_form = AssessmentRecordForm(prefix="record")
    else:
        panel.record_from = current.scheduled_at


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user
