"""bill_annual killed in the middle of a chunk, then run again: every record billed exactly once.

The command runs in a child process against this test's database (a file for SQLite, or
PostgreSQL); ``DAFTAR_BILL_ANNUAL_CRASH_AFTER_CHUNKS`` makes it die abruptly inside a chunk's
transaction, after that chunk's writes and before its commit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from daftar.billing.models import Bill, BillItem, BillStatus, LedgerEntry
from daftar.fees.models import BillingRun, Property, PropertyOwner, RunStatus
from daftar.fees.services import annual_bills_run
from daftar.offices.models import City, Zone

from .test_annual_billing import ledger_total, open_outstanding, receivable

RECORDS, CHUNK, CRASH_AFTER = 230, 20, 3
MANAGE_DIR = Path(settings.BASE_DIR).parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(db['NAME'])}"


def _bill_annual(year: int, *, crash_after: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "daftar.settings.test",
        "DATABASE_URL": _database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DAFTAR_BILL_ANNUAL_CRASH_AFTER_CHUNKS", None)
    if crash_after is not None:
        env["DAFTAR_BILL_ANNUAL_CRASH_AFTER_CHUNKS"] = str(crash_after)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "bill_annual", "--city", "tehran", "--fiscal-year", str(year),
         "--kind", "property", "--chunk", str(CHUNK), "--no-progress"],
        cwd=MANAGE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stdout, stderr = process.communicate(timeout=180)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_mid_chunk_resumes_and_bills_every_record_exactly_once(
    city: City, districts: dict[int, Zone], tariffs: int
) -> None:
    records = Property.objects.bulk_create(
        Property(
            city=city, renewal_code=f"6-700-{n}", zone=districts[6], area_m2=90 + n % 50, use="residential"
        )
        for n in range(1, RECORDS + 1)
    )
    PropertyOwner.objects.bulk_create(
        PropertyOwner(property=record, national_code="0012345679", name="سارا احمدی") for record in records
    )
    annual_bills_run(city=city, fiscal_year=tariffs - 1, kind="property")  # last year's bills stay unpaid

    crashed = _bill_annual(tariffs, crash_after=CRASH_AFTER)
    assert crashed.returncode == 1, crashed.stderr
    assert "dying in the middle of a chunk" in crashed.stderr
    run = BillingRun.objects.get(city=city, fiscal_year=tariffs, kind="property")
    ordered = sorted(record.pk for record in records)
    assert (run.status, run.billed, run.last_pk) == (
        RunStatus.RUNNING,
        CRASH_AFTER * CHUNK,
        ordered[CRASH_AFTER * CHUNK - 1],
    )
    assert (
        Bill.objects.filter(fiscal_year=tariffs).count() == CRASH_AFTER * CHUNK
    )  # the 4th chunk left nothing
    assert (
        Bill.objects.filter(fiscal_year=tariffs - 1, status=BillStatus.CARRIED).count() == CRASH_AFTER * CHUNK
    )
    assert ledger_total() == 0

    finished = _bill_annual(tariffs)
    assert finished.returncode == 0, finished.stderr
    assert f"{RECORDS - CRASH_AFTER * CHUNK} billed" in finished.stdout
    assert f"resumed after record #{run.last_pk}" in finished.stdout
    this_year = Bill.objects.filter(fiscal_year=tariffs, kind="annual")
    per_record = this_year.values("subject_key").annotate(n=Count("pk"))
    assert len(per_record) == RECORDS
    assert {row["n"] for row in per_record} == {1}
    assert not Bill.objects.filter(fiscal_year=tariffs - 1).exclude(status=BillStatus.CARRIED).exists()
    assert BillItem.objects.filter(bill__in=this_year, line="arrears").count() == RECORDS
    assert BillingRun.objects.get(pk=run.pk).status == RunStatus.DONE
    assert ledger_total() == 0
    assert receivable(city) == open_outstanding(city)
    revenue = LedgerEntry.objects.filter(account__code__startswith="revenue:tehran:").aggregate(
        t=Sum("amount")
    )
    last_year_total = sum(Bill.objects.filter(fiscal_year=tariffs - 1).values_list("total", flat=True))
    this_year_fees = BillItem.objects.filter(bill__in=this_year, line="municipal_fee").aggregate(
        t=Sum("amount")
    )
    assert -revenue["t"] == last_year_total + this_year_fees["t"]  # arrears were not booked as revenue again

    again = _bill_annual(tariffs)
    assert f"0 billed, {RECORDS} already billed" in again.stdout
    assert this_year.count() == RECORDS
