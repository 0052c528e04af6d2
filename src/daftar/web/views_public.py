"""Citizens' pages: the online services, filing one online, and public tracking of a case."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.cases.selectors import case_events_for, case_track_public, workflow_of
from daftar.cases.tracking import display, normalize_tracking_code
from daftar.catalog.models import ServiceVersion
from daftar.catalog.selectors import services_current
from daftar.core.i18n import pick
from daftar.workflow.definition import APPLICANT

from .case_display import timeline
from .forms_cases import ServiceSearchForm, TrackForm
from .intake_form import IntakeForm, intake_form
from .views import ratelimited
from .views_desk import file_or_errors, fileable, grouped_by_category

# Public tracking answers a tracking code plus a national code: limited per connection
# (settings.DAFTAR_CASE_TRACK_RATE_PER_IP) so neither can be guessed at.


def services(request: HttpRequest) -> HttpResponse:
    form = ServiceSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    found = services_current(channel="online", query=query)
    return render(
        request,
        "web/services.html",
        {
            "nav": "services",
            "form": form,
            "query": query,
            "groups": grouped_by_category(found),
            "count": len(found),
        },
    )


@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """File a service online in one's own name (the signed-in citizen's person)."""
    service = fileable(code, "online")
    user = request.user
    assert isinstance(user, User)
    if user.person is None:
        messages.info(request, _("Complete your details first: your national code links your cases to you."))
        return redirect("web:account")
    status = 200
    if request.method == "POST":
        form = intake_form(service, request.POST, request.FILES)
        if form.is_valid():
            case, status = file_or_errors(
                request, form=form, service=service, applicant=user.person, office=None, channel="online"
            )
            if case is not None:
                messages.success(
                    request,
                    _("Your request was filed. Tracking code: %(code)s")
                    % {"code": display(case.tracking_code)},
                )
                return redirect("web:case", tracking_code=case.tracking_code)
        else:
            status = 400
    else:
        form = IntakeForm(initial=_choices_from_query(service, request.GET), service=service)
    return render(
        request,
        "web/file_form.html",
        {"nav": "services", "mode": "online", "applicant": user.person, "service": service, "form": form},
        status=status,
    )


def _choices_from_query(service: ServiceVersion, query: QueryDict) -> dict[str, str]:
    """Choices made before the form (e.g. person type and nationality on the licensing page), taken
    only for the schema's choice fields and only when the value is one of the choices."""
    properties = (service.intake_schema or {}).get("properties") or {}
    chosen: dict[str, str] = {}
    for name, spec in properties.items():
        value = query.get(name)
        if isinstance(value, str) and value in [str(v) for v in spec.get("enum") or []]:
            chosen[name] = value
    return chosen


def _track_limited(request: HttpRequest) -> bool:
    rate = settings.DAFTAR_CASE_TRACK_RATE_PER_IP
    return bool(
        is_ratelimited(request, group="case-track", key="ip", rate=rate, method="POST", increment=True)
    )


def track(request: HttpRequest) -> HttpResponse:
    """Tracking code + the applicant's national code. An unknown code and a wrong national code get
    the very same answer; only citizen-visible facts are shown."""
    result = None
    searched = False
    if request.method == "POST":
        if _track_limited(request):
            return ratelimited(request, Ratelimited())
        form = TrackForm(request.POST)
        if form.is_valid():
            searched = True
            case = case_track_public(
                tracking_code=form.cleaned_data["tracking_code"],
                national_code=form.cleaned_data["national_code"],
            )
            if case is not None:
                state = workflow_of(case).state(case.state)
                result = {
                    "case": case,
                    "code_display": display(case.tracking_code),
                    "state_name": pick(state.name.get("fa", case.state), state.name.get("en", "")),
                    "timeline": timeline(
                        case, case_events_for(case=case, roles={APPLICANT})[:200], staff_view=False
                    ),
                }
            # A fresh form either way: the page must not differ by what the server found.
            form = TrackForm()
    else:
        code = normalize_tracking_code(request.GET.get("code", ""))[:20]
        form = TrackForm(initial={"tracking_code": display(code)} if code else None)
    return render(
        request, "web/track.html", {"nav": "track", "form": form, "result": result, "searched": searched}
    )
