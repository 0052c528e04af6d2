"""The benchmark data generator (bench/generate.py) writes cases that the case page and the inbox
open: a small run on the test database, then the pages staff would look at."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.db.models import Count, Max
from django.test import Client

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.accounts.services import roles_sync
from daftar.billing.models import Bill, BillItem
from daftar.cases.models import Case, CaseEvent
from daftar.catalog.services import catalog_load, categories_load
from daftar.fees.models import Property
from daftar.offices.models import City, Office
from daftar.offices.services import staff_assign

BENCH_FILE = Path(__file__).resolve().parents[4] / "bench" / "generate.py"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not BENCH_FILE.exists(), reason="the bench/ folder is not here"),
]


def bench_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_cases_open_in_the_case_page_and_the_inbox(city: City, office: Office) -> None:
    catalog = Path(settings.DAFTAR_CATALOG_DIR)
    categories_load(path=catalog / "categories.yaml")
    catalog_load(directory=catalog)
    roles_sync()
    operator = User.objects.create(username="operator")
    reviewer = User.objects.create(username="reviewer")
    admin = User.objects.create(username="cityadmin")
    staff_assign(user=operator, role=Role.OFFICE_OPERATOR.value, city=city, office=office)
    staff_assign(user=reviewer, role=Role.MUNICIPAL_REVIEWER.value, city=city)
    staff_assign(user=admin, role=Role.CITY_ADMINISTRATOR.value, city=city)

    summary = bench_generate().generate(["--cases", "120", "--people", "40", "--seed", "3"])

    assert summary["cases"] == 120
    assert Case.objects.count() == 120
    assert Property.objects.count() == 100
    # Timelines are numbered 1..n without gaps; bills add up.
    for row in CaseEvent.objects.values("case").annotate(n=Count("id"), last=Max("seq")):
        assert row["n"] == row["last"]
    for bill in Bill.objects.all():
        assert bill.total == sum(BillItem.objects.filter(bill=bill).values_list("amount", flat=True))
    assert Case.objects.values("service_type").distinct().count() > 20
    assert Case.objects.filter(closed_at__isnull=False).exists()
    assert Case.objects.filter(closed_at__isnull=True).exists()

    client = Client()
    client.force_login(operator)
    mine = Case.objects.filter(
        office=office, closed_at__isnull=True, waiting_on__contains="|office_operator|"
    )
    response = client.get("/inbox/")
    assert response.status_code == 200
    if mine.exists():
        assert mine.first().tracking_code[:5] in response.content.decode()
    assert client.get("/inbox/", {"q": Case.objects.first().applicant_name}).status_code == 200

    client.force_login(reviewer)
    assert client.get("/inbox/").status_code == 200
    client.force_login(admin)
    for case in Case.objects.order_by("pk")[:12]:
        assert client.get(f"/cases/{case.tracking_code}/").status_code == 200, case.service_type.code
