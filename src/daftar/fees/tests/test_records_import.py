"""Importing the registers from CSV: Persian or English headers, Persian digits, every bad row reported."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from daftar.core.errors import InvalidValue
from daftar.fees.models import Business, Property, PropertyOwner, Vehicle
from daftar.fees.records import csv_rows
from daftar.fees.services import RejectedRow, records_import
from daftar.offices.models import City, Zone

RECORDS = Path(settings.DAFTAR_CATALOG_DIR) / "demo" / "records"
ERRORS = RECORDS / "properties_with_errors.csv"


def _import(city: City, kind: str, path: Path, chunk: int = 1000) -> tuple[object, list[RejectedRow]]:
    rejected: list[RejectedRow] = []
    with path.open(encoding="utf-8-sig", newline="") as stream:
        report = records_import(
            city=city, kind=kind, rows=csv_rows(stream), chunk=chunk, on_rejected=rejected.append
        )
    return report, rejected


def _data_rows(path: Path) -> int:
    """Rows below the header line (each record is one line in the demo files)."""
    return sum(1 for line in path.read_text(encoding="utf-8-sig").splitlines()[1:] if line.strip())


@pytest.mark.parametrize(
    ("kind", "file", "model"),
    [
        ("property", "properties.csv", Property),
        ("business", "businesses.csv", Business),
        ("vehicle", "vehicles.csv", Vehicle),
    ],
)
def test_the_demo_registers_import_without_a_rejected_row(
    city: City, districts: dict[int, Zone], kind: str, file: str, model: type
) -> None:
    rows = _data_rows(RECORDS / file)
    report, rejected = _import(city, kind, RECORDS / file, chunk=7)
    assert rejected == []
    assert (report.created, report.updated, report.unchanged, report.rejected) == (rows, 0, 0, 0)
    assert model.objects.filter(city=city).count() == rows


def test_importing_the_same_file_again_changes_nothing(city: City, districts: dict[int, Zone]) -> None:
    _import(city, "property", RECORDS / "properties.csv")
    report, rejected = _import(city, "property", RECORDS / "properties.csv", chunk=9)
    assert (report.created, report.updated, report.unchanged, rejected) == (
        0,
        0,
        _data_rows(RECORDS / "properties.csv"),
        [],
    )


def test_persian_digits_and_arabic_letters_are_stored_in_one_spelling(
    city: City, districts: dict[int, Zone]
) -> None:
    _import(city, "property", ERRORS)
    record = Property.objects.get(renewal_code="3-412-18-0-1-1")
    assert record.zone == districts[3]
    assert record.postal_code == "1991745814"
    assert record.area_m2 == 221  # ۲۲۰٫۵ m² rounded half-up
    assert record.use == "commercial"  # «تجاری»
    assert record.address == "تهران، ونک، خیابان شیراز جنوبی، پلاک ۷"
    owners = list(record.owners.values_list("national_code", "name", "share_percent"))
    assert owners == [
        ("0012345679", "سارا احمدی", Decimal("60.00")),
        ("0023456787", "علی کریمی", Decimal("40.00")),
    ]


def test_every_bad_row_is_rejected_with_its_line_and_a_persian_reason_per_bad_field(
    city: City, districts: dict[int, Zone]
) -> None:
    report, rejected = _import(city, "property", ERRORS)
    assert (report.created, report.rejected) == (2, 6)
    by_line = {row.line: row.reasons for row in rejected}
    assert sorted(by_line) == [4, 5, 6, 7, 8, 9]
    assert [r.split(":")[0] for r in by_line[4]] == ["کد ملی مالک"]
    assert [r.split(":")[0] for r in by_line[5]] == ["کد نوسازی"]
    assert [r.split(":")[0] for r in by_line[6]] == ["مساحت عرصه", "کاربری"]
    assert {r.split(":")[0] for r in by_line[7]} == {"سهم مالک", "منطقه"}
    assert by_line[8][0].startswith("کد پستی:")
    assert len(by_line[8]) == 2  # and the missing cell
    assert [r.split(":")[0] for r in by_line[9]] == ["کد ملی مالک"]
    assert "villa" in by_line[6][1]  # the bad value is named
    assert by_line[5] == ["کد نوسازی: این فیلد اجباری است."]
    assert "سهم مالک: جمع سهم‌ها باید ۱۰۰ باشد." in by_line[7]
    assert "منطقه: این شهر منطقه ۹۹ ندارد." in by_line[7]
    assert rejected[0].cells["renewal_code"] == "3-412-19-0-1-1"  # the row as it was, for fixing
    assert not Property.objects.filter(renewal_code__in=["3-412-19-0-1-1", "3-412-22-0-1-1"]).exists()


def test_a_changed_row_updates_its_record_and_replaces_its_owners(
    city: City, districts: dict[int, Zone]
) -> None:
    _import(city, "property", ERRORS)
    rows = [
        {"کد نوسازی": "۳-۴۱۲-۱۷-۰-۲-۵", "کاربری": "مسکونی", "مساحت عرصه": "200",
         "کد ملی مالک": "0023456787", "نام مالک": "علی کریمی"},
        {"کد نوسازی": "3-412-18-0-1-1", "کاربری": "تجاری", "مساحت عرصه": "221",
         "کد ملی مالک": "0012345679;0023456787", "نام مالک": "سارا احمدی;علی کریمی"},
    ]  # fmt: skip
    report = records_import(city=city, kind="property", rows=rows)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    first = Property.objects.get(renewal_code="3-412-17-0-2-5")
    assert first.area_m2 == 200
    assert first.postal_code == "1991745813"  # a column the file does not have is left alone
    assert list(first.owners.values_list("national_code", flat=True)) == ["0023456787"]
    shares = Property.objects.get(renewal_code="3-412-18-0-1-1").owners.values_list(
        "share_percent", flat=True
    )
    assert list(shares) == [Decimal("50.00"), Decimal("50.00")]  # no shares given: equal shares
    assert PropertyOwner.objects.count() == 3


def test_a_key_repeated_in_one_file_updates_the_record_it_created(city: City) -> None:
    rows = [
        {"plate": "۱۲ ب ۳۴۵ ایران ۶۷", "vehicle_type": "car", "model_year": "1398",
         "owner_national_code": "0012345679", "owner_name": "سارا احمدی"},
        {"plate": "12ب345-67", "vehicle_type": "van", "model_year": "1398",
         "owner_national_code": "0012345679", "owner_name": "سارا احمدی"},
    ]  # fmt: skip
    report = records_import(city=city, kind="vehicle", rows=rows)
    assert (report.created, report.updated) == (1, 1)
    assert Vehicle.objects.get().vehicle_type == "van"


def test_plates_and_licences_are_normalised(city: City, districts: dict[int, Zone]) -> None:
    _import(city, "vehicle", RECORDS / "vehicles.csv")
    plates = set(Vehicle.objects.values_list("plate", flat=True))
    assert "53ی349-33" in plates
    assert "947-31928" in plates  # a motorcycle's plate
    _import(city, "business", RECORDS / "businesses.csv")
    bakery = Business.objects.get(licence_number="5931728154")
    assert (bakery.guild_code, bakery.zone, bakery.licence_valid_until) == (
        "food",
        districts[15],
        date(2026, 5, 23),
    )


def test_unknown_or_missing_columns_refuse_the_file_before_writing_anything(city: City) -> None:
    rows = [{"plate": "12ب345-67", "vehicle_type": "car", "colour": "white"}]
    with pytest.raises(InvalidValue) as caught:
        records_import(city=city, kind="vehicle", rows=rows)
    assert "colour" in str(caught.value)
    assert "سال ساخت" in str(caught.value)  # model_year is missing
    assert not Vehicle.objects.exists()


def test_the_command_writes_the_rejected_report_and_a_summary(
    city: City, districts: dict[int, Zone], tmp_path: Path
) -> None:
    report_path = tmp_path / "rejected.csv"
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "records_import", str(ERRORS), "--city", "tehran", "--kind", "property",
        "--rejected", str(report_path), "--chunk", "3", stdout=out, stderr=err,
    )  # fmt: skip
    assert "2 created, 0 updated, 0 unchanged, 6 rejected" in out.getvalue()
    with report_path.open(encoding="utf-8-sig", newline="") as stream:
        lines = list(csv.reader(stream))
    assert lines[0][:3] == ["سطر", "ایرادها", "renewal_code"]
    assert [line[0] for line in lines[1:]] == ["4", "5", "6", "7", "8", "9"]
    assert all(line[1] for line in lines[1:])
    assert (lines[5][0], lines[5][-1]) == ("8", "")  # the cell the row lacked stays empty


def test_the_command_without_a_report_file_prints_the_rejected_rows(
    city: City, districts: dict[int, Zone]
) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "records_import", str(ERRORS), "--city", "tehran", "--kind", "property", stdout=out, stderr=err
    )
    assert err.getvalue().count("line ") == 6


def test_the_command_refuses_a_file_that_is_not_utf8(city: City, tmp_path: Path) -> None:
    path = tmp_path / "cp1256.csv"
    path.write_bytes(
        b"plate,vehicle_type,model_year,owner_national_code,owner_name\n" + "پلاک".encode("cp1256")
    )
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("records_import", str(path), "--city", "tehran", "--kind", "vehicle")
