"""Reads of case files: who may see and act, inboxes, search, the citizen's cases, public tracking.

Every list is paginated with a bound and costs a fixed number of queries however many cases exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page
from django.db.models import Q, QuerySet

from daftar.accounts.models import Person, User
from daftar.accounts.roles import ROLE_BY_CODE, Scope
from daftar.catalog.models import ServiceVersion
from daftar.core.jalali import local_today
from daftar.core.paging import COUNT_CAP, CappedPaginator
from daftar.core.text import digits_only, normalize_for_search, to_latin_digits
from daftar.offices.models import StaffAssignment
from daftar.offices.selectors import offices_staff_of
from daftar.workflow.definition import APPLICANT, Workflow

from .models import Case, CaseEvent
from .rows import ROW_VALUES, CaseRow, case_row, working_days_left
from .tracking import is_well_formed, normalize_tracking_code

MAX_PAGE_SIZE = 100
# A search matching more than this is told to narrow itself (a common surname at a million cases
# matches tens of thousands, and counting them cost more than the page).
SEARCH_COUNT_CAP = 200


def workflow_of(case: Case) -> Workflow:
    """The (cached) workflow the case's pinned service version defines."""
    return workflow_of_version(case.service_version)


def workflow_of_version(version: ServiceVersion) -> Workflow:
    """The (cached) workflow a service version defines: parsed once per version and process."""
    return _workflow(version.pk, version.content_hash, lambda: version.workflow)


def workflow_of_version_id(version_id: int, content_hash: str) -> Workflow:
    """The same by the version's id and content hash (list rows carry no definitions)."""
    return _workflow(
        version_id,
        content_hash,
        lambda: ServiceVersion.objects.values_list("workflow", flat=True).get(pk=version_id),
    )


def _workflow(version_id: int, content_hash: str, definition: Callable[[], dict[str, Any]]) -> Workflow:
    key = (version_id, content_hash)
    workflow = _cache.get(key)
    if workflow is None:  # only now read the definition: lists leave it out
        if len(_cache) > 1024:
            _cache.clear()
        workflow = _cache[key] = Workflow(definition())
    return workflow


_cache: dict[tuple[int, str], Workflow] = {}


def _assignment_matches(assignment: StaffAssignment, case: Case) -> bool:
    spec = ROLE_BY_CODE.get(assignment.role)
    if spec is None:
        return False
    if spec.scope == Scope.OFFICE:
        return assignment.office_id is not None and assignment.office_id == case.office_id
    if spec.scope == Scope.CITY:
        return assignment.city_id == case.city_id and assignment.department in ("", case.department)
    return False  # agency roles see inquiries, not whole cases


def case_roles_of(
    *, case: Case, user: User | AnonymousUser, assignments: Iterable[StaffAssignment] | None = None
) -> set[str]:
    """The roles the user holds *for this case*: "applicant" for their own, staff roles by scope."""
    if not user.is_authenticated:
        return set()
    roles: set[str] = set()
    if user.person_id is not None and user.person_id == case.applicant_id:
        roles.add(APPLICANT)
    rows = assignments if assignments is not None else offices_staff_of(user=user)
    roles |= {a.role for a in rows if _assignment_matches(a, case)}
    return roles


def case_visible_to(*, case: Case, user: User | AnonymousUser) -> bool:
    return bool(case_roles_of(case=case, user=user))


def sees_internal(roles: set[str]) -> bool:
    """Staff see internal events; an applicant only the citizen-visible ones."""
    return bool(roles - {APPLICANT})


def case_events_for(*, case: Case, roles: set[str]) -> QuerySet[CaseEvent]:
    events = CaseEvent.objects.filter(case=case).select_related("actor", "office").order_by("seq")
    return events if sees_internal(roles) else events.filter(public=True)


def _scope_q(assignments: Sequence[StaffAssignment], *, waiting: bool) -> Q | None:
    """Cases the assignments cover; with ``waiting``, only those waiting on the assignment's role."""
    combined: Q | None = None
    for a in assignments:
        spec = ROLE_BY_CODE.get(a.role)
        if spec is None or spec.scope == Scope.AGENCY:
            continue
        if spec.scope == Scope.OFFICE:
            if a.office_id is None:
                continue
            q = Q(office_id=a.office_id)
        else:
            q = Q(city_id=a.city_id)
            if a.department:
                q &= Q(department=a.department)
        if waiting:
            q &= Q(waiting_on__contains=f"|{a.role}|")
        combined = q if combined is None else combined | q
    return combined


@dataclass(frozen=True)
class InboxRow:
    case: CaseRow
    working_days_left: int | None  # negative when overdue; None when the clock is paused
    state_name: dict[str, str]


def _rows(page: Page[Any], *, today: date) -> list[InboxRow]:
    """The page's rows: its slice of the query read as values (the count ran on the bare query)."""
    sliced = page.object_list
    values: Iterable[Mapping[str, Any]] = (
        sliced.values(*ROW_VALUES) if isinstance(sliced, QuerySet) else sliced
    )
    cases = [case_row(v) for v in values]
    if not cases:
        return []
    left = working_days_left(cases, today=today)
    return [
        InboxRow(
            case=c,
            working_days_left=days,
            state_name=workflow_of_version_id(c.service_version_id, c.content_hash).state(c.state).name,
        )
        for c, days in zip(cases, left, strict=True)
    ]


