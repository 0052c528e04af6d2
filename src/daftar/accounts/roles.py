"""The staff roles of Daftar, as data. Each role is a Django group with these permissions.

Roles are scoped by a staff assignment (see offices.StaffAssignment): an office role acts for one
office, a municipal role for one city.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    OFFICE_OPERATOR = "office_operator"
    OFFICE_MANAGER = "office_manager"
    MUNICIPAL_REVIEWER = "municipal_reviewer"
    TECHNICAL_INSPECTOR = "technical_inspector"
    LICENSING_OFFICER = "licensing_officer"
    FINANCE_OFFICER = "finance_officer"
    AGENCY_CLERK = "agency_clerk"
    AUDITOR = "auditor"
    CITY_ADMINISTRATOR = "city_administrator"


class Scope(StrEnum):
    OFFICE = "office"
    CITY = "city"
    AGENCY = "agency"


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    label: Promise
    scope: Scope
    permissions: tuple[str, ...]  # "app_label.codename"


ROLE_SPECS: tuple[RoleSpec, ...] = (
    RoleSpec(
        Role.OFFICE_OPERATOR,
        _("Office operator"),
        Scope.OFFICE,
        ("accounts.view_person", "accounts.add_person"),
    ),
    RoleSpec(
        Role.OFFICE_MANAGER,
        _("Office manager"),
        Scope.OFFICE,
        ("accounts.view_person", "accounts.add_person", "offices.view_office", "offices.manage_office_staff"),
    ),
    RoleSpec(
        Role.MUNICIPAL_REVIEWER,
        _("Municipal reviewer"),
        Scope.CITY,
        ("accounts.view_person", "offices.view_office"),
    ),
    RoleSpec(Role.TECHNICAL_INSPECTOR, _("Technical inspector"), Scope.CITY, ("offices.view_office",)),
    RoleSpec(
        Role.LICENSING_OFFICER,
        _("Licensing officer"),
        Scope.CITY,
        ("offices.view_office", "offices.change_office", "offices.add_office"),
    ),
    RoleSpec(Role.FINANCE_OFFICER, _("Finance officer"), Scope.CITY, ("offices.view_office",)),
    RoleSpec(Role.AGENCY_CLERK, _("Agency clerk"), Scope.AGENCY, ()),
    RoleSpec(
        Role.AUDITOR,
        _("Auditor"),
        Scope.CITY,
        ("accounts.view_person", "offices.view_office", "offices.view_zone", "offices.view_holiday"),
    ),
    RoleSpec(
        Role.CITY_ADMINISTRATOR,
        _("City administrator"),
        Scope.CITY,
        (
            "accounts.view_person",
            "offices.view_office",
            "offices.add_office",
            "offices.change_office",
            "offices.manage_office_staff",
            "offices.view_zone",
            "offices.change_zone",
            "offices.view_holiday",
            "offices.add_holiday",
            "offices.change_holiday",
            "offices.delete_holiday",
            "offices.add_hoursoverride",
            "offices.change_hoursoverride",
            "offices.delete_hoursoverride",
        ),
    ),
)

ROLE_BY_CODE: dict[str, RoleSpec] = {spec.role.value: spec for spec in ROLE_SPECS}


def role_label(code: str) -> str:
    spec = ROLE_BY_CODE.get(code)
    return str(spec.label) if spec else code
