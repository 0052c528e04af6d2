"""Reads about licensing: open calls and their places, applications, licences and the public register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from daftar.cases.models import Case, Outcome
from daftar.offices.models import City, LicenceStatus, Office, StaffAssignment, Zone

from .models import (
    ApplicationCall,
    Assessment,
    CallQuota,
    LicenceApplication,
    OfficeLicence,
    Sanction,
    SanctionKind,
    SanctionStatus,
)

# Applications that no longer hold a place in their district's quota.
RELEASED_OUTCOMES = (Outcome.REJECTED, Outcome.WITHDRAWN)


def calls_open(*, city: City, at: datetime | None = None) -> QuerySet[ApplicationCall]:
    moment = at or timezone.now()
    return ApplicationCall.objects.filter(
        city=city, cancelled_at__isnull=True, opens_at__lte=moment, closes_at__gt=moment
    ).order_by("closes_at")


def calls_public(*, city: City) -> QuerySet[ApplicationCall]:
    """Calls anyone may see: open now, upcoming, and those closed in the last year (newest first)."""
    year_ago = timezone.now().replace(microsecond=0) - timedelta(days=365)
    # Their places come from calls_quota_rows (one query for many calls, with places taken).
    return ApplicationCall.objects.filter(
        city=city, cancelled_at__isnull=True, closes_at__gte=year_ago
    ).order_by("-opens_at")


def quota_taken(*, quota: CallQuota) -> int:
    return LicenceApplication.objects.filter(quota=quota).exclude(case__outcome__in=RELEASED_OUTCOMES).count()


@dataclass(frozen=True)
class QuotaRow:
    quota: CallQuota
    taken: int

    @property
    def zone(self) -> Zone:
        return self.quota.zone

    @property
    def left(self) -> int:
        return max(self.quota.places - self.taken, 0)


def calls_quota_rows(*, calls: list[ApplicationCall]) -> dict[int, list[QuotaRow]]:
    """Each call's districts with their places and how many are taken, for many calls in one query."""
    rows: dict[int, list[QuotaRow]] = {call.pk: [] for call in calls}
    if not calls:
        return rows
    quotas = (
        CallQuota.objects.filter(call__in=calls)
        .select_related("zone")
        .annotate(
            taken=Count(
                "applications", filter=~Q(applications__case__outcome__in=RELEASED_OUTCOMES), distinct=True
            )
        )
        .order_by("call_id", "zone__number")
    )
    for quota in quotas:
        rows[quota.call_id].append(QuotaRow(quota=quota, taken=quota.taken))
    return rows


def call_quota_rows(*, call: ApplicationCall) -> list[QuotaRow]:
    """One call's districts with their places and how many are taken (one query)."""
    return calls_quota_rows(calls=[call])[call.pk]


def quota_for(*, call: ApplicationCall, zone: Zone | None) -> CallQuota | None:
    if zone is None:
        return None
    return CallQuota.objects.filter(call=call, zone=zone).first()


def application_of(*, case: Case) -> LicenceApplication | None:
    return LicenceApplication.objects.select_related("call", "zone", "quota").filter(case_id=case.pk).first()


def assessments_of(*, application: LicenceApplication) -> dict[str, Assessment]:
    return {a.kind: a for a in Assessment.objects.filter(application=application)}


def person_office_ties(*, person_id: int, excluding_case_id: int | None = None) -> str:
    """The code of an office the person already holds a live licence for or manages, or ""."""
    licence = (
        OfficeLicence.objects.filter(holder_id=person_id, revoked_at__isnull=True)
        .exclude(application_id=excluding_case_id)
        .select_related("office")
        .first()
    )
    if licence is not None:
        return licence.office.code
    managed = (
        StaffAssignment.objects.filter(
            user__person_id=person_id, role="office_manager", is_active=True, office__isnull=False
        )
        .select_related("office")
        .first()
    )
    return managed.office.code if managed is not None and managed.office is not None else ""


def licence_of_office(*, office: Office) -> OfficeLicence | None:
    return OfficeLicence.objects.select_related("certificate", "holder", "zone").filter(office=office).first()


def sanctions_in_force(*, office: Office) -> QuerySet[Sanction]:
    return Sanction.objects.filter(office=office, status=SanctionStatus.IN_FORCE).order_by("-issued_at")


def suspension_in_force(*, office: Office, on: date) -> Sanction | None:
    return (
        Sanction.objects.filter(
            office=office,
            kind=SanctionKind.SUSPENSION,
            status=SanctionStatus.IN_FORCE,
            starts_on__lte=on,
            ends_on__gt=on,
        )
        .order_by("-ends_on")
        .first()
    )


@dataclass(frozen=True)
class RegisterRow:
    office: Office
    licence: OfficeLicence | None
    standing: str  # "good" | "suspended" | "revoked" | "expired" | "pending"
    suspended_until: date | None


REGISTER_PAGE_SIZE = 30


def _standing(office: Office, today: date) -> str:
    if office.licence_status == LicenceStatus.ACTIVE:
        if office.licence_valid_until is not None and office.licence_valid_until < today:
            return LicenceStatus.EXPIRED.value
        return "good"
    return str(office.licence_status)


def register_search(
    *, city: City, query: str = "", today: date, limit: int = REGISTER_PAGE_SIZE, offset: int = 0
) -> list[RegisterRow]:
    """The public register: offices by name, code or licence number, with their standing (3 queries)."""
    offices = (
        Office.objects.filter(city=city).exclude(licence_status=LicenceStatus.PENDING).select_related("zone")
    )
    text = query.strip()
    if text:
        offices = offices.filter(Q(name__icontains=text) | Q(code=text) | Q(licence__number=text.upper()))
    return _register_rows(list(offices.order_by("code")[offset : offset + limit]), today)


def register_entry(*, city: City, code: str, today: date) -> RegisterRow | None:
    """One office of the public register by its code, or None (pending offices are not listed)."""
    office = (
        Office.objects.filter(city=city, code=code.strip())
        .exclude(licence_status=LicenceStatus.PENDING)
        .select_related("zone")
        .first()
    )
    return _register_rows([office], today)[0] if office is not None else None


def _register_rows(rows: list[Office], today: date) -> list[RegisterRow]:
    licences = {
        lic.office_id: lic
        for lic in OfficeLicence.objects.filter(office__in=rows).select_related("certificate")
    }
    suspensions: dict[int, date] = {}
    for sanction in Sanction.objects.filter(
        office__in=rows, kind=SanctionKind.SUSPENSION, status=SanctionStatus.IN_FORCE
    ).order_by("ends_on"):
        if sanction.ends_on is not None:
            suspensions[sanction.office_id] = sanction.ends_on
    return [
        RegisterRow(
            office=office,
            licence=licences.get(office.pk),
            standing=_standing(office, today),
            suspended_until=suspensions.get(office.pk),
        )
        for office in rows
    ]
