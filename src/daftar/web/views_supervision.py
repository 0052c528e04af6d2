"""Supervising the offices (نظارت بر دفاتر): the city's offices with their standing, an office's file,
recording an inspection, issuing a sanction, deciding appeals; and the office's own page of its
sanctions, where it appeals.

Who may do what:

* the city's offices, an office's file, the appeals list: ``technical_inspector``,
  ``licensing_officer``, ``city_administrator`` and (reading only) ``auditor`` of the city; an office
  of another city is "not found";
* recording an inspection with its violations: ``technical_inspector`` or ``licensing_officer``;
* issuing a sanction: ``licensing_officer`` or ``city_administrator``;
* deciding an appeal: ``city_administrator``, never on a sanction they issued;
* the office's sanctions and appealing one: the office's active ``office_manager`` or the holder of
  its licence.

The services check every rule again; these checks only choose what each person is shown.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.core.errors import DomainError
from daftar.core.jalali import local_today
from daftar.licensing.supervision import (
    ViolationSpec,
    appeal_decide,
    appeal_file,
    inspection_report,
    sanction_issue,
)
from daftar.licensing.supervision_selectors import (
    APPEAL_WINDOW_DAYS,
    CityRoles,
    appeal_of_city,
    appeals_decided,
    appeals_pending,
    complaint_of_office,
    office_file,
    office_of_city,
    office_sanctions,
    offices_facing_sanctions,
    offices_overview,
    sanction_ladder,
    sanction_of_office,
    supervision_cities,
    suspension_days_suggested,
    violation_types_active,
    violations_open,
)
from daftar.offices.models import Office
from daftar.offices.selectors import zones_of

from .forms_supervision import (
    INSPECTION_RENAME,
    SANCTION_RENAME,
    AppealDecideForm,
    AppealFileForm,
    InspectionForm,
    OfficesFilterForm,
    SanctionForm,
    error_to_form,
    jalali_date_text,
)
from .templatetags.daftar import fa_digits

staff_required = login_required(login_url="web:staff_signin")
# Office codes and sanction numbers can be guessed: each user may open this many per minute.
LOOKUP_RATE = "120/m"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _limited(request: HttpRequest) -> bool:
    return bool(
        is_ratelimited(
            request, group="supervision-lookup", key="user_or_ip", rate=LOOKUP_RATE, increment=True
        )
    )


def _city(request: HttpRequest) -> CityRoles:
    """The city supervised here (``?city=code`` among the user's), with the user's roles there."""
    cities = supervision_cities(user=_user(request))
    if not cities:
        raise PermissionDenied
    wanted = request.GET.get("city", "")
    return next(
        (entry for entry in cities.values() if entry.city.code == wanted),
        sorted(cities.values(), key=lambda entry: entry.city.code)[0],
    )


def _office(request: HttpRequest, code: str) -> tuple[Office, CityRoles]:
    """The office with this code in a city the user supervises (the ``?city=`` one first); 404 if none."""
    cities = supervision_cities(user=_user(request))
    if not cities:
        raise PermissionDenied
    if _limited(request):
        raise Ratelimited
    wanted = request.GET.get("city", "")
    for entry in sorted(cities.values(), key=lambda e: (e.city.code != wanted, e.city.code)):
        office = office_of_city(city=entry.city, code=code)
        if office is not None:
            return office, entry
    raise Http404


def _office_url(office: Office, name: str = "web:supervision_office") -> str:
    return f"{reverse(name, args=[office.code])}?{urlencode({'city': office.city.code})}"


# --- the city's offices --------------------------------------------------------------------------


@staff_required
@require_GET
def supervision_offices(request: HttpRequest) -> HttpResponse:
    """The city's offices: standing, sanctions in force, violations of the last 90 days."""
    roles = _city(request)
    city = roles.city
    form = OfficesFilterForm(request.GET or None, zones=list(zones_of(city=city)))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page_text = request.GET.get("page", "1")
    result = offices_overview(
        city=city,
        today=local_today(),
        zone_number=data.get("district"),
        status=data.get("status") or "",
        query=data.get("q") or "",
        page=int(page_text) if page_text.isdigit() else 1,
    )
    keep = {k: v for k, v in request.GET.items() if k != "page" and v}
    keep["city"] = city.code
    return render(
        request,
        "web/supervision_offices.html",
        {
            "nav": "supervision",
            "city": city,
            "roles": roles,
            "form": form,
            "rows": result.rows,
            "page": result.page,
            "query_string": urlencode(keep),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- one office ----------------------------------------------------------------------------------


@staff_required
@require_GET
def supervision_office(request: HttpRequest, code: str) -> HttpResponse:
    """An office's file: licence, standing, inspections, violations, sanctions and appeals."""
    office, roles = _office(request, code)
    return render(
        request,
        "web/supervision_office.html",
        {
            "nav": "supervision",
            "city": office.city,
            "office": office,
            "roles": roles,
            "file": office_file(office=office, today=local_today()),
        },
    )


def _inspection_page(
    request: HttpRequest, office: Office, form: InspectionForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "web/supervision_inspection.html",
        {"nav": "supervision", "city": office.city, "office": office, "form": form},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def supervision_inspect(request: HttpRequest, code: str) -> HttpResponse:
    """Record an inspection with its checklist and the violations found (inspectors, on a phone)."""
    office, roles = _office(request, code)
    if not roles.can_record:
        raise PermissionDenied
    types = violation_types_active()
    form = InspectionForm(request.POST or None, types=types, now=timezone.now())
    if request.method == "GET":
        return _inspection_page(request, office, form)
    if not form.is_valid():
        return _inspection_page(request, office, form, status=400)
    data = form.cleaned_data
    related = None
    if data["complaint"]:
        related = complaint_of_office(office=office, tracking_code=data["complaint"])
        if related is None:
            form.add_error("complaint", _("No complaint about this office has this tracking code."))
            return _inspection_page(request, office, form, status=400)
    try:
        inspection_report(
            office=office,
            actor=_user(request),
            kind=data["kind"],
            inspected_at=data["inspected_at"],
            checklist=form.checklist(),
            findings=data["findings"],
            violations=[
                ViolationSpec(type_code=code, description=data["violation_description"])
                for code in data["violation_types"]
            ],
            related_case=related,
        )
    except DomainError as exc:
        error_to_form(form, exc, INSPECTION_RENAME)
        return _inspection_page(request, office, form, status=exc.status)
    count = len(data["violation_types"])
    if count:
        messages.success(
            request,
            ngettext(
                "The inspection is recorded with %(count)s violation.",
                "The inspection is recorded with %(count)s violations.",
                count,
            )
            % {"count": fa_digits(count)},
        )
    else:
        messages.success(request, _("The inspection is recorded."))
    return redirect(_office_url(office))


@staff_required
@require_http_methods(["GET", "POST"])
def supervision_sanction(request: HttpRequest, code: str) -> HttpResponse:
    """Issue a sanction: the ladder's suggestion pre-selected, the office's open violations to tick."""
    office, roles = _office(request, code)
    if not roles.can_sanction:
        raise PermissionDenied
    violations = violations_open(office=office)
    suggestion = sanction_ladder(office=office, violations=violations)
    days = suspension_days_suggested(violations=violations)
    today = local_today()
    initial = {
        "kind": suggestion.kind.value,
        "violations": [v.pk for v in violations],
        "ends_on": jalali_date_text(today + timedelta(days=days)),
    }
    form = SanctionForm(request.POST or None, violations=violations, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                sanction_issue(
                    office=office,
                    actor=_user(request),
                    kind=data["kind"],
                    violation_ids=data["violations"],
                    reason=data["reason"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except DomainError as exc:
                error_to_form(form, exc, SANCTION_RENAME)
                status = exc.status
            else:
                messages.success(request, _("The sanction is issued and the office is notified."))
                return redirect(_office_url(office))
        else:
            status = 400
    return render(
        request,
        "web/supervision_sanction.html",
        {
            "nav": "supervision",
            "city": office.city,
            "office": office,
            "form": form,
            "violations": violations,
            "suggestion": suggestion,
            "suspension_days": days,
            "appeal_days": APPEAL_WINDOW_DAYS,
        },
        status=status,
    )


# --- appeals -------------------------------------------------------------------------------------


def _appeals_page(
    request: HttpRequest,
    roles: CityRoles,
    forms: dict[int, AppealDecideForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    pending = appeals_pending(city=roles.city)
    given = forms or {}
    rows = [
        {
            "appeal": appeal,
            "may_decide": roles.can_decide and appeal.sanction.issued_by_id != user.pk,
            "form": given.get(appeal.pk) or AppealDecideForm(prefix=f"a{appeal.pk}"),
        }
        for appeal in pending
    ]
    return render(
        request,
        "web/supervision_appeals.html",
        {
            "nav": "supervision",
            "city": roles.city,
            "roles": roles,
            "rows": rows,
            "decided": appeals_decided(city=roles.city),
        },
        status=status,
    )


@staff_required
@require_GET
def supervision_appeals(request: HttpRequest) -> HttpResponse:
    """Appeals awaiting a decision (city administrators decide; other supervisors read)."""
    return _appeals_page(request, _city(request))


@staff_required
@require_POST
def supervision_appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    roles = _city(request)
    if not roles.can_decide:
        raise PermissionDenied
    appeal = appeal_of_city(city=roles.city, pk=pk)
    if appeal is None:
        raise Http404
    form = AppealDecideForm(request.POST, prefix=f"a{pk}")
    if not form.is_valid():
        return _appeals_page(request, roles, {pk: form}, status=400)
    try:
        decided = appeal_decide(
            appeal=appeal,
            actor=_user(request),
            uphold=form.cleaned_data["decision"] == "uphold",
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        error_to_form(form, exc)
        return _appeals_page(request, roles, {pk: form}, status=exc.status)
    messages.success(
        request,
        _("The appeal is decided: %(decision)s.") % {"decision": decided.get_status_display()},
    )
    return redirect(f"{reverse('web:supervision_appeals')}?{urlencode({'city': roles.city.code})}")


# --- the office's own page -----------------------------------------------------------------------


def _answering_office(request: HttpRequest) -> tuple[Office, list[Office]]:
    offices = offices_facing_sanctions(user=_user(request))
    if not offices:
        raise PermissionDenied
    wanted = request.GET.get("office", "")
    return next((o for o in offices if o.code == wanted), offices[0]), offices


def _office_sanctions_page(
    request: HttpRequest,
    office: Office,
    offices: list[Office],
    forms: dict[int, AppealFileForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    given = forms or {}
    rows = [
        {"row": row, "form": given.get(row.sanction.pk) or AppealFileForm(prefix=f"s{row.sanction.pk}")}
        for row in office_sanctions(office=office)
    ]
    return render(
        request,
        "web/supervision_office_sanctions.html",
        {
            "nav": "office_sanctions",
            "office": office,
            "offices": offices,
            "rows": rows,
            "appeal_days": APPEAL_WINDOW_DAYS,
        },
        status=status,
    )


@staff_required
@require_GET
def office_sanctions_view(request: HttpRequest) -> HttpResponse:
    """The office's sanctions with their notices and appeals; the office appeals from here."""
    office, offices = _answering_office(request)
    return _office_sanctions_page(request, office, offices)


@staff_required
@require_POST
def office_sanction_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    offices = offices_facing_sanctions(user=_user(request))
    if not offices:
        raise PermissionDenied
    if _limited(request):
        raise Ratelimited
    found = next(
        ((o, s) for o in offices if (s := sanction_of_office(office=o, pk=pk)) is not None),
        None,
    )
    if found is None:
        raise Http404
    office, sanction = found
    form = AppealFileForm(request.POST, prefix=f"s{pk}")
    if not form.is_valid():
        return _office_sanctions_page(request, office, offices, {pk: form}, status=400)
    try:
        appeal_file(sanction=sanction, actor=_user(request), statement=form.cleaned_data["statement"])
    except DomainError as exc:
        error_to_form(form, exc)
        return _office_sanctions_page(request, office, offices, {pk: form}, status=exc.status)
    messages.success(request, _("Your appeal is filed; the municipality will decide it."))
    return redirect(f"{reverse('web:office_sanctions')}?{urlencode({'office': office.code})}")
