"""Builders for the supervision tests: the violation catalogue, the people who supervise and answer
for an office, violations, past sanctions for the ladder, and a licence issued by the full journey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.cases.services import case_act
from daftar.offices.models import City, Office
from daftar.offices.services import staff_assign

from ..models import OfficeLicence, Sanction, SanctionKind, SanctionStatus, Violation
from ..supervision import violation_record
from ..violations import violation_types_load
from .builders import applicant, apply, to_stage

_SERIAL = count(1)


def violation_types() -> int:
    """Load the shipped violation catalogue."""
    return violation_types_load(Path(settings.DAFTAR_CATALOG_DIR) / "violations.yaml")


def staff(
    username: str, role: str, city: City, office: Office | None = None, mobile: str | None = None
) -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405", mobile=mobile)
    staff_assign(user=user, role=role, city=city, office=office)
    return user


@dataclass
class People:
    """Who supervises the city, and who answers for the office."""

    inspector: User
    officer: User
    admin: User
    second_admin: User
    auditor: User
    manager: User  # the office's manager, with a mobile for notices
    operator: User


def people(city: City, office: Office) -> People:
    return People(
        inspector=staff("sv-inspector", Role.TECHNICAL_INSPECTOR, city),
        officer=staff("sv-officer", Role.LICENSING_OFFICER, city),
        admin=staff("sv-admin", Role.CITY_ADMINISTRATOR, city),
        second_admin=staff("sv-admin2", Role.CITY_ADMINISTRATOR, city),
        auditor=staff("sv-auditor", Role.AUDITOR, city),
        manager=staff("sv-manager", Role.OFFICE_MANAGER, city, office, mobile="09124445566"),
        operator=staff("sv-operator", Role.OFFICE_OPERATOR, city, office),
    )


def violation(
    office: Office, actor: User, code: str = "outside_approved_hours", *, days_ago: int = 1, text: str = ""
) -> Violation:
    return violation_record(
        office=office,
        actor=actor,
        type_code=code,
        observed_at=timezone.now() - timedelta(days=days_ago),
        description=text or f"مشاهده شماره {next(_SERIAL)}",
    )


def past_sanction(
    office: Office,
    kind: SanctionKind,
    issued_by: User,
    *,
    days_ago: int,
    status: SanctionStatus = SanctionStatus.ENDED,
) -> Sanction:
    """A sanction of the office's record (for the ladder), issued ``days_ago`` days ago."""
    issued_at = timezone.now() - timedelta(days=days_ago)
    starts_on = timezone.localdate(issued_at)
    return Sanction.objects.create(
        office=office,
        kind=kind,
        reason="سابقه",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=7) if kind == SanctionKind.SUSPENSION else None,
        status=status,
        issued_by=issued_by,
        issued_at=issued_at,
    )


def licensed_office(
    licensing: Any, pay: Any, capture: Any, *, national_code: str = "0012345679"
) -> OfficeLicence:
    """An office licensed through the whole journey (its certificate is signed and verifies)."""
    user = applicant(national_code=national_code)
    case = to_stage(
        apply(licensing.application, user),
        "decision",
        officer=licensing.officer,
        inspector=licensing.inspector,
        pay=pay,
        capture=capture,
    )
    case_act(
        case=case,
        action="approve",
        actor=licensing.officer,
        expected_version=case.version,
        reason="همه شرایط احراز شد؛ صدور مجوز تأیید می‌شود.",
    )
    return OfficeLicence.objects.select_related("office__city", "certificate", "holder").get(application=case)


def holder_user(licence: OfficeLicence) -> User:
    person: Person = licence.holder
    return User.objects.get(person=person)
