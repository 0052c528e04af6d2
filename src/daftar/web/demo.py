"""The demo city's people: one staff account per role, a demo citizen, and the data files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from daftar.accounts.models import PersonKind, User
from daftar.accounts.roles import ROLE_SPECS, Role, Scope
from daftar.accounts.services import person_register, roles_sync, user_link_person
from daftar.billing.tariffs import tariffs_load
from daftar.catalog.services import catalog_load, categories_load
from daftar.offices.demo import demo_city_load
from daftar.offices.models import LicenceStatus, Office
from daftar.offices.services import staff_assign

from .demo_agencies import demo_agencies_load
from .demo_cases import demo_cases_load
from .demo_licensing import demo_licensing_load
from .demo_money import demo_money_load
from .demo_reports import demo_reports_load

DEMO_PASSWORD_ENV = "DAFTAR_DEMO_PASSWORD"  # noqa: S105 - the variable's name
# Published in README.md; demo_load refuses to run with DEBUG off.
DEFAULT_DEMO_PASSWORD = "daftar-demo-1405"  # noqa: S105

# username, first name, last name, role
DEMO_STAFF: tuple[tuple[str, str, str, Role], ...] = (
    ("operator", "مریم", "احمدی", Role.OFFICE_OPERATOR),
    ("manager", "علی", "رضایی", Role.OFFICE_MANAGER),
    ("reviewer", "زهرا", "کریمی", Role.MUNICIPAL_REVIEWER),
    ("inspector", "حسین", "موسوی", Role.TECHNICAL_INSPECTOR),
    ("licensing", "فاطمه", "حسینی", Role.LICENSING_OFFICER),
    ("finance", "رضا", "جعفری", Role.FINANCE_OFFICER),
    ("agency", "نرگس", "صادقی", Role.AGENCY_CLERK),
    ("auditor", "محمد", "نوری", Role.AUDITOR),
    ("cityadmin", "سارا", "اکبری", Role.CITY_ADMINISTRATOR),
)
DEMO_CITIZEN_MOBILE = "09121234567"
DEMO_CITIZEN_NATIONAL_CODE = "0084575948"


@dataclass(frozen=True)
class DemoSummary:
    city: str
    districts: int
    offices: int
    staff: int

    def __str__(self) -> str:
        return f"{self.city}: {self.districts} districts, {self.offices} offices, {self.staff} staff accounts"


@transaction.atomic
def demo_load(*, city_file: Path, catalog_dir: Path) -> DemoSummary:
    """The demo city, its people, the service catalogue and a few case files in various states."""
    categories_load(path=catalog_dir / "categories.yaml")
    city = demo_city_load(path=city_file)
    roles_sync()
    office = Office.objects.filter(city=city, licence_status=LicenceStatus.ACTIVE).order_by("code").first()
    password = os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
    scopes = {spec.role: spec.scope for spec in ROLE_SPECS}
    for username, first_name, last_name, role in DEMO_STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first_name, last_name=last_name)
            user.set_password(password)
            user.is_staff = role == Role.CITY_ADMINISTRATOR  # the admin site is for city administrators
            user.save()
        staff_assign(
            user=user, role=role.value, city=city, office=office if scopes[role] == Scope.OFFICE else None
        )
    citizen = User.objects.filter(mobile=DEMO_CITIZEN_MOBILE).first()
    if citizen is None:
        citizen = User(username=DEMO_CITIZEN_MOBILE, mobile=DEMO_CITIZEN_MOBILE)
        citizen.set_unusable_password()
        citizen.save()
    if citizen.person_id is None:
        person = person_register(
            kind=PersonKind.REAL,
            national_code=DEMO_CITIZEN_NATIONAL_CODE,
            first_name="امیر",
            last_name="تهرانی",
            mobile=DEMO_CITIZEN_MOBILE,
        )
        user_link_person(user=citizen, person=person)
    catalog_load(directory=catalog_dir)
    tariff_file = catalog_dir / "tariffs" / f"{city.code}.yaml"
    if tariff_file.exists():
        tariffs_load(path=tariff_file)
    staff = {role.value: User.objects.get(username=username) for username, _f, _l, role in DEMO_STAFF}
    demo_agencies_load(clerk=staff[Role.AGENCY_CLERK.value])
    demo_money_load(
        city=city,
        records_dir=catalog_dir / "demo" / "records",
        office=office,
        operator=staff["office_operator"],
    )
    if office is not None and citizen.person is not None:  # the demo city file has active offices
        demo_cases_load(office=office, applicant=citizen.person, staff=staff)
    demo_licensing_load(city=city, staff=staff, office=office)
    demo_reports_load(city=city, staff=staff, citizen=citizen)
    return DemoSummary(
        city=city.name_fa,
        districts=city.zones.count(),
        offices=city.offices.count(),
        staff=len(DEMO_STAFF),
    )
