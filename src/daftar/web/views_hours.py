"""Working hours: an office's approved week and its requests to change it, the municipality's review
of those requests, and the out-of-hours activity flags.

Who may do what:

* ``office/hours/``: an active ``office_manager`` of the office (``?office=code`` among the offices
  they manage) sees its approved week and requests, and proposes a new week.
* ``supervision/hours/``: ``licensing_officer`` and ``city_administrator`` of the city (``?city=``
  among theirs) see pending requests with the current and proposed week and decide them.
* ``supervision/out-of-hours/``: ``licensing_officer``, ``technical_inspector``,
  ``city_administrator`` and ``auditor`` of the city read the flags; ``licensing_officer`` and
  ``technical_inspector`` dismiss them or record them as violations.

Anyone else gets 403; a request or flag of another city is 404. Services check the roles again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.core.errors import DomainError
from daftar.licensing.lifecycle import (
    FLAG_REVIEW_ROLES,
    activity_flag_dismiss,
    activity_flag_to_violation,
    hours_request_decide,
    hours_request_submit,
)
from daftar.licensing.lifecycle_selectors import (
    ActivityKind,
    city_roles_of,
    flag_of_city,
    flags_page,
    hours_request_of_city,
    hours_requests_of_office,
    hours_requests_pending,
    office_week,
    offices_managed_by,
)
from daftar.licensing.models import HoursRequestStatus
from daftar.licensing.services import LICENSING_ROLES
from daftar.offices.models import City, Office

from .forms_hours import DecisionForm, FlagFilterForm, FlagReviewForm, WeekForm
from .views import ratelimited

staff_required = login_required(login_url="web:staff_signin")
FLAG_READ_ROLES = frozenset({*FLAG_REVIEW_ROLES, Role.CITY_ADMINISTRATOR.value, Role.AUDITOR.value})


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _write_limited(request: HttpRequest, group: str) -> bool:
    rate = settings.DAFTAR_HOURS_WRITE_RATE
    return bool(is_ratelimited(request, group=group, key="user_or_ip", rate=rate, increment=True))


def _city(request: HttpRequest, roles: frozenset[str]) -> tuple[City, set[str], list[City]]:
    """The city chosen (``?city=code`` among the user's), the user's roles there and all their cities."""
    cities = city_roles_of(user=_user(request), roles=roles)
    if not cities:
        raise PermissionDenied
    ordered = sorted(cities.values(), key=lambda entry: entry[0].code)
    wanted = request.GET.get("city", "") or request.POST.get("city", "")
    city, held = next((entry for entry in ordered if entry[0].code == wanted), ordered[0])
    return city, held, [entry[0] for entry in ordered]


# --- the office manager --------------------------------------------------------------------------


def _managed_office(request: HttpRequest) -> tuple[Office, list[Office]]:
    offices = offices_managed_by(user=_user(request))
    if not offices:
        raise PermissionDenied
    wanted = request.GET.get("office", "")
    return next((o for o in offices if o.code == wanted), offices[0]), offices


@staff_required
@require_http_methods(["GET", "POST"])
def office_hours(request: HttpRequest) -> HttpResponse:
    """The office's approved week, its requests to change it, and the form to propose a new week."""
    office, offices = _managed_office(request)
    week = office_week(office=office)
    requests = hours_requests_of_office(office=office)
    pending = any(r.status == HoursRequestStatus.PENDING for r in requests)
    form = WeekForm(request.POST or None, week=week)
    status = 200
    if request.method == "POST":
        if _write_limited(request, "hours-request"):
            return ratelimited(request, Ratelimited())
        if form.is_valid():
            try:
                hours_request_submit(
                    office=office,
                    actor=_user(request),
                    schedule=form.cleaned_data["schedule"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.put_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Your request is sent to the municipality for approval."))
                return redirect(f"{reverse('web:hours_office')}?{urlencode({'office': office.code})}")
        else:
            status = 400
    return render(
        request,
        "web/hours_office.html",
        {
            "nav": "hours_office",
            "office": office,
            "offices": offices,
            "week": week,
            "requests": requests,
            "pending": pending,
            "form": form,
        },
        status=status,
    )


# --- the municipality: requests ------------------------------------------------------------------


def _review_page(
    request: HttpRequest,
    city: City,
    cities: list[City],
    *,
    failed: int | None = None,
    form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/hours_review.html",
        {
            "nav": "hours_review",
            "city": city,
            "cities": cities,
            "rows": hours_requests_pending(city=city),
            "failed": failed,
            "failed_form": form,
        },
        status=status,
    )


@staff_required
@require_GET
def hours_review(request: HttpRequest) -> HttpResponse:
    """The city's pending requests, each with the approved and the proposed week side by side."""
    city, _held, cities = _city(request, LICENSING_ROLES)
    return _review_page(request, city, cities)


@staff_required
@require_POST
def hours_decide(request: HttpRequest, pk: int) -> HttpResponse:
    city, _held, cities = _city(request, LICENSING_ROLES)
    hours_request = hours_request_of_city(city=city, pk=pk)
    if hours_request is None:
        raise Http404
    if _write_limited(request, "hours-decide"):
        return ratelimited(request, Ratelimited())
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review_page(request, city, cities, failed=pk, form=form, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        hours_request_decide(
            request=hours_request, actor=_user(request), approve=approve, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        for message in exc.field_messages().get("reason", []) or [str(exc)]:
            form.add_error("reason" if "reason" in exc.fields else None, message)
        return _review_page(request, city, cities, failed=pk, form=form, status=exc.status)
    messages.success(
        request,
        (
            _("The new hours of office %(code)s are approved.")
            if approve
            else _("The request of office %(code)s is rejected.")
        )
        % {"code": hours_request.office.code},
    )
    return redirect(f"{reverse('web:hours_review')}?{urlencode({'city': city.code})}")


# --- the municipality: out-of-hours activity -----------------------------------------------------


FLAG_FILTERS = ("day_from", "day_to", "office", "activity", "state")


def _flag_query(request: HttpRequest, city: City) -> str:
    """The list's city and filters as a query string (paging links, back after a review)."""
    kept = {"city": city.code}
    kept.update({k: request.GET[k] for k in FLAG_FILTERS if request.GET.get(k)})
    return urlencode(kept)


def _flags_page(
    request: HttpRequest,
    *,
    failed: int | None = None,
    review_form: FlagReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    city, held, cities = _city(request, FLAG_READ_ROLES)
    filters = FlagFilterForm(request.GET or None)
    values: dict[str, Any] = {"state": "open"}
    if filters.is_bound:
        if filters.is_valid():
            values.update({k: v for k, v in filters.cleaned_data.items() if v})
        else:
            status = 400
    page = flags_page(
        city=city,
        day_from=values.get("day_from"),
        day_to=values.get("day_to"),
        office_code=values.get("office", ""),
        activity=values.get("activity", ""),
        state=values.get("state", "open"),
        page=request.GET.get("page", 1),
    )
    return render(
        request,
        "web/hours_flags.html",
        {
            "nav": "out_of_hours",
            "city": city,
            "cities": cities,
            "filters": filters,
            "page": page,
            "rows": [(flag, ActivityKind.label(flag.activity)) for flag in page],
            "may_review": bool(held & FLAG_REVIEW_ROLES),
            "query": _flag_query(request, city),
            "failed": failed,
            "review_form": review_form,
        },
        status=status,
    )


@staff_required
@require_GET
def out_of_hours(request: HttpRequest) -> HttpResponse:
    """Flags of activity outside approved hours, by day, office and activity; filtered and paged."""
    return _flags_page(request)


@staff_required
@require_POST
def out_of_hours_review(request: HttpRequest, pk: int) -> HttpResponse:
    city, held, _cities = _city(request, FLAG_READ_ROLES)
    if not held & FLAG_REVIEW_ROLES:
        raise PermissionDenied
    flag = flag_of_city(city=city, pk=pk)
    if flag is None:
        raise Http404
    if _write_limited(request, "flag-review"):
        return ratelimited(request, Ratelimited())
    form = FlagReviewForm(request.POST)
    if form.is_valid():
        actor, text = _user(request), form.cleaned_data["text"]
        try:
            if form.cleaned_data["action"] == "dismiss":
                activity_flag_dismiss(flag=flag, actor=actor, reason=text)
                messages.success(request, _("The flag is dismissed."))
            else:
                activity_flag_to_violation(flag=flag, actor=actor, description=text)
                messages.success(
                    request,
                    _("The violation is recorded against office %(code)s.") % {"code": flag.office.code},
                )
        except DomainError as exc:
            field_messages = exc.field_messages()
            for key in ("reason", "description"):
                for message in field_messages.pop(key, []):
                    form.add_error("text", message)
            if not form.errors:
                form.add_error(None, str(exc))
            return _flags_page(request, failed=pk, review_form=form, status=exc.status)
        return redirect(f"{reverse('web:out_of_hours')}?{_flag_query(request, city)}")
    return _flags_page(request, failed=pk, review_form=form, status=400)
