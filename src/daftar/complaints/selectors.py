"""Reads for the municipality's pages of complaints and citizen reports: which cases count as
reports, who sees which of them, the filtered list (with duplicate hints) and the map.

Scope is the inbox's: a municipal role (``REPORT_ROLES``) in the city; an assignment with a
department sees that department's cases only, one without a department sees them all. Every read
here costs a fixed number of queries however many cases exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.cases.selectors import case_roles_of, workflow_of
from daftar.cases.tracking import is_well_formed, normalize_tracking_code
from daftar.catalog.models import ServiceVersion, VersionStatus
from daftar.core.jalali import TEHRAN
from daftar.core.text import normalize_for_search, normalize_persian, to_latin_digits, to_persian_digits
from daftar.offices.models import City, StaffAssignment, Zone
from daftar.offices.selectors import offices_staff_of

from .duplicates import METRES_PER_DEGREE_LATITUDE, distance_m, possible_duplicates

# What a "report" is: a complaint or urban-services report handled by one of the two report
# workflows (complaints about an office's conduct follow supervision's own workflow: not here).
REPORT_CATEGORIES = ("complaints", "urban_services")
REPORT_WORKFLOWS = ("report_handling", "complaint_handling")
# The municipal roles that see the list and the map.
REPORT_ROLES = frozenset(
    {
        Role.MUNICIPAL_REVIEWER.value,
        Role.TECHNICAL_INSPECTOR.value,
        Role.CITY_ADMINISTRATOR.value,
        Role.AUDITOR.value,
    }
)
# Duplicate hints: the case page's panel and the list's mark use the same rule.
DUPLICATE_RADIUS_M = 150
DUPLICATE_DAYS = 30
LIST_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAP_MAX_DOTS = 1000  # the newest reports with a point drawn on the map
MAP_MAX_ADDRESSES = 100  # the newest address-only reports listed beside it
TEXT_MAX = 100
# The list's duplicate mark measures at most this many nearby open cases per row.
HINT_CANDIDATES_PER_ROW = 50

# A report's status as the list and the map show it.
STATUS_NEW = "new"  # filed, nobody has taken it up yet (the workflow's first state)
STATUS_IN_PROGRESS = "in_progress"  # open and being handled
STATUS_CLOSED = "closed"


def report_cases_q() -> Q:
    """The cases that are complaints or reports (the one definition the pages use)."""
    return Q(category__code__in=REPORT_CATEGORIES, service_version__workflow_name__in=REPORT_WORKFLOWS)


def is_report_version(version: ServiceVersion, *, category_code: str) -> bool:
    """Whether a service version (of the category ``category_code``) is a complaint or report."""
    return category_code in REPORT_CATEGORIES and version.workflow_name in REPORT_WORKFLOWS


def is_report_case(case: Case) -> bool:
    return is_report_version(case.service_version, category_code=case.category.code)


def report_services() -> list[tuple[str, str]]:
    """(code, name) of every published complaint or report service, its newest version's name,
    in code order (the list's service filter)."""
    versions = (
        ServiceVersion.objects.filter(
            status=VersionStatus.PUBLISHED,
            service_type__category__code__in=REPORT_CATEGORIES,
            workflow_name__in=REPORT_WORKFLOWS,
        )
        .select_related("service_type")
        .order_by("service_type__code", "-number")
    )
    chosen: dict[str, str] = {}
    for version in versions:
        chosen.setdefault(version.service_type.code, version.name)
    return list(chosen.items())


# --- who sees what -------------------------------------------------------------------------------


def _report_assignments(user: User, city: City | None = None) -> list[StaffAssignment]:
    return [
        a
        for a in offices_staff_of(user=user)
        if a.office_id is None and a.role in REPORT_ROLES and (city is None or a.city_id == city.pk)
    ]


def report_cities(*, user: User) -> list[City]:
    """The cities where the user holds a role that sees the reports, in code order."""
    cities: dict[int, City] = {}
    for assignment in _report_assignments(user):
        cities.setdefault(assignment.city_id, assignment.city)
    return sorted(cities.values(), key=lambda city: city.code)


def report_scope(*, user: User, city: City) -> Q | None:
    """The reports of ``city`` the user may see (None: none at all)."""
    assignments = _report_assignments(user, city)
    if not assignments:
        return None
    departments = {a.department for a in assignments}
    if "" in departments:
        return Q(city=city)
    return Q(city=city, department__in=sorted(departments))


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    service: str = ""  # a service code; empty: every report service
    status: str = ""  # "open", "closed" or empty for both
    district: int | None = None  # a district number
    date_from: date | None = None  # filed on or after this day (Tehran)
    date_to: date | None = None  # filed on or before this day (Tehran)
    text: str = ""  # tracking code, address, description or applicant name


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TEHRAN)


