"""The demo city: loads once, every role has a demo account, and it never runs in production."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import override_settings

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.catalog.models import ServiceCategory, ServiceVersion
from daftar.certificates.models import Certificate
from daftar.offices.models import City, LicenceStatus, Office, StaffAssignment, Zone
from daftar.web.demo import (
    DEFAULT_DEMO_PASSWORD,
    DEMO_CITIZEN_MOBILE,
    DEMO_CITIZEN_NATIONAL_CODE,
    DEMO_STAFF,
    demo_load,
)

pytestmark = pytest.mark.django_db
ROOT = Path(settings.PROJECT_DIR)


def _load() -> None:
    demo_load(
        city_file=ROOT / "catalog" / "demo" / "tehran.yaml",
        catalog_dir=ROOT / "catalog",
    )


def _counts() -> tuple[int, ...]:
    models = (City, Zone, Office, User, StaffAssignment, ServiceCategory, ServiceVersion, Case, Certificate)
    return tuple(model.objects.count() for model in models)


def test_demo_city_has_22_districts_a_dozen_active_offices_and_the_12_service_families() -> None:
    _load()
    tehran = City.objects.get(code="tehran")
    assert tehran.zones.count() == 22
    assert Office.objects.filter(city=tehran, licence_status=LicenceStatus.ACTIVE).count() >= 12
    assert ServiceCategory.objects.count() == 12


def test_loading_the_demo_twice_changes_nothing() -> None:
    _load()
    before = _counts()
    _load()
    assert _counts() == before


def test_every_role_has_a_demo_account_that_can_sign_in() -> None:
    _load()
    assert {role for *_, role in DEMO_STAFF} == set(Role)
    for username, *_, role in DEMO_STAFF:
        user = User.objects.get(username=username)
        assert user.check_password(DEFAULT_DEMO_PASSWORD)
        assert user.groups.filter(name=role.value).exists()
        assignment = StaffAssignment.objects.get(user=user, role=role.value)
        assert (assignment.office is not None) == (role in {Role.OFFICE_OPERATOR, Role.OFFICE_MANAGER})
    assert Group.objects.filter(name__in=[r.value for r in Role]).count() == len(Role)
    citizen = User.objects.get(mobile=DEMO_CITIZEN_MOBILE)
    assert citizen.person is not None
    assert not citizen.has_usable_password()


@override_settings(DEBUG=False)
def test_demo_command_refuses_to_run_without_debug() -> None:
    with pytest.raises(CommandError):
        call_command("demo_load", stdout=StringIO())
    assert not User.objects.filter(username="operator").exists()


def test_the_demo_opens_to_cases_in_every_stage_and_a_verifiable_certificate() -> None:
    from daftar.cases.selectors import inbox_for
    from daftar.certificates.selectors import certificate_verification

    _load()
    states = dict(Case.objects.values_list("service_type__code", "state"))
    assert states["building.new_construction_permit"] == "correction"
    assert states["business.new_licence"] == "issued"
    assert inbox_for(user=User.objects.get(username="reviewer")).rows
    certificate = Certificate.objects.get()
    assert certificate_verification(number=certificate.number).status == "valid"


def test_the_demo_wires_the_simulated_agencies_and_gives_the_clerk_an_agency(tmp_path: Path) -> None:
    import json

    from daftar.inquiries.models import Agency, AgencyMembership
    from daftar.inquiries.services import agency_key_authenticate

    with override_settings(VAR_DIR=tmp_path):
        _load()
    config = json.loads((tmp_path / "simulator.json").read_text(encoding="utf-8"))
    assert set(config["agencies"]) == {"water", "electricity", "gas", "telecom"}
    for code, entry in config["agencies"].items():
        agency = Agency.objects.get(code=code)
        assert agency.channel == "push"
        assert agency.webhook_url.endswith(f"/agencies/{code}/webhook")
        assert entry["webhook_secret"] == agency.webhook_secret
        key = agency_key_authenticate(secret=entry["api_key"])
        assert key is not None
        assert key.agency == agency
    assert AgencyMembership.objects.filter(user__username="agency", agency__code="street_line").exists()


def test_the_demo_citizen_has_annual_bills_with_last_years_arrears_and_the_books_balance() -> None:
    from daftar.billing.audit import ledger_audit
    from daftar.billing.models import Bill, PaymentStatus
    from daftar.offices.models import City

    _load()
    city = City.objects.get(code="tehran")
    mine = Bill.objects.filter(payer_national_code=DEMO_CITIZEN_NATIONAL_CODE, status="open", kind="annual")
    assert {bill.subject_kind for bill in mine} == {"property", "vehicle"}
    assert all(bill.items.filter(line="arrears").exists() for bill in mine)
    assert (
        Bill.objects.filter(payments__status=PaymentStatus.SUCCEEDED, payments__provider="counter").count()
        >= 6
    )
    report = ledger_audit(city=city)
    assert report.ok, report.problems
