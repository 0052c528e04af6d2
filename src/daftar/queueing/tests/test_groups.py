"""Queue groups are data: the shipped file covers every category once; a wrong file is refused clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import override_settings

from daftar.core.errors import NotFound
from daftar.queueing.checks import queue_groups_valid
from daftar.queueing.groups import QueueGroupsError, queue_groups_load
from daftar.queueing.selectors import group_by_code, group_of_category, queue_groups

CATALOG = Path(settings.DAFTAR_CATALOG_DIR)


def _category_codes() -> list[str]:
    return [
        entry["code"] for entry in yaml.safe_load((CATALOG / "categories.yaml").read_text(encoding="utf-8"))
    ]


def test_the_shipped_groups_cover_every_category_exactly_once() -> None:
    groups = queue_groups()
    covered = [category for group in groups for category in group.categories]
    assert sorted(covered) == sorted(_category_codes())
    assert len(covered) == len(set(covered))
    assert len({g.letter for g in groups}) == len(groups)
    assert all(g.minutes > 0 and g.name_fa for g in groups)


def test_categories_map_to_their_groups() -> None:
    assert group_of_category("fees_tolls").letter == "F"
    assert group_of_category("building_technical").code == "building"
    assert group_of_category("business_licence").letter == "L"
    assert group_of_category("real_estate").code == "requests"
    assert group_by_code("inquiries").categories == ("inquiries",)


def test_unknown_group_or_category_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        group_by_code("nope")
    assert caught.value.code == "queue.unknown_group"
    with pytest.raises(NotFound):
        group_of_category("nope")


def _catalog_with(tmp_path: Path, groups: object) -> Path:
    shutil.copy(CATALOG / "categories.yaml", tmp_path / "categories.yaml")
    (tmp_path / "queue_groups.yaml").write_text(yaml.safe_dump(groups, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _shipped() -> dict[str, dict[str, object]]:
    data = yaml.safe_load((CATALOG / "queue_groups.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_category_in_two_groups_is_refused(tmp_path: Path) -> None:
    groups = _shipped()
    groups["fees"]["categories"] = ["fees_tolls", "inquiries"]  # type: ignore[index]
    with pytest.raises(QueueGroupsError, match="category inquiries is in both"):
        queue_groups_load(_catalog_with(tmp_path, groups))


def test_a_category_without_a_group_is_refused(tmp_path: Path) -> None:
    groups = _shipped()
    del groups["inquiries"]
    with pytest.raises(QueueGroupsError, match="category inquiries belongs to no queue group"):
        queue_groups_load(_catalog_with(tmp_path, groups))


def test_unknown_categories_bad_letters_and_minutes_are_all_listed(tmp_path: Path) -> None:
    groups = _shipped()
    groups["fees"]["categories"] = ["fees_tolls", "parking_fines"]  # type: ignore[index]
    groups["fees"]["letter"] = "B"  # type: ignore[index]
    groups["licences"]["minutes"] = 0  # type: ignore[index]
    with pytest.raises(QueueGroupsError) as caught:
        queue_groups_load(_catalog_with(tmp_path, groups))
    message = str(caught.value)
    assert "unknown category 'parking_fines'" in message
    assert "letter B is already used by building" in message
    assert "licences: minutes" in message


def test_groups_are_loaded_once_per_directory(tmp_path: Path) -> None:
    directory = _catalog_with(tmp_path, _shipped())
    assert queue_groups_load(directory) is queue_groups_load(directory)


def test_the_system_check_reports_a_broken_file(tmp_path: Path) -> None:
    assert queue_groups_valid() == []
    groups = _shipped()
    del groups["fees"]
    with override_settings(DAFTAR_CATALOG_DIR=_catalog_with(tmp_path, groups)):
        errors = queue_groups_valid()
    assert [e.id for e in errors] == ["queueing.E001"]
    assert "fees_tolls" in errors[0].msg


def test_catalog_load_validates_the_queue_groups_file(tmp_path: Path) -> None:
    from daftar.catalog.services import data_loaders
    from daftar.core.errors import InvalidValue

    check = data_loaders.get("queue_groups.yaml")
    assert check(CATALOG / "queue_groups.yaml") == 5
    groups = _shipped()
    del groups["requests"]
    directory = _catalog_with(tmp_path, groups)
    with pytest.raises(InvalidValue) as caught:
        check(directory / "queue_groups.yaml")
    assert caught.value.code == "queue.groups_file"
    assert "category complaints belongs to no queue group" in str(caught.value)
