"""The catalogue as data: the shipped files load, versions are immutable and never overlap."""

from __future__ import annotations

import copy
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from daftar.catalog.intake import intake_validate
from daftar.catalog.models import ServiceCategory, ServiceVersion, VersionStatus
from daftar.catalog.selectors import service_current, services_current
from daftar.catalog.services import (
    catalog_load,
    service_entry_compile,
    service_version_load,
    service_version_publish,
    yaml_load_strict,
)
from daftar.conftest import TEST_SERVICE
from daftar.core.errors import Conflict, InvalidValue

CATALOG = Path(settings.DAFTAR_CATALOG_DIR)


@pytest.fixture
def shipped(db: None) -> Any:
    return catalog_load(directory=CATALOG)


def test_the_shipped_catalogue_covers_the_eleven_families_and_office_licensing_with_forty_services(
    shipped: Any,
) -> None:
    assert shipped.services >= 40
    families = {v.service_type.category.code for v in services_current()}
    assert families == set(ServiceCategory.objects.values_list("code", flat=True))
    assert len(families) == 12  # seed 000's eleven families and office licensing (seed 004)


def test_loading_the_catalogue_twice_changes_nothing(shipped: Any) -> None:
    again = catalog_load(directory=CATALOG)
    assert again.changed == 0
    assert ServiceVersion.objects.count() == shipped.services


def test_the_new_construction_permit_asks_what_the_municipality_needs(shipped: Any) -> None:
    permit = service_current(code="building.new_construction_permit")
    assert permit is not None
    fields = permit.intake_schema["properties"]
    assert fields["renewal_code"]["title"] == "کد نوسازی"
    assert {"deed_number", "land_area_m2", "floors"} <= set(fields)
    assert permit.channels == ["office"]
    assert permit.documents
    assert all(doc["name"]["fa"] for doc in permit.documents)


def test_services_in_force_filter_by_channel_and_search(shipped: Any) -> None:
    online = services_current(channel="online")
    assert online
    assert all("online" in v.channels for v in online)
    found = services_current(query="عدم خلاف")
    assert [v.code for v in found] == ["building.no_violation_certificate"]


def test_the_check_command_validates_without_writing(db: None) -> None:
    call_command("catalog_load", "--check")
    assert ServiceVersion.objects.count() == 0


def _copy_catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG, target, ignore=shutil.ignore_patterns("demo"))
    return target


def test_changing_a_published_version_without_a_new_number_is_refused(db: None, tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    catalog_load(directory=directory)
    path = directory / "building_technical.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("گواهی عدم خلاف", "گواهی عدم خلاف ملک", 1), encoding="utf-8"
    )
    with pytest.raises(InvalidValue) as caught:
        catalog_load(directory=directory)
    assert "cannot change" in str(caught.value) or "تغییر" in str(caught.value)


def test_a_duplicate_yaml_key_is_refused_with_its_line() -> None:
    with pytest.raises(InvalidValue) as caught:
        yaml_load_strict("a: 1\nb: 2\na: 3\n", source="x.yaml")
    assert "duplicate key 'a'" in str(caught.value)
    assert "line 3" in str(caught.value)


def test_a_broken_workflow_is_reported_with_the_service_and_state(categories: None) -> None:
    entry = copy.deepcopy(TEST_SERVICE)
    entry["workflow"]["states"]["approval"]["actions"]["approve"]["to"] = "nowhere"
    with pytest.raises(InvalidValue) as caught:
        service_entry_compile(
            entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
        )
    message = str(caught.value)
    assert "building.no_violation_certificate" in message
    assert "unknown state 'nowhere'" in message


def test_output_fields_and_required_fields_must_exist(categories: None) -> None:
    entry = copy.deepcopy(TEST_SERVICE)
    entry["output"]["fields"] = ["colour"]
    entry["intake_schema"]["required"] = ["ghost"]
    with pytest.raises(InvalidValue) as caught:
        service_entry_compile(
            entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
        )
    assert "'colour'" in str(caught.value)
    assert "'ghost'" in str(caught.value)