def _text_q(text: str) -> Q | None:
    clean = normalize_persian(text or "")[:TEXT_MAX]
    if not clean:
        return None
    code = normalize_tracking_code(clean)
    latin = to_latin_digits(clean)
    match = Q(applicant_name__contains=normalize_for_search(clean))
    for variant in {clean, latin, to_persian_digits(clean)}:
        match |= Q(address__contains=variant)
    # The free text of reports (description) and complaints (details), stored with Latin digits.
    match |= Q(data__description__icontains=latin) | Q(data__details__icontains=latin)
    if is_well_formed(code):
        match |= Q(tracking_code=code)
    return match


def _filtered(queryset: QuerySet[Case], filters: ReportFilters) -> QuerySet[Case]:
    if filters.service:
        queryset = queryset.filter(service_type__code=filters.service)
    if filters.status == "open":
        queryset = queryset.filter(closed_at__isnull=True)
    elif filters.status == "closed":
        queryset = queryset.filter(closed_at__isnull=False)
    if filters.district is not None:
        queryset = queryset.filter(zone__number=filters.district)
    if filters.date_from is not None:
        queryset = queryset.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        queryset = queryset.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    text = _text_q(filters.text)
    if text is not None:
        queryset = queryset.filter(text)
    return queryset


def reports_for(*, user: User, city: City, filters: ReportFilters | None = None) -> QuerySet[Case]:
    """The reports of ``city`` the user may see that match ``filters``, newest first."""
    scope = report_scope(user=user, city=city)
    if scope is None:
        return Case.objects.none()
    queryset = Case.objects.filter(scope).filter(report_cases_q())
    return _filtered(queryset, filters or ReportFilters()).order_by("-created_at", "-pk")


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    case: Case
    state_name: dict[str, str]
    status: str  # STATUS_NEW, STATUS_IN_PROGRESS or STATUS_CLOSED
    has_duplicates: bool = False


def report_status(case: Case) -> str:
    if case.closed_at is not None:
        return STATUS_CLOSED
    return STATUS_NEW if case.state == workflow_of(case).start else STATUS_IN_PROGRESS


def _row(case: Case, *, duplicates: set[int] | None = None) -> ReportRow:
    return ReportRow(
        case=case,
        state_name=workflow_of(case).state(case.state).name,
        status=report_status(case),
        has_duplicates=duplicates is not None and case.pk in duplicates,
    )


def _box(latitude: float, longitude: float, radius_m: float) -> Q:
    margin = radius_m * 1.01 + 1
    d_lat = margin / METRES_PER_DEGREE_LATITUDE
    d_lon = margin / (METRES_PER_DEGREE_LATITUDE * max(math.cos(math.radians(latitude)), 0.01))

    def q(value: float) -> Decimal:
        return Decimal(str(round(value, 6)))

    return Q(
        latitude__gte=q(latitude - d_lat),
        latitude__lte=q(latitude + d_lat),
        longitude__gte=q(longitude - d_lon),
        longitude__lte=q(longitude + d_lon),
    )


