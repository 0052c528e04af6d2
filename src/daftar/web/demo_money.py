"""The demo city's money: registered properties, businesses and vehicles, last year's and this
year's annual bills (last year's unpaid ones carried as arrears), and a few payments, so the
citizen's bills, the counter, the cash-up and the finance pages open on real figures.

Everything goes through the real services (CSV import, annual billing, counter collection).
"""

from __future__ import annotations

from pathlib import Path

from daftar.accounts.models import User
from daftar.billing.models import PAYABLE_STATUSES, Bill
from daftar.billing.payments import payment_collect_at_counter
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.fees.models import Property
from daftar.fees.records import csv_rows
from daftar.fees.services import annual_bills_run, records_import
from daftar.offices.models import City, Office

RECORD_FILES = (("property", "properties.csv"), ("business", "businesses.csv"), ("vehicle", "vehicles.csv"))
PAID_AT_THE_COUNTER = 6  # annual bills the demo office collected, for its cash-up and settlement


def demo_money_load(*, city: City, records_dir: Path, office: Office | None, operator: User) -> int:
    """Import the demo records and bill them once (idempotent); returns how many bills exist."""
    if not Property.objects.filter(city=city).exists():
        for kind, file_name in RECORD_FILES:
            with (records_dir / file_name).open(encoding="utf-8-sig", newline="") as stream:
                records_import(city=city, kind=kind, rows=csv_rows(stream))
        year = fiscal_year_of(local_today())
        annual_bills_run(city=city, fiscal_year=year - 1)
        annual_bills_run(city=city, fiscal_year=year)
        if office is not None:
            due = Bill.objects.filter(city=city, kind="annual", fiscal_year=year, status__in=PAYABLE_STATUSES)
            for bill in due.exclude(payer_national_code="0084575948").order_by("pk")[:PAID_AT_THE_COUNTER]:
                payment_collect_at_counter(
                    bill=bill, office=office, actor=operator, terminal_reference=f"77{bill.pk:08d}"
                )
    return Bill.objects.filter(city=city).count()