def test_a_new_version_closes_the_old_one_and_old_cases_keep_theirs(service_version: ServiceVersion) -> None:
    entry = copy.deepcopy(TEST_SERVICE)
    entry["version"] = 2
    entry["sla_working_days"] = 5
    compiled = service_entry_compile(
        entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
    )
    start = date.today() + timedelta(days=10)
    second, _changed = service_version_load(compiled=compiled, valid_from=start)
    service_version.refresh_from_db()
    assert service_version.valid_to == start - timedelta(days=1)
    assert service_current(code=entry["code"]) == service_version
    assert service_current(code=entry["code"], day=start) == second


def test_published_versions_never_overlap(service_version: ServiceVersion) -> None:
    entry = copy.deepcopy(TEST_SERVICE)
    entry["version"] = 2
    compiled = service_entry_compile(
        entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
    )
    draft, _changed = service_version_load(compiled=compiled, status=VersionStatus.DRAFT)
    draft.valid_to = service_version.valid_from + timedelta(days=30)
    draft.save()
    with pytest.raises(Conflict) as caught:
        service_version_publish(version=draft, valid_from=service_version.valid_from - timedelta(days=5))
    assert caught.value.code == "catalog.overlap"


def test_intake_formats_are_checked_and_normalised(service_version: ServiceVersion) -> None:
    schema = copy.deepcopy(service_version.intake_schema)
    schema["properties"]["owner"] = {"type": "string", "title": "کد ملی مالک", "format": "national_code"}
    schema["properties"]["mobile"] = {"type": "string", "title": "موبایل", "format": "mobile"}
    cleaned = intake_validate(
        schema,
        {
            "renewal_code": "۱-۲-۳",
            "deed_number": "كد ۱۲",
            "owner": "۰۰۱۲۳۴۵۶۷۹",
            "mobile": "+98 912 123 4567",
        },
    )
    assert cleaned == {
        "renewal_code": "1-2-3",
        "deed_number": "کد 12",
        "owner": "0012345679",
        "mobile": "09121234567",
    }
    with pytest.raises(InvalidValue) as caught:
        intake_validate(schema, {"renewal_code": "1-2-3", "deed_number": "1", "owner": "0012345678"})
    assert list(caught.value.field_messages()) == ["owner"]


def test_every_shipped_family_file_parses_strictly() -> None:
    for path in CATALOG.glob("*.yaml"):
        assert yaml_load_strict(path.read_text(encoding="utf-8"), source=path.name) is not None
        assert "ي" not in path.read_text(encoding="utf-8")
        assert "ك" not in path.read_text(encoding="utf-8")
    assert yaml.safe_load((CATALOG / "workflows.yaml").read_text(encoding="utf-8"))


def test_a_published_service_keeps_its_content_hash_across_upgrades(categories: Any) -> None:
    """Hashes of two shipped versions as the release before licensing computed them: keys the
    catalogue gained since (filing checks, parameters, open311, a state's waiting_on) must not change
    the hash of a version that does not use them, or upgrading would refuse the shipped catalogue."""
    import yaml

    from daftar.catalog.services import service_entry_compile

    workflows = yaml.safe_load((CATALOG / "workflows.yaml").read_text(encoding="utf-8"))
    categories_by_code = {c.code: c for c in ServiceCategory.objects.all()}
    expected = {
        (
            "urban_services.yaml",
            "urban.burial_permit",
        ): "d78f13bb150585e1a92f906df23cb9fad2744db3fe9f741a1dfb3152edb10907",
        ("building_permits.yaml", "building.new_construction_permit"): (
            "01092699bc9766083d88e4e844857d11af994eafe01d8ad6877a3bcbb9f4089c"
        ),
    }
    for (file_name, code), digest in expected.items():
        entries = yaml.safe_load((CATALOG / file_name).read_text(encoding="utf-8"))
        entry = next(item for item in entries if item["code"] == code)
        compiled = service_entry_compile(entry, workflows=workflows, categories=categories_by_code)
        assert compiled["values"]["content_hash"] == digest, code
