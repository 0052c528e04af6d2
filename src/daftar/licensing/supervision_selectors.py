"""Reads for supervising the offices: who supervises where, the city's offices with their standing,
an office's file (licence, inspections, violations, sanctions and appeals), the sanction ladder's
suggestion, appeals awaiting a decision, and the sanctions an office sees.

Every list is bounded and loaded in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.offices.models import City, LicenceStatus, Office, StaffAssignment
from daftar.offices.selectors import offices_staff_of

from .models import (
    SANCTION_SEVERITY,
    Appeal,
    AppealStatus,
    Inspection,
    OfficeLicence,
    Sanction,
    SanctionKind,
    SanctionStatus,
    Violation,
    ViolationType,
)

# Who does what in supervision (municipal roles of the office's city).
RECORD_ROLES = frozenset({Role.TECHNICAL_INSPECTOR.value, Role.LICENSING_OFFICER.value})  # inspections
SANCTION_ROLES = frozenset({Role.LICENSING_OFFICER.value, Role.CITY_ADMINISTRATOR.value})
DECIDE_ROLES = frozenset({Role.CITY_ADMINISTRATOR.value})  # appeals, never by the sanction's issuer
SUPERVISOR_ROLES = RECORD_ROLES | SANCTION_ROLES | DECIDE_ROLES
READ_ROLES = SUPERVISOR_ROLES | {Role.AUDITOR.value}  # the auditor reads everything, does nothing

# The graduated ladder (تذکر، تعلیق، لغو): sanctions issued in the last year that were not overturned
# on appeal count. No earlier sanction, or one warning → warning; two or more warnings → suspension;
# any earlier suspension (or revocation) → revocation. Never below the strictest ``min_sanction``
# of the violations it is for (misuse of citizens' data draws a suspension at least).
LADDER_LOOKBACK_DAYS = 365
WARNINGS_BEFORE_SUSPENSION = 2
# An office may appeal a sanction within this many days of its issue, once.
APPEAL_WINDOW_DAYS = 20
# The city's list of offices shows violations observed in this many days.
RECENT_VIOLATION_DAYS = 90
OFFICES_PAGE_SIZE = 30
FILE_ROWS = 50  # inspections, violations and sanctions shown on an office's file
COMPLAINT_SERVICE = "complaint.office_conduct"
# What an inspector checks at the office (True: as it should be).
CHECKLIST_ITEMS = {
    "licence_displayed": _("The licence is displayed"),
    "hours_posted": _("The approved hours are posted"),
    "tariffs_posted": _("The approved tariffs are posted"),
    "equipment_complete": _("The required equipment is there and works"),
    "staff_registered": _("Everyone at the counter is registered staff"),
    "premises_as_licensed": _("The premises are as licensed"),
    "visitor_facilities": _("There are facilities for visitors"),
    "receipts_issued": _("A receipt is given for every payment"),
}


# --- who supervises where ------------------------------------------------------------------------


@dataclass(frozen=True)
class CityRoles:
    """The supervision roles one user holds for one city."""

    city: City
    roles: frozenset[str]

    @property
    def can_record(self) -> bool:
        return bool(self.roles & RECORD_ROLES)

    @property
    def can_sanction(self) -> bool:
        return bool(self.roles & SANCTION_ROLES)

    @property
    def can_decide(self) -> bool:
        return bool(self.roles & DECIDE_ROLES)


def supervision_cities(*, user: User | AnonymousUser) -> dict[int, CityRoles]:
    """The cities where the user may read supervision pages, with the roles held there."""
    found: dict[int, tuple[City, set[str]]] = {}
    for assignment in offices_staff_of(user=user):
        if assignment.office_id is None and assignment.role in READ_ROLES:
            found.setdefault(assignment.city_id, (assignment.city, set()))[1].add(assignment.role)
    return {pk: CityRoles(city=city, roles=frozenset(roles)) for pk, (city, roles) in found.items()}


def office_of_city(*, city: City, code: str) -> Office | None:
    return Office.objects.select_related("city", "zone").filter(city=city, code=code).first()


def offices_facing_sanctions(*, user: User | AnonymousUser) -> list[Office]:
    """The offices whose sanctions the user answers for: those they actively manage and those whose
    licence they hold (in code order)."""
    if not user.is_authenticated:
        return []
    managed = {
        a.office_id
        for a in offices_staff_of(user=user)
        if a.role == Role.OFFICE_MANAGER.value and a.office_id is not None
    }
    person_id = getattr(user, "person_id", None)
    held = (
        set(OfficeLicence.objects.filter(holder_id=person_id).values_list("office_id", flat=True))
        if person_id
        else set()
    )
    return list(Office.objects.filter(pk__in=managed | held).select_related("city", "zone").order_by("code"))


def may_answer_for(*, user: User, office: Office) -> bool:
    """Whether the user is an active manager of the office or holds its licence."""
    if StaffAssignment.objects.filter(
        user=user, office=office, role=Role.OFFICE_MANAGER.value, is_active=True
    ).exists():
        return True
    return (
        bool(user.person_id)
        and OfficeLicence.objects.filter(office=office, holder_id=user.person_id).exists()
    )


def office_notice_mobiles(*, office: Office) -> list[str]:
    """Where a notice to the office goes: its active managers and the licence holder (no repeats)."""
    mobiles: list[str] = []
    for assignment in StaffAssignment.objects.filter(
        office=office, role=Role.OFFICE_MANAGER.value, is_active=True
    ).select_related("user__person"):
        user = assignment.user
        mobiles.append(user.mobile or (user.person.mobile if user.person else "") or "")
    holder_mobile = (
        OfficeLicence.objects.filter(office=office).values_list("holder__mobile", flat=True).first() or ""
    )
    mobiles.append(holder_mobile)
    return list(dict.fromkeys(m for m in mobiles if m))


# --- standing ------------------------------------------------------------------------------------


def standing_due(*, office: Office, today: date) -> str:
    """The licence status the office's licence and sanctions call for on ``today``.

    A revoked licence (or a revocation in force) → revoked; a suspension in force covering today →
    suspended; a licence past its last valid day → expired; otherwise active. An office without a
    licence row (the demo city's) is active unless a sanction says otherwise; one still pending
    activation stays pending.
    """
    licence = OfficeLicence.objects.filter(office=office).only("revoked_at", "valid_until").first()
    live = Sanction.objects.filter(office=office, status=SanctionStatus.IN_FORCE, starts_on__lte=today)
    if (licence is not None and licence.revoked_at is not None) or live.filter(
        kind=SanctionKind.REVOCATION
    ).exists():
        return LicenceStatus.REVOKED.value
    if live.filter(kind=SanctionKind.SUSPENSION, ends_on__gt=today).exists():
        return LicenceStatus.SUSPENDED.value
    valid_until = licence.valid_until if licence is not None else office.licence_valid_until
    if valid_until is not None and valid_until < today:
        return LicenceStatus.EXPIRED.value
    if licence is None and office.licence_status == LicenceStatus.PENDING:
        return LicenceStatus.PENDING.value
    return LicenceStatus.ACTIVE.value


def standing_shown(*, office: Office, today: date) -> str:
    """The status as a reader should see it: an active office past its licence's end is expired
    even before the nightly sweep marks it."""
    if (
        office.licence_status == LicenceStatus.ACTIVE
        and office.licence_valid_until is not None
        and office.licence_valid_until < today
    ):
        return LicenceStatus.EXPIRED.value
    return str(office.licence_status)


# --- the ladder ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """The sanction the ladder suggests, and why."""

    kind: SanctionKind
    ladder: SanctionKind  # what the office's record alone calls for
    floor: SanctionKind  # the strictest least sanction of the violations
    warnings: int  # earlier warnings counted (last year, not overturned)
    suspensions: int  # earlier suspensions or revocations counted


def _stricter(a: SanctionKind, b: SanctionKind) -> SanctionKind:
    return a if SANCTION_SEVERITY[a] >= SANCTION_SEVERITY[b] else b


def sanction_ladder(
    *, office: Office, violations: Iterable[Violation], at: datetime | None = None
) -> Suggestion:
    """The ladder's suggestion for a sanction of ``office`` for ``violations`` (one query, plus the
    violations' types when not already loaded)."""
    moment = at or timezone.now()
    since = moment - timedelta(days=LADDER_LOOKBACK_DAYS)
    kinds = list(
        Sanction.objects.filter(office=office, issued_at__gte=since, issued_at__lte=moment)
        .exclude(status=SanctionStatus.OVERTURNED)
        .values_list("kind", flat=True)
    )
    warnings = sum(1 for k in kinds if k == SanctionKind.WARNING)
    suspensions = sum(1 for k in kinds if k in (SanctionKind.SUSPENSION, SanctionKind.REVOCATION))
    if suspensions:
        ladder = SanctionKind.REVOCATION
    elif warnings >= WARNINGS_BEFORE_SUSPENSION:
        ladder = SanctionKind.SUSPENSION
    else:
        ladder = SanctionKind.WARNING
    floor = SanctionKind.WARNING
    for violation in violations:
        floor = _stricter(floor, SanctionKind(violation.type.min_sanction))
    return Suggestion(
        kind=_stricter(ladder, floor), ladder=ladder, floor=floor, warnings=warnings, suspensions=suspensions
    )


def suspension_days_suggested(*, violations: Iterable[Violation]) -> int:
    """The longest suggested suspension among the violations' types (30 days when none)."""
    return max((v.type.suspension_days for v in violations), default=30)


# --- the city's offices --------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeRow:
    office: Office
    licence: OfficeLicence | None
    standing: str
    sanctions_in_force: int
    violations_recent: int
    suspended_until: date | None

    @property
    def standing_label(self) -> str:
        return str(LicenceStatus(self.standing).label)


@dataclass(frozen=True)
class OfficesPage:
    rows: list[OfficeRow]
    page: Page[Any]  # the offices of this page, for the page links


def _count_of(queryset: QuerySet[Sanction] | QuerySet[Violation]) -> Coalesce:
    counted = queryset.order_by().values("office").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def offices_overview(
    *,
    city: City,
    today: date,
    zone_number: int | None = None,
    status: str = "",
    query: str = "",
    page: int = 1,
    page_size: int = OFFICES_PAGE_SIZE,
) -> OfficesPage:
    """The city's offices with standing, sanctions in force and recent violations (2 queries)."""
    since = timezone.now() - timedelta(days=RECENT_VIOLATION_DAYS)
    offices = (
        Office.objects.filter(city=city)
        .select_related("zone", "licence")
        .annotate(
            live_sanctions=_count_of(
                Sanction.objects.filter(office=OuterRef("pk"), status=SanctionStatus.IN_FORCE)
            ),
            recent_violations=_count_of(
                Violation.objects.filter(office=OuterRef("pk"), observed_at__gte=since)
            ),
            suspended_until=Subquery(
                Sanction.objects.filter(
                    office=OuterRef("pk"), status=SanctionStatus.IN_FORCE, kind=SanctionKind.SUSPENSION
                )
                .order_by()
                .values("office")
                .annotate(last=Max("ends_on"))
                .values("last")
            ),
        )
        .order_by("code")
    )
    if zone_number is not None:
        offices = offices.filter(zone__number=zone_number)
    if status == LicenceStatus.EXPIRED:
        offices = offices.filter(
            Q(licence_status=LicenceStatus.EXPIRED)
            | Q(licence_status=LicenceStatus.ACTIVE, licence_valid_until__lt=today)
        )
    elif status == LicenceStatus.ACTIVE:
        offices = offices.filter(licence_status=LicenceStatus.ACTIVE).exclude(licence_valid_until__lt=today)
    elif status in LicenceStatus.values:
        offices = offices.filter(licence_status=status)
    text = query.strip()
    if text:
        offices = offices.filter(Q(code=text) | Q(name__icontains=text) | Q(licence__number=text.upper()))
    paged = Paginator(offices, min(max(page_size, 1), 100)).get_page(page)
    rows = [
        OfficeRow(
            office=office,
            licence=getattr(office, "licence", None),
            standing=standing_shown(office=office, today=today),
            sanctions_in_force=int(getattr(office, "live_sanctions", 0)),
            violations_recent=int(getattr(office, "recent_violations", 0)),
            suspended_until=getattr(office, "suspended_until", None),
        )
        for office in paged.object_list
    ]
    return OfficesPage(rows=rows, page=paged)


# --- one office's file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SanctionRow:
    sanction: Sanction
    appeal: Appeal | None
    appeal_until: date
    appealable: bool  # in force, not yet appealed, inside the window


@dataclass(frozen=True)
class InspectionRow:
    inspection: Inspection
    checks: list[tuple[str, bool]]  # (label, as it should be) in checklist order

    @property
    def failed(self) -> list[str]:
        return [label for label, ok in self.checks if not ok]


@dataclass(frozen=True)
class ViolationRow:
    violation: Violation
    sanctioned: bool  # behind a sanction that was not overturned


@dataclass
class OfficeFile:
    office: Office
    licence: OfficeLicence | None
    standing: str
    inspections: list[InspectionRow] = field(default_factory=list)
    violations: list[ViolationRow] = field(default_factory=list)
    sanctions: list[SanctionRow] = field(default_factory=list)
    complaints: list[Case] = field(default_factory=list)
    unsanctioned: int = 0

    @property
    def standing_label(self) -> str:
        return str(LicenceStatus(self.standing).label)


def appeal_deadline(sanction: Sanction) -> datetime:
    return sanction.issued_at + timedelta(days=APPEAL_WINDOW_DAYS)


def _sanction_rows(sanctions: Iterable[Sanction], now: datetime) -> list[SanctionRow]:
    rows = []
    for sanction in sanctions:
        appeal = getattr(sanction, "appeal", None)
        deadline = appeal_deadline(sanction)
        rows.append(
            SanctionRow(
                sanction=sanction,
                appeal=appeal,
                appeal_until=timezone.localtime(deadline).date(),
                appealable=appeal is None and sanction.status == SanctionStatus.IN_FORCE and now <= deadline,
            )
        )
    return rows


def _sanctions_with_details(office: Office) -> QuerySet[Sanction]:
    return (
        Sanction.objects.filter(office=office)
        .select_related("appeal", "issued_by", "appeal__decided_by")
        .prefetch_related(Prefetch("violations", queryset=Violation.objects.select_related("type")))
        .order_by("-issued_at", "-pk")
    )


def sanctioned_violation_ids(*, office: Office) -> set[int]:
    """Violations of the office behind a sanction that was not overturned (these are not sanctioned
    again)."""
    through = Sanction.violations.through
    return set(
        through.objects.filter(sanction__office=office)
        .exclude(sanction__status=SanctionStatus.OVERTURNED)
        .values_list("violation_id", flat=True)
    )


def violations_open(*, office: Office, since_days: int = LADDER_LOOKBACK_DAYS) -> list[Violation]:
    """The office's violations of the last year not yet behind a sanction, newest first."""
    since = timezone.now() - timedelta(days=since_days)
    through = Sanction.violations.through
    taken = (
        through.objects.filter(sanction__office=office)
        .exclude(sanction__status=SanctionStatus.OVERTURNED)
        .values("violation_id")
    )
    return list(
        Violation.objects.filter(office=office, observed_at__gte=since)
        .exclude(pk__in=taken)
        .select_related("type")
        .order_by("-observed_at", "-pk")[:FILE_ROWS]
    )


def office_file(*, office: Office, today: date) -> OfficeFile:
    """Everything a supervisor reads about one office (a fixed number of queries)."""
    now = timezone.now()
    licence = (
        OfficeLicence.objects.select_related("certificate", "holder", "zone").filter(office=office).first()
    )
    inspections = list(
        Inspection.objects.filter(office=office)
        .select_related("inspector", "related_case")
        .prefetch_related(Prefetch("violations", queryset=Violation.objects.select_related("type")))
        .order_by("-inspected_at", "-pk")[:FILE_ROWS]
    )
    taken = sanctioned_violation_ids(office=office)
    violations = list(
        Violation.objects.filter(office=office)
        .select_related("type", "inspection", "recorded_by")
        .order_by("-observed_at", "-pk")[:FILE_ROWS]
    )
    rows = [ViolationRow(violation=v, sanctioned=v.pk in taken) for v in violations]
    year_ago = now - timedelta(days=LADDER_LOOKBACK_DAYS)
    complaints = list(
        Case.objects.filter(city=office.city, service_type__code=COMPLAINT_SERVICE, links__office=office.code)
        .select_related("service_version")
        .order_by("-created_at")[:10]
    )
    return OfficeFile(
        office=office,
        licence=licence,
        standing=standing_shown(office=office, today=today),
        inspections=[
            InspectionRow(
                inspection=i,
                checks=[
                    (str(label), bool(i.checklist[key]))
                    for key, label in CHECKLIST_ITEMS.items()
                    if key in (i.checklist or {})
                ],
            )
            for i in inspections
        ],
        violations=rows,
        sanctions=_sanction_rows(list(_sanctions_with_details(office)[:FILE_ROWS]), now),
        complaints=complaints,
        unsanctioned=sum(1 for row in rows if not row.sanctioned and row.violation.observed_at >= year_ago),
    )


def complaint_of_office(*, office: Office, tracking_code: str) -> Case | None:
    """A complaint about this office by its tracking code (what an inspection may follow up)."""
    return Case.objects.filter(
        city=office.city,
        service_type__code=COMPLAINT_SERVICE,
        links__office=office.code,
        tracking_code=tracking_code,
    ).first()


def violation_types_active() -> list[ViolationType]:
    return list(ViolationType.objects.filter(is_active=True).order_by("code"))


# --- appeals -------------------------------------------------------------------------------------


def appeals_pending(*, city: City, limit: int = 100) -> list[Appeal]:
    """Appeals of the city's offices awaiting a decision, oldest first."""
    return list(
        Appeal.objects.filter(status=AppealStatus.PENDING, sanction__office__city=city)
        .select_related("sanction__office", "sanction__issued_by", "filed_by")
        .prefetch_related(Prefetch("sanction__violations", queryset=Violation.objects.select_related("type")))
        .order_by("filed_at", "pk")[:limit]
    )


def appeals_decided(*, city: City, limit: int = 20) -> list[Appeal]:
    return list(
        Appeal.objects.filter(sanction__office__city=city)
        .exclude(status=AppealStatus.PENDING)
        .select_related("sanction__office", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def appeal_of_city(*, city: City, pk: int) -> Appeal | None:
    return (
        Appeal.objects.select_related("sanction__office__city")
        .filter(pk=pk, sanction__office__city=city)
        .first()
    )


def office_sanctions(*, office: Office) -> list[SanctionRow]:
    """The office's sanctions with their violations and appeals, newest first (for the office)."""
    return _sanction_rows(list(_sanctions_with_details(office)[:FILE_ROWS]), timezone.now())


def sanction_of_office(*, office: Office, pk: int) -> Sanction | None:
    return Sanction.objects.select_related("office__city").filter(office=office, pk=pk).first()