def _listing(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related(
        "service_version", "service_type", "applicant", "office", "city", "assignee"
    )


def _page(queryset: QuerySet[Case, Any], *, page: int, page_size: int, cap: int = COUNT_CAP) -> Page[Any]:
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    return CappedPaginator(queryset, size, cap=cap).get_page(page)


@dataclass(frozen=True)
class RowsPage:
    rows: list[InboxRow]
    page: Page[Any]

    @property
    def count_capped(self) -> bool:
        """More cases match than the page's count says (see ``CappedPaginator``)."""
        return bool(getattr(self.page.paginator, "capped", False))


def inbox_for(*, user: User, page: int = 1, page_size: int = 50, today: date | None = None) -> RowsPage:
    """Open cases waiting on one of the user's roles within their scope: overdue first, then by due date."""
    assignments = list(offices_staff_of(user=user))
    scope = _scope_q(assignments, waiting=True)
    if scope is None:
        return RowsPage(rows=[], page=_page(Case.objects.none(), page=1, page_size=page_size))
    queryset = Case.objects.filter(scope, closed_at__isnull=True).order_by(
        "-overdue", "-escalated", "state_due_date", "created_at"
    )
    result = _page(queryset, page=page, page_size=page_size)
    return RowsPage(rows=_rows(result, today=today or local_today()), page=result)


def cases_of_applicant(*, user: User, page: int = 1, page_size: int = 20) -> RowsPage:
    """The citizen's own cases (as applicant), newest first."""
    if user.person_id is None:
        return RowsPage(rows=[], page=_page(Case.objects.none(), page=1, page_size=page_size))
    queryset = Case.objects.filter(applicant_id=user.person_id).order_by("-created_at")
    result = _page(queryset, page=page, page_size=page_size)
    return RowsPage(rows=_rows(result, today=local_today()), page=result)


def cases_search(*, user: User, query: str, page: int = 1, page_size: int = 50) -> RowsPage:
    """Staff search within their scope by tracking code, national code, applicant name or renewal code."""
    assignments = list(offices_staff_of(user=user))
    scope = _scope_q(assignments, waiting=False)
    text = (query or "").strip()
    if scope is None or not text:
        return RowsPage(rows=[], page=_page(Case.objects.none(), page=1, page_size=page_size))
    code = normalize_tracking_code(text)
    latin = to_latin_digits(text)
    digits = digits_only(latin)
    has_digit = any(ch.isdigit() for ch in latin)
    # Each kind of term only where it can match (a code or a number is no name): an OR of a name
    # pattern with a national code read every case of the city; these are each served by an index.
    is_code = is_well_formed(code)
    wants_name = not is_code and any(ch.isalpha() for ch in latin)  # a company name may hold digits
    match = Q(applicant_name__contains=normalize_for_search(text)) if wants_name else Q(pk__in=[])
    if is_code:
        match |= Q(tracking_code=code)
    if digits and len(digits) in (10, 11) and digits == latin.strip():
        # The people first (a unique look-up), then their cases by the applicant index: as a
        # subquery the planner walked the whole city instead (docs/performance.md).
        people = list(Person.objects.filter(national_code=digits).values_list("pk", flat=True))
        if people:
            match |= Q(applicant_id__in=people)
    if has_digit:
        match |= Q(renewal_code=latin.replace(" ", "").replace("/", "-"))
    queryset = Case.objects.filter(scope).filter(match).order_by("-created_at")
    result = _page(queryset, page=page, page_size=page_size, cap=SEARCH_COUNT_CAP)
    return RowsPage(rows=_rows(result, today=local_today()), page=result)


def case_for_user(*, tracking_code: str, user: User | AnonymousUser) -> tuple[Case, set[str]] | None:
    """The case and the user's roles on it, or None when it does not exist *or* is not theirs to see."""
    code = normalize_tracking_code(tracking_code)
    if not is_well_formed(code):
        return None
    case = _listing(Case.objects.filter(tracking_code=code)).first()
    if case is None:
        return None
    roles = case_roles_of(case=case, user=user)
    return (case, roles) if roles else None


def case_track_public(*, tracking_code: str, national_code: str) -> Case | None:
    """Public tracking: the case only when the tracking code *and* the applicant's national code match.

    A wrong national code and an unknown code give the same answer (None).
    """
    code = normalize_tracking_code(tracking_code)
    digits = digits_only(to_latin_digits(national_code or ""))
    if not is_well_formed(code) or len(digits) not in (10, 11):
        return None
    return (
        Case.objects.filter(tracking_code=code, applicant__national_code=digits)
        .select_related("service_version", "office")
        .only(*TRACK_FIELDS)
        .first()
    )


# What public tracking shows (the page and POST /api/v1/track): the lookup is the most frequent
# request of all, and compiling a six-table query for it cost more than running it.
TRACK_FIELDS = (
    "id", "tracking_code", "service_version", "office", "applicant", "state", "due_date", "closed_at",
    "created_at", "outcome",
    "service_version__id", "service_version__content_hash", "service_version__name_fa",
    "service_version__name_en", "office__id", "office__code", "office__name",
)  # fmt: skip


@dataclass(frozen=True)
class AllowedAction:
    code: str
    name: dict[str, str]
    reason: str  # none | optional | required
    shared: bool


def case_actions_for(*, case: Case, roles: set[str]) -> list[AllowedAction]:
    """The actions the holder of ``roles`` may take on the case now (guards are checked on acting)."""
    if case.closed_at is not None:
        return []
    workflow = workflow_of(case)
    state = workflow.state(case.state)
    return [
        AllowedAction(code=action.code, name=action.name, reason=action.reason, shared=action.shared)
        for action in state.actions.values()
        if workflow.may_take(action, roles, state=state, escalated=case.escalated)
    ]
