"""The annual billing benchmark (bench/billing.py): its pure parts, without a database to fill.

It reads ``bill_annual``'s report line (so the line the command prints is checked against the
benchmark's reading of it), works out the ratio to the raw COPY and refuses databases not named
``daftar_bench_*``."""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import call_command

from daftar.offices.models import City, Zone

from .conftest import property_add

ROOT = Path(__file__).resolve().parents[4]

pytestmark = pytest.mark.skipif(not (ROOT / "bench" / "billing.py").exists(), reason="no bench/ folder")


def bench_billing() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("bench.billing")


@pytest.mark.django_db
def test_the_report_line_bill_annual_prints_is_what_the_benchmark_reads(
    city: City, tariffs: int, districts: dict[int, Zone]
) -> None:
    property_add(city, "3-1-1", zone=districts[3])
    property_add(city, "0-1-1", zone=None)
    out = io.StringIO()
    call_command(
        "bill_annual", "--city", "tehran", "--fiscal-year", str(tariffs), "--kind", "property",
        "--no-progress", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    found = bench_billing().report_parse(out.getvalue())
    assert {k: found[k] for k in ("city", "year", "kind", "billed", "existing", "nothing", "failed")} == {
        "city": "tehran", "year": tariffs, "kind": "property", "billed": 1, "existing": 0, "nothing": 0,
        "failed": 1,
    }  # fmt: skip
    assert found["seconds"] >= 0


def test_a_missing_report_is_an_error() -> None:
    with pytest.raises(ValueError, match="no bill_annual report"):
        bench_billing().report_parse("Traceback (most recent call last): …")


def test_ratios_compare_bills_per_second_with_the_raw_copy_of_the_same_rows() -> None:
    numbers = bench_billing().ratios(bills=100_000, seconds=10.0, raw_rows=400_000, raw_seconds=4.0)
    assert numbers == {
        "bills_per_second": 10_000,
        "raw_rows_per_second": 100_000,
        "raw_bills_per_second": 25_000,
        "ratio_to_raw": 0.4,
    }
    assert bench_billing().ratios(bills=0, seconds=0.0, raw_rows=0, raw_seconds=0.0)["ratio_to_raw"] is None


def test_the_summary_names_the_numbers() -> None:
    result = {
        "properties": 1_000_000, "database": "daftar_bench_billing", "fiscal_year": 1406, "chunk": 2000,
        "billing": {"billed": 1_000_000, "carried": 41, "failed": 0, "seconds": 100.0,
                    "bills_per_second": 10_000, "peak_rss_mb": 150.0, "wall_seconds": 102.0},
        "raw_copy": {"rows": 4_000_041, "rows_by_table": {}, "seconds": 40.0, "rows_per_second": 100_001,
                     "bills_per_second": 25_000},
        "ratio_to_raw": 0.4,
    }  # fmt: skip
    text = bench_billing().summary_text(result)
    assert "10,000 bills/s" in text
    assert "peak RSS 150 MB" in text
    assert "billing / raw COPY = 0.4" in text


def test_only_bench_databases_are_touched() -> None:
    with pytest.raises(SystemExit):
        bench_billing().database_ensure("daftar", False)