def duplicate_hints(
    cases: list[Case], *, radius_m: int = DUPLICATE_RADIUS_M, days: int = DUPLICATE_DAYS
) -> set[int]:
    """The ids of ``cases`` that have a possible duplicate by the rule of
    ``complaints.duplicates.possible_duplicates`` (an open case of the same service in the same
    city, filed in the last ``days``, within ``radius_m`` metres): one query for all of them."""
    points = [
        (c.pk, c.city_id, c.service_type_id, float(c.latitude), float(c.longitude))
        for c in cases
        if c.latitude is not None and c.longitude is not None
    ]
    if not points:
        return set()
    boxes = [
        Q(city_id=city_id, service_type_id=service_id) & _box(lat, lon, radius_m)
        for _pk, city_id, service_id, lat, lon in points
    ]
    candidates = [
        (pk, city_id, service_id, float(lat), float(lon))
        for pk, city_id, service_id, lat, lon in Case.objects.filter(reduce(or_, boxes))
        .filter(closed_at__isnull=True, created_at__gte=timezone.now() - timedelta(days=days))
        .values_list("pk", "city_id", "service_type_id", "latitude", "longitude")[
            : HINT_CANDIDATES_PER_ROW * len(points)
        ]
        if lat is not None and lon is not None
    ]
    hinted: set[int] = set()
    for pk, city_id, service_id, lat, lon in points:
        if any(
            other != pk
            and (other_city, other_service) == (city_id, service_id)
            and distance_m(lat, lon, other_lat, other_lon) <= radius_m
            for other, other_city, other_service, other_lat, other_lon in candidates
        ):
            hinted.add(pk)
    return hinted


def _listing(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("service_version", "service_type", "zone", "applicant", "office")


@dataclass(frozen=True)
class ReportsPage:
    rows: list[ReportRow]
    page: Page[Case]


def reports_page(
    *,
    user: User,
    city: City,
    filters: ReportFilters | None = None,
    page: int = 1,
    page_size: int = LIST_PAGE_SIZE,
) -> ReportsPage:
    """One page of the list, each row marked when it has a possible duplicate."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    result = Paginator(_listing(reports_for(user=user, city=city, filters=filters)), size).get_page(page)
    cases = list(result.object_list)
    duplicates = duplicate_hints(cases)
    return ReportsPage(rows=[_row(c, duplicates=duplicates) for c in cases], page=result)


# --- the map -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportsMap:
    zones: list[Zone]
    placed: list[ReportRow]  # reports with a point, newest first (at most MAP_MAX_DOTS)
    address_only: list[ReportRow]  # reports with an address alone (at most MAP_MAX_ADDRESSES)
    more_placed: bool = False  # more reports with a point match than are drawn
    more_address_only: bool = False


def reports_map(*, user: User, city: City, filters: ReportFilters | None = None) -> ReportsMap:
    """The city's districts and the matching reports, split into those with a map point and those
    with an address alone; each part bounded (three queries)."""
    matching = _listing(reports_for(user=user, city=city, filters=filters))
    placed = list(matching.filter(latitude__isnull=False, longitude__isnull=False)[: MAP_MAX_DOTS + 1])
    addressed = list(
        matching.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))[: MAP_MAX_ADDRESSES + 1]
    )
    zones = list(Zone.objects.filter(city=city).order_by("number"))
    return ReportsMap(
        zones=zones,
        placed=[_row(c) for c in placed[:MAP_MAX_DOTS]],
        address_only=[_row(c) for c in addressed[:MAP_MAX_ADDRESSES]],
        more_placed=len(placed) > MAP_MAX_DOTS,
        more_address_only=len(addressed) > MAP_MAX_ADDRESSES,
    )


def case_duplicates(*, case: Case, user: User) -> list[Case]:
    """The possible duplicates of a report that the user may open themselves (the case page's
    panel for municipal staff), each with its ``distance_m``; empty for other services."""
    if not is_report_case(case):
        return []
    found = possible_duplicates(case=case, radius_m=DUPLICATE_RADIUS_M, days=DUPLICATE_DAYS)
    assignments = list(offices_staff_of(user=user))
    return [other for other in found if case_roles_of(case=other, user=user, assignments=assignments)]
