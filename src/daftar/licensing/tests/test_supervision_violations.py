"""The violation catalogue and recording inspections and violations: who may, and what is refused."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from daftar.accounts.roles import Role
from daftar.catalog.services import catalog_load
from daftar.core.errors import Forbidden, InvalidValue
from daftar.licensing.models import Inspection, SanctionKind, Violation, ViolationType
from daftar.licensing.supervision import ViolationSpec, inspection_record, inspection_report, violation_record
from daftar.licensing.violations import violation_types_load
from daftar.offices.models import City, Office, Zone

from .supervision_builders import People, people, staff, violation_types

pytestmark = pytest.mark.django_db
CATALOG = Path(settings.DAFTAR_CATALOG_DIR)


@pytest.fixture
def crew(office: Office) -> People:
    violation_types()
    return people(office.city, office)


# --- the catalogue -------------------------------------------------------------------------------


def test_the_violation_catalogue_loads_every_kind_the_regulation_names_and_again_changes_nothing(
    db: None,
) -> None:
    assert violation_types() == ViolationType.objects.count()
    codes = set(ViolationType.objects.values_list("code", flat=True))
    assert {
        "outside_approved_hours",
        "above_approved_tariff",
        "citizen_data_misuse",
        "missing_equipment",
        "unlicensed_counter_staff",
        "hours_tariffs_not_posted",
        "service_refused",
        "unauthorised_premises_change",
    } <= codes
    assert all(ViolationType.objects.values_list("name_fa", flat=True))
    assert violation_types() == 0


def test_misuse_of_citizens_data_draws_at_least_a_suspension(db: None) -> None:
    violation_types()
    misuse = ViolationType.objects.get(code="citizen_data_misuse")
    assert misuse.min_sanction == SanctionKind.SUSPENSION
    assert misuse.suspension_days > 0


def test_a_kind_taken_out_of_the_file_is_kept_but_no_longer_active(db: None, tmp_path: Path) -> None:
    violation_types()
    trimmed = tmp_path / "violations.yaml"
    text = (CATALOG / "violations.yaml").read_text(encoding="utf-8")
    trimmed.write_text(text.split("- code: service_refused")[0], encoding="utf-8")
    violation_types_load(trimmed)
    refused = ViolationType.objects.get(code="service_refused")
    assert not refused.is_active
    assert ViolationType.objects.get(code="outside_approved_hours").is_active


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- {code: x_late, name: {fa: دیر}, min_sanction: fine}\n", "min_sanction"),
        ("- {code: x_late, name: {en: Late}}\n", "name.fa"),
        ("- {code: x_late, name: {fa: دیر}, suspension_days: 0}\n", "suspension_days"),
        ("- {code: x_late, name: {fa: دیر}}\n- {code: x_late, name: {fa: دیر}}\n", "defined twice"),
    ],
)
def test_a_wrong_entry_in_the_violation_file_is_refused_and_named(
    db: None, tmp_path: Path, entry: str, message: str
) -> None:
    path = tmp_path / "violations.yaml"
    path.write_text(entry, encoding="utf-8")
    with pytest.raises(InvalidValue) as caught:
        violation_types_load(path)
    assert message in str(caught.value)
    assert not ViolationType.objects.exists()


def test_the_catalogue_load_reads_the_violation_file_as_data_not_as_services(
    db: None, tmp_path: Path
) -> None:
    directory = tmp_path / "catalog"
    directory.mkdir()
    for name in ("categories.yaml", "workflows.yaml", "violations.yaml"):
        shutil.copy(CATALOG / name, directory / name)
    report = catalog_load(directory=directory)
    assert report.services == 0
    assert "violations.yaml" not in report.files
    assert ViolationType.objects.filter(code="citizen_data_misuse").exists()


# --- recording -----------------------------------------------------------------------------------


def test_inspectors_and_licensing_officers_of_the_city_record_violations(
    crew: People, office: Office
) -> None:
    for actor in (crew.inspector, crew.officer):
        recorded = violation_record(
            office=office,
            actor=actor,
            type_code="hours_tariffs_not_posted",
            observed_at=timezone.now() - timedelta(hours=2),
            description="  تابلوی  ساعات کاری نصب نشده بود ",
        )
        assert recorded.recorded_by == actor
        assert recorded.description == "تابلوی ساعات کاری نصب نشده بود"
    assert Violation.objects.filter(office=office).count() == 2


def test_other_roles_and_other_cities_may_not_record_violations(crew: People, office: Office) -> None:
    mashhad = City.objects.create(code="mashhad", name_fa="مشهد", name_en="Mashhad")
    outsider = staff("sv-mashhad-inspector", Role.TECHNICAL_INSPECTOR, mashhad)
    for actor in (crew.auditor, crew.admin, crew.manager, outsider):
        with pytest.raises(Forbidden):
            violation_record(
                office=office,
                actor=actor,
                type_code="service_refused",
                observed_at=timezone.now(),
                description="امتناع",
            )
    assert not Violation.objects.exists()


def test_an_unknown_or_retired_violation_kind_is_refused(crew: People, office: Office) -> None:
    ViolationType.objects.filter(code="service_refused").update(is_active=False)
    for code in ("no_such_kind", "service_refused"):
        with pytest.raises(InvalidValue) as caught:
            violation_record(
                office=office,
                actor=crew.inspector,
                type_code=code,
                observed_at=timezone.now(),
                description="x",
            )
        assert caught.value.code == "violation.type"


def test_a_violation_cannot_be_observed_in_the_future_or_without_a_description(
    crew: People, office: Office
) -> None:
    with pytest.raises(InvalidValue) as future:
        violation_record(
            office=office,
            actor=crew.inspector,
            type_code="service_refused",
            observed_at=timezone.now() + timedelta(hours=1),
            description="امتناع",
        )
    assert "observed_at" in future.value.fields
    with pytest.raises(InvalidValue) as empty:
        violation_record(
            office=office,
            actor=crew.inspector,
            type_code="service_refused",
            observed_at=timezone.now(),
            description=" ",
        )
    assert "description" in empty.value.fields


def test_an_inspection_keeps_its_checklist_and_refuses_unknown_items(crew: People, office: Office) -> None:
    inspection = inspection_record(
        office=office,
        actor=crew.inspector,
        kind="routine",
        inspected_at=timezone.now() - timedelta(minutes=30),
        checklist={"hours_posted": False, "licence_displayed": True},
        findings="ساعات کاری نصب نشده است",
    )
    assert inspection.checklist == {"licence_displayed": True, "hours_posted": False}
    with pytest.raises(InvalidValue) as caught:
        inspection_record(
            office=office,
            actor=crew.inspector,
            kind="routine",
            inspected_at=timezone.now(),
            checklist={"coffee_machine": True},
            findings="",
        )
    assert caught.value.code == "inspection.checklist"


def test_an_inspection_and_its_violations_are_saved_all_or_nothing(crew: People, office: Office) -> None:
    kwargs: dict[str, Any] = {
        "office": office,
        "actor": crew.inspector,
        "kind": "complaint",
        "inspected_at": timezone.now() - timedelta(minutes=5),
        "checklist": {"tariffs_posted": False},
        "findings": "تعرفه‌ها نصب نشده و وجه اضافه گرفته شده",
    }
    with pytest.raises(InvalidValue):
        inspection_report(
            **kwargs,
            violations=[
                ViolationSpec("hours_tariffs_not_posted", "تعرفه نصب نشده"),
                ViolationSpec("no_such_kind", "?"),
            ],
        )
    assert not Inspection.objects.exists()
    assert not Violation.objects.exists()
    inspection = inspection_report(
        **kwargs,
        violations=[
            ViolationSpec("hours_tariffs_not_posted", "تعرفه نصب نشده"),
            ViolationSpec("above_approved_tariff", "دریافت ۲۰۰ هزار تومان بیشتر"),
        ],
    )
    assert set(inspection.violations.values_list("type__code", flat=True)) == {
        "hours_tariffs_not_posted",
        "above_approved_tariff",
    }
    assert all(v.observed_at == inspection.inspected_at for v in inspection.violations.all())


def test_a_violation_cannot_point_at_another_offices_inspection(
    crew: People, office: Office, zone: Zone
) -> None:
    other = Office.objects.create(city=office.city, zone=zone, code="2205", name="دفتر ۲۲۰۵", address="تهران")
    inspection = inspection_record(
        office=other,
        actor=crew.inspector,
        kind="routine",
        inspected_at=timezone.now(),
        checklist={},
        findings="",
    )
    with pytest.raises(InvalidValue):
        violation_record(
            office=office,
            actor=crew.inspector,
            type_code="service_refused",
            observed_at=timezone.now(),
            description="x",
            inspection=inspection,
        )
