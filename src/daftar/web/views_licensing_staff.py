"""Office licensing for municipal staff: scheduling and scoring the exam and interview (forms in the
case page's eligibility panel), the inspector's site visit on a phone, and the city's calls for
applications. Thin: each POST calls one service of ``daftar.licensing.services`` and redirects."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.selectors import case_for_user, workflow_of
from daftar.cases.tracking import display
from daftar.core.errors import DomainError
from daftar.core.i18n import pick
from daftar.documents.views import file_download
from daftar.licensing.models import (
    ApplicationCall,
    AssessmentKind,
    LicenceApplication,
    SiteVisit,
    SiteVisitPhoto,
)
from daftar.licensing.selectors import application_of, calls_quota_rows
from daftar.licensing.services import (
    INSPECTOR_ROLES,
    LICENSING_ROLES,
    assessment_record,
    assessment_schedule,
    call_cancel,
    call_open,
    site_visit_record,
)
from daftar.offices.models import City
from daftar.offices.selectors import offices_staff_of, zones_of
from daftar.workflow.definition import APPLICANT

from .forms_licensing import (
    AssessmentRecordForm,
    AssessmentScheduleForm,
    CallCancelForm,
    CallForm,
    SiteVisitForm,
    domain_errors_to_form,
)
from .views_cases import case_page, domain_message
from .views_licensing import call_phase, equipment_items, schema_title, user_of

staff_required = login_required(login_url="web:staff_signin")
CALLS_SHOWN = 30


def _application_case(request: HttpRequest, tracking_code: str) -> tuple[Case, set[str], LicenceApplication]:
    """A licence application the user may see, with their roles on it; 404 alike otherwise."""
    found = case_for_user(tracking_code=tracking_code, user=user_of(request))
    if found is None:
        raise Http404
    case, roles = found
    application = application_of(case=case) if case.service_type.code == "licensing.office_licence" else None
    if application is None:
        raise Http404
    return case, roles, application


# --- exam and interview (forms in the case page's panel) ----------------------------------------------


def _assessment_kind(kind: str) -> AssessmentKind:
    if kind not in AssessmentKind.values:
        raise Http404
    return AssessmentKind(kind)


@staff_required
@require_POST
def assessment_schedule_view(request: HttpRequest, tracking_code: str, kind: str) -> HttpResponse:
    chosen = _assessment_kind(kind)
    case, roles, _application = _application_case(request, tracking_code)
    if not roles & LICENSING_ROLES:
        raise PermissionDenied
    form = AssessmentScheduleForm(request.POST, prefix="schedule")
    if not form.is_valid():
        return case_page(
            request,
            tracking_code,
            status=400,
            error=_("The form was incomplete; see the marked fields."),
            licence_forms={"schedule": form},
        )
    try:
        assessment_schedule(
            case=case,
            kind=chosen.value,
            scheduled_at=form.cleaned_data["scheduled_at"],
            place=form.cleaned_data["place"],
            panel=form.cleaned_data["panel"],
            actor=user_of(request),
        )
    except DomainError as exc:
        domain_errors_to_form(form, exc)
        return case_page(
            request,
            tracking_code,
            status=exc.status,
            error=domain_message(exc),
            licence_forms={"schedule": form},
        )
    messages.success(
        request, _("The %(what)s was scheduled; the applicant gets an SMS.") % {"what": chosen.label}
    )
    return redirect("web:case", tracking_code=case.tracking_code)


@staff_required
@require_POST
def assessment_record_view(request: HttpRequest, tracking_code: str, kind: str) -> HttpResponse:
    chosen = _assessment_kind(kind)
    case, roles, _application = _application_case(request, tracking_code)
    if not roles & LICENSING_ROLES:
        raise PermissionDenied
    form = AssessmentRecordForm(request.POST, prefix="record")
    if not form.is_valid():
        return case_page(
            request,
            tracking_code,
            status=400,
            error=_("The form was incomplete; see the marked fields."),
            licence_forms={"record": form},
        )
    absent = bool(form.cleaned_data["absent"])
    try:
        assessment_record(
            case=case,
            kind=chosen.value,
            actor=user_of(request),
            score=None if absent else form.score_text(),
            absent=absent,
            notes=form.cleaned_data["notes"],
        )
    except DomainError as exc:
        domain_errors_to_form(form, exc)
        return case_page(
            request,
            tracking_code,
            status=exc.status,
            error=domain_message(exc),
            licence_forms={"record": form},
        )
    messages.success(request, _("The result of the %(what)s was recorded.") % {"what": chosen.label})
    return redirect("web:case", tracking_code=case.tracking_code)


# --- the site visit ----------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def site_visit(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """The inspector's form at the premises: phone-sized, with «my current location»."""
    case, roles, application = _application_case(request, tracking_code)
    if not roles & INSPECTOR_ROLES:
        raise Http404
    service = case.service_version
    equipment = equipment_items(service)
    at_stage = case.is_open and case.state == "site_visit"
    recorded = SiteVisit.objects.filter(application=application).first()
    status = 200
    form: SiteVisitForm | None = None
    if at_stage and recorded is None:
        if request.method == "POST":
            form = SiteVisitForm(request.POST, request.FILES, equipment=equipment)
            if form.is_valid():
                try:
                    site_visit_record(
                        case=case,
                        actor=user_of(request),
                        measured_area_m2=form.cleaned_data["measured_area_m2"],
                        building_use=form.cleaned_data["building_use"],
                        equipment=form.equipment_found(),
                        latitude=form.cleaned_data["latitude"],
                        longitude=form.cleaned_data["longitude"],
                        notes=form.cleaned_data["notes"],
                        photos=form.photo_files(),
                    )
                except DomainError as exc:
                    form.add_domain_errors(exc)
                    status = exc.status
                else:
                    messages.success(request, _("The site visit was recorded."))
                    return redirect("web:case", tracking_code=case.tracking_code)
            else:
                status = 400
        else:
            form = SiteVisitForm(equipment=equipment, initial={"building_use": ""})
    elif request.method == "POST":
        status = 409
    state = workflow_of(case).state(case.state)
    data = case.data or {}
    schema = service.intake_schema or {}
    declared = [(schema_title(schema, name), data.get(name) is True) for name, _title in equipment]
    return render(
        request,
        "web/licensing_site_visit.html",
        {
            "nav": "inbox",
            "case": case,
            "code_display": display(case.tracking_code),
            "state_name": pick(state.name.get("fa", case.state), state.name.get("en", "")),
            "application": application,
            "form": form,
            "at_stage": at_stage,
            "recorded": recorded,
            "declared_area": data.get("premises_area_m2"),
            "declared_use": _declared_use(schema, str(data.get("premises_use") or "")),
            "declared_equipment": declared,
            "premises_address": data.get("premises_address") or case.address,
            "error": _("The application is not at this stage.") if status == 409 else "",
        },
        status=status,
    )


