"""Who may open which of the case pages: counter desk, inbox, citizen pages (reads only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from daftar.accounts.models import User
from daftar.accounts.roles import ROLE_BY_CODE, Role, Scope
from daftar.billing.selectors import FINANCE_ROLES
from daftar.complaints.selectors import REPORT_ROLES
from daftar.inquiries.selectors import agencies_of_user
from daftar.offices.models import Office
from daftar.offices.selectors import offices_staff_of

DESK_ROLES = frozenset({Role.OFFICE_OPERATOR.value, Role.OFFICE_MANAGER.value})
# Municipal roles that supervise the offices (their pages: supervision, performance, hours, calls).
SUPERVISION_ROLES = frozenset(
    {
        Role.LICENSING_OFFICER.value,
        Role.TECHNICAL_INSPECTOR.value,
        Role.CITY_ADMINISTRATOR.value,
        Role.AUDITOR.value,
    }
)


def desk_offices(*, user: User | AnonymousUser) -> list[Office]:
    """The active offices where the user works the counter (operator or manager), in code order."""
    offices: dict[int, Office] = {}
    for assignment in offices_staff_of(user=user):
        office = assignment.office
        if assignment.role in DESK_ROLES and office is not None and office.can_serve:
            offices.setdefault(office.pk, office)
    return list(offices.values())


def nav_flags(*, user: User | AnonymousUser) -> dict[str, Any]:
    """Which case pages the menu offers this user (two small queries: staff roles and agency
    clerkship, only when a page shows the menu)."""
    if not user.is_authenticated:
        return {}
    assignments = list(offices_staff_of(user=user))
    desk = any(a.role in DESK_ROLES and a.office is not None and a.office.can_serve for a in assignments)
    inbox = any(
        (spec := ROLE_BY_CODE.get(a.role)) is not None and spec.scope != Scope.AGENCY for a in assignments
    )
    agency = bool(agencies_of_user(user=user))
    citizen = (not assignments and not agency) or user.person_id is not None
    finance = any(a.office is None and a.role in FINANCE_ROLES for a in assignments)
    supervision = any(a.office is None and a.role in SUPERVISION_ROLES for a in assignments)
    office_manager = any(a.office is not None and a.role == Role.OFFICE_MANAGER.value for a in assignments)
    reports = any(a.office is None and a.role in REPORT_ROLES for a in assignments)
    return {
        "desk": desk,
        "inbox": inbox,
        "agency": agency,
        "citizen": citizen,
        "finance": finance,
        "supervision": supervision,
        "office_manager": office_manager,
        "reports": reports,
    }
