"""The municipality's pages of complaints and citizen reports: the list and the map (reads only),
and what the case page shows about a report (the citizen's follow-up forms, the duplicates panel).

Who may see what:

* ``reports/`` and ``reports/map/``: the city-scoped roles in ``complaints.selectors.REPORT_ROLES``
  (municipal reviewer, technical inspector, city administrator, auditor) for their own city
  (``?city=code`` among theirs; any other is refused), scoped like the inbox: an assignment with a
  department sees that department's reports only. Office staff and citizens are refused.
* On the case page: the applicant adds information to an open case and reopens a resolved one
  within its service's window (the POST views are in ``views_cases``); municipal staff with a
  role on a report see its possible duplicates that they may open themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from daftar.accounts.models import User
from daftar.cases.followup import reopen_until
from daftar.cases.models import Case
from daftar.cases.selectors import workflow_of
from daftar.cases.tracking import display
from daftar.complaints.mapping import SvgMap, district_shape, svg_map
from daftar.complaints.selectors import (
    DUPLICATE_DAYS,
    DUPLICATE_RADIUS_M,
    MAP_MAX_ADDRESSES,
    MAP_MAX_DOTS,
    REPORT_ROLES,
    STATUS_CLOSED,
    STATUS_IN_PROGRESS,
    STATUS_NEW,
    ReportRow,
    case_duplicates,
    report_cities,
    report_services,
    reports_map,
    reports_page,
)
from daftar.core.i18n import pick
from daftar.core.jalali import local_today
from daftar.offices.models import City
from daftar.offices.selectors import zones_of
from daftar.workflow.definition import APPLICANT

from .case_display import page_query
from .forms_reports import CaseNoteForm, CaseReopenForm, ReportFilterForm

staff_required = login_required(login_url="web:staff_signin")

# How each status is drawn on the map and marked in the list (colours with at least 4.5:1 on white).
STATUS_COLOURS = {STATUS_NEW: "#a4161a", STATUS_IN_PROGRESS: "#8a4b00", STATUS_CLOSED: "#16653a"}
STATUS_LABELS = {
    STATUS_NEW: gettext_lazy("New, not yet taken up"),
    STATUS_IN_PROGRESS: gettext_lazy("Being handled"),
    STATUS_CLOSED: gettext_lazy("Closed"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _city(request: HttpRequest) -> tuple[City, list[City]]:
    """The city asked for (``?city=code``) or the first of the user's, among the cities where the
    user holds a reports role; refused when there is none or the city is not theirs."""
    cities = report_cities(user=_user(request))
    if not cities:
        raise PermissionDenied
    wanted = request.GET.get("city", "")
    if not wanted:
        return cities[0], cities
    for city in cities:
        if city.code == wanted:
            return city, cities
    raise PermissionDenied


def _filter_form(request: HttpRequest, city: City) -> tuple[ReportFilterForm, bool]:
    """The filters as sent (an empty form when none was) and whether any was invalid."""
    districts = list(zones_of(city=city).values_list("number", flat=True))
    names = set(ReportFilterForm.base_fields)
    bound = any(name in request.GET for name in names)
    form = ReportFilterForm(request.GET if bound else None, services=report_services(), districts=districts)
    invalid = bound and not form.is_valid()
    return form, invalid


def _state_name(row: ReportRow) -> str:
    return pick(row.state_name.get("fa", row.case.state), row.state_name.get("en", ""))


def _legend() -> list[dict[str, str]]:
    return [
        {"status": status, "label": str(STATUS_LABELS[status]), "colour": colour}
        for status, colour in STATUS_COLOURS.items()
    ]


@dataclass(frozen=True)
class ListRow:
    row: ReportRow
    state: str
    status_label: str
    colour: str


def _list_row(row: ReportRow) -> ListRow:
    return ListRow(
        row=row,
        state=_state_name(row),
        status_label=str(STATUS_LABELS[row.status]),
        colour=STATUS_COLOURS[row.status],
    )


@staff_required
@require_GET
def reports_list(request: HttpRequest) -> HttpResponse:
    """The city's complaints and reports, newest first, filtered and paginated; a row with a
    possible duplicate nearby is marked."""
    city, cities = _city(request)
    form, invalid = _filter_form(request, city)
    result = reports_page(user=_user(request), city=city, filters=form.filters(), page=page_query(request))
    rows = [_list_row(row) for row in result.rows]
    return render(
        request,
        "web/reports_list.html",
        {
            "nav": "reports",
            "city": city,
            "cities": cities if len(cities) > 1 else [],
            "form": form,
            "rows": rows,
            "page": result.page,
            "view": "list",
        },
        status=400 if invalid else 200,
    )


@dataclass(frozen=True)
class MapItem:
    """One report as a dot: where it links, what its title says, its colour."""

    tracking_code: str
    url: str
    title: str
    colour: str
    status: str


def _map_item(row: ReportRow) -> MapItem:
    case = row.case
    return MapItem(
        tracking_code=case.tracking_code,
        url=reverse("web:case", args=[case.tracking_code]),
        title=f"{case.service_version.name} — {display(case.tracking_code)} — {_state_name(row)}",
        colour=STATUS_COLOURS[row.status],
        status=row.status,
    )


@staff_required
@require_GET
def reports_map_view(request: HttpRequest) -> HttpResponse:
    """The same reports on a map of the city's districts drawn from their boundaries (inline SVG,
    no tiles, no scripts): a dot per report with a point; those with an address alone beside it."""
    city, cities = _city(request)
    form, invalid = _filter_form(request, city)
    found = reports_map(user=_user(request), city=city, filters=form.filters())
    drawing: SvgMap[MapItem] = svg_map(
        districts=[district_shape(number=z.number, name=z.name, boundary=z.boundary) for z in found.zones],
        points=[
            (row.case.latitude, row.case.longitude, _map_item(row))
            for row in found.placed
            if row.case.latitude is not None and row.case.longitude is not None
        ],
    )
    address_rows = [_list_row(row) for row in found.address_only]
    return render(
        request,
        "web/reports_map.html",
        {
            "nav": "reports",
            "city": city,
            "cities": cities if len(cities) > 1 else [],
            "form": form,
            "map": drawing,
            "address_rows": address_rows,
            "more_placed": found.more_placed,
            "more_address_only": found.more_address_only,
            "max_dots": MAP_MAX_DOTS,
            "max_addresses": MAP_MAX_ADDRESSES,
            "legend": _legend(),
            "view": "map",
        },
        status=400 if invalid else 200,
    )


# --- the case page -------------------------------------------------------------------------------


def case_followup(
    *, case: Case, roles: set[str], user: User, forms: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the case page shows of a report's follow-up: the applicant's «add information» form
    (open case) and «reopen» form (resolved case within its service's window, with the last
    day); for municipal staff, the possible duplicates nearby. ``forms`` carries a refused form
    back (``note_form`` or ``reopen_form``)."""
    forms = forms or {}
    applicant = APPLICANT in roles
    note_form = None
    if applicant and case.is_open:
        note_form = forms.get("note_form") or CaseNoteForm()
    last_day = reopen_until(case) if applicant and case.closed_at is not None else None
    reopen_form = None
    if last_day is not None and local_today() <= last_day:
        reopen_form = forms.get("reopen_form") or CaseReopenForm(initial={"expected_version": case.version})
    duplicates = []
    if roles & REPORT_ROLES:
        for other in case_duplicates(case=case, user=user):
            state = workflow_of(other).state(other.state)
            duplicates.append(
                {
                    "tracking_code": other.tracking_code,
                    "service": other.service_version.name,
                    "distance_m": getattr(other, "distance_m", None),
                    "state": pick(state.name.get("fa", other.state), state.name.get("en", "")),
                    "filed": other.created_at,
                }
            )
    return {
        "note_form": note_form,
        "reopen_form": reopen_form,
        "reopen_last_day": last_day if reopen_form is not None else None,
        "duplicates": duplicates,
        "duplicate_days": DUPLICATE_DAYS,
        "duplicate_radius_m": DUPLICATE_RADIUS_M,
    }