def _declared_use(schema: dict[str, Any], value: str) -> str:
    spec = (schema.get("properties") or {}).get("premises_use") or {}
    values = [str(v) for v in spec.get("enum") or []]
    titles = [str(t) for t in spec.get("x-enum-titles") or []]
    if value in values and len(titles) == len(values):
        return titles[values.index(value)]
    return value


@staff_required
@require_GET
def site_visit_photo(request: HttpRequest, tracking_code: str, pk: int) -> FileResponse:
    """A photo of the site visit, to municipal staff who may see the application; 404 to anyone else."""
    _case, roles, application = _application_case(request, tracking_code)
    if not roles - {APPLICANT}:
        raise Http404
    photo = SiteVisitPhoto.objects.filter(pk=pk, visit__application=application).first()
    if photo is None:
        raise Http404
    return file_download(photo.file, original_name=photo.file.name, content_type=photo.content_type)


# --- calls for applications --------------------------------------------------------------------------


def _licensing_cities(user: User) -> list[City]:
    cities: dict[int, City] = {}
    for assignment in offices_staff_of(user=user):
        if assignment.office_id is None and assignment.role in LICENSING_ROLES:
            cities.setdefault(assignment.city_id, assignment.city)
    return sorted(cities.values(), key=lambda c: c.pk)


def _managed_city(request: HttpRequest) -> tuple[City, list[City]]:
    """The city whose calls are managed here; 403 unless the user is its licensing officer or admin."""
    cities = _licensing_cities(user_of(request))
    if not cities:
        raise PermissionDenied
    code = request.GET.get("city") or request.POST.get("city") or ""
    city = next((c for c in cities if c.code == code), cities[0])
    return city, cities


def _calls_page(
    request: HttpRequest,
    city: City,
    cities: list[City],
    *,
    form: CallForm | None = None,
    cancel_forms: dict[int, CallCancelForm] | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    zones = list(zones_of(city=city))
    calls = list(ApplicationCall.objects.filter(city=city).order_by("-opens_at")[:CALLS_SHOWN])
    rows = calls_quota_rows(calls=list(calls))
    now = timezone.now()
    cancel_forms = cancel_forms or {}
    listed = [
        {
            "call": call,
            "phase": call_phase(call, now),
            "quotas": rows[call.pk],
            "cancel_form": cancel_forms.get(call.pk) or CallCancelForm(prefix=f"cancel{call.pk}"),
        }
        for call in calls
    ]
    return render(
        request,
        "web/licensing_calls_manage.html",
        {
            "nav": "licence_calls_manage",
            "city": city,
            "cities": cities,
            "form": form or CallForm(zones=zones),
            "calls": listed,
            "error": error,
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def calls_manage(request: HttpRequest) -> HttpResponse:
    """The city's calls; announcing a new one with its window and places per district."""
    city, cities = _managed_city(request)
    if request.method != "POST":
        return _calls_page(request, city, cities)
    form = CallForm(request.POST, zones=zones_of(city=city))
    if not form.is_valid():
        return _calls_page(request, city, cities, form=form, status=400)
    try:
        call = call_open(
            city=city,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            opens_at=form.cleaned_data["opens_at"],
            closes_at=form.cleaned_data["closes_at"],
            quotas=form.quotas(),
            actor=user_of(request),
        )
    except DomainError as exc:
        form.add_domain_errors(exc)
        return _calls_page(request, city, cities, form=form, status=exc.status)
    messages.success(request, _("The call «%(title)s» was announced.") % {"title": call.title})
    return redirect(f"{request.path}?city={city.code}")


@staff_required
@require_POST
def call_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    city, cities = _managed_city(request)
    call = ApplicationCall.objects.filter(pk=pk, city=city).select_related("city").first()
    if call is None:
        raise Http404
    form = CallCancelForm(request.POST, prefix=f"cancel{call.pk}")
    if not form.is_valid():
        return _calls_page(request, city, cities, cancel_forms={call.pk: form}, status=400)
    try:
        call_cancel(call=call, actor=user_of(request), reason=form.cleaned_data["reason"])
    except DomainError as exc:
        domain_errors_to_form(form, exc)
        return _calls_page(
            request, city, cities, cancel_forms={call.pk: form}, status=exc.status, error=domain_message(exc)
        )
    messages.success(request, _("The call «%(title)s» was cancelled.") % {"title": call.title})
    return redirect(f"{reverse('web:licence_calls_manage')}?city={city.code}")
