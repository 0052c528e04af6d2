"""Set-based annual billing: the COPY writer writes exactly what the bulk_create writer writes, a bill
ID clash is retried, the two ways of reading records agree, and a chunk's query count does not grow
with its size."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from daftar.accounts.models import Person
from daftar.billing.models import Bill, BillEvent, BillItem, LedgerEntry, LedgerTransaction
from daftar.billing.numbers import bill_number_clean
from daftar.billing.payments import payment_collect_at_counter
from daftar.fees import annual
from daftar.fees.models import BillingRun, Property
from daftar.fees.services import annual_bills_run
from daftar.offices.models import City, Office, Zone

from .conftest import business_add, property_add, vehicle_add
from .test_annual_billing import ledger_total, open_outstanding, receivable

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


def mixed_records(city: City, districts: dict[int, Zone], year: int, *, office: Office, actor: Any) -> None:
    """Last year's bills (one paid in part, one unpaid) to carry, a record no rule can charge, a
    property with two owners whose larger share is a known Person, a business and a vehicle."""
    Person.objects.create(national_code="0023456787", first_name="علی", last_name="کریمی")
    property_add(city, "3-9-1", zone=districts[3], area=100)
    property_add(city, "3-9-2", zone=districts[3], area=140)
    annual_bills_run(city=city, fiscal_year=year - 1, kind="property")
    Bill.objects.filter(subject_key="3-9-1").update(allow_partial=True)
    payment_collect_at_counter(
        bill=Bill.objects.get(subject_key="3-9-1"), office=office, actor=actor, terminal_reference="100001",
        amount=1_000_000,
    )  # fmt: skip
    property_add(city, "0-1-1", zone=None)  # fails: the renewal rule needs a district
    property_add(
        city, "6-1-1", zone=districts[6], use="commercial", area=75,
        owners=(("0012345679", "سارا احمدی", 40), ("0023456787", "علی کریمی", 60)),
    )  # fmt: skip
    property_add(city, "12-1-1", zone=districts[12], owners=())
    business_add(city, "5931728154", zone=districts[15], guild="food", area=60)
    vehicle_add(city, "12ب345-67")


def snapshot() -> dict[str, Any]:
    """Everything the run wrote, by natural keys (ids and random bill IDs differ between runs)."""
    key_of = dict(Bill.objects.values_list("pk", "source_key"))
    by_number = dict(Bill.objects.values_list("number", "source_key"))
    varying = ("id", "number", "created_at", "updated_at")
    bills = {
        row["source_key"]: {k: v for k, v in row.items() if k not in varying} for row in Bill.objects.values()
    }
    items = {
        (key_of[row["bill_id"]], row["seq"]): {
            **{k: v for k, v in row.items() if k not in ("id", "bill_id", "carried_from_id")},
            "carried_from": key_of.get(row["carried_from_id"]),
        }
        for row in BillItem.objects.values()
    }
    events: Counter[tuple[Any, ...]] = Counter()
    for row in BillEvent.objects.values():
        payload = dict(row["payload"])
        if "carried_into" in payload:
            payload["carried_into"] = by_number[payload["carried_into"]]
        for line in payload.get("items", []):
            if "carried_from" in line:
                line["carried_from"] = key_of[line["carried_from"]]
        events[
            key_of[row["bill_id"]], row["kind"], repr(sorted(payload.items())), row["actor_id"], row["reason"]
        ] += 1
    ledger = dict(
        LedgerEntry.objects.values_list("account__code")
        .annotate(total=Sum("amount"))
        .values_list("account__code", "total")
    )
    runs = list(BillingRun.objects.order_by("fiscal_year", "kind").values(
        "fiscal_year", "kind", "status", "billed", "skipped_existing", "nothing_due", "carried", "failed"
    ))  # fmt: skip
    memos = sorted(
        memo.split(", first ")[0] for memo in LedgerTransaction.objects.values_list("memo", flat=True)
    )
    return {"bills": bills, "items": items, "events": events, "ledger": ledger, "runs": runs, "memos": memos}


def run_and_snapshot(city: City, year: int, *, use_copy: bool) -> tuple[list[Any], dict[str, Any]]:
    with transaction.atomic():
        report = annual_bills_run(city=city, fiscal_year=year, chunk=3, use_copy=use_copy)
        assert ledger_total() == 0
        assert receivable(city) == open_outstanding(city)
        taken = snapshot()
        transaction.set_rollback(True)  # the next run starts from the same records and older bills
    parts = [(k.kind, k.billed, k.skipped_existing, k.nothing_due, k.carried, k.failed, k.failures)
             for k in report.kinds]  # fmt: skip
    return parts, taken


@postgres_only
def test_the_copy_writer_writes_exactly_what_the_bulk_create_writer_writes(
    city: City, tariffs: int, districts: dict[int, Zone], office: Office, operator_user: Any
) -> None:
    mixed_records(city, districts, tariffs, office=office, actor=operator_user)
    orm_report, orm = run_and_snapshot(city, tariffs, use_copy=False)
    copy_report, copied = run_and_snapshot(city, tariffs, use_copy=True)
    assert orm_report == copy_report
    assert orm_report[0][1:6] == (4, 0, 0, 2, 1)  # property: 4 billed, 2 carried, 1 failed
    shared = Property.objects.get(renewal_code="6-1-1").pk
    assert orm["bills"][f"annual:tehran:{tariffs}:property:{shared}"]["payer_national_code"] == "0023456787"
    for part in ("bills", "items", "events", "ledger", "runs", "memos"):
        assert copied[part] == orm[part], part
    assert any(item["line"] == "arrears" for item in copied["items"].values())


@postgres_only
def test_a_bill_id_clash_on_copy_is_written_again_with_fresh_ids(
    city: City, tariffs: int, districts: dict[int, Zone], monkeypatch: pytest.MonkeyPatch
) -> None:
    property_add(city, "3-1-1", zone=districts[3])
    annual_bills_run(city=city, fiscal_year=tariffs - 1, kind="property")
    taken = Bill.objects.get().number
    for number in range(2, 6):
        property_add(city, f"3-1-{number}", zone=districts[3])
    calls: list[list[str]] = []
    fresh = annual.bill_numbers_new

    def clashing(count: int) -> list[str]:
        numbers = fresh(count)
        if not calls:
            numbers[0] = taken  # the first draw collides with a bill already on file
        calls.append(numbers)
        return numbers

    monkeypatch.setattr("daftar.fees.annual_write.bill_numbers_new", clashing)
    report = annual_bills_run(city=city, fiscal_year=tariffs, kind="property", use_copy=True)
    assert report.kinds[0].billed == 5
    assert len(calls) == 2
    numbers = set(Bill.objects.filter(fiscal_year=tariffs).values_list("number", flat=True))
    assert numbers == set(calls[1])
    assert taken not in numbers
    assert all(bill_number_clean(number) == number for number in numbers)
    assert BillItem.objects.filter(bill__fiscal_year=tariffs).count() == 5 * 2 + 1  # and one arrears line
    assert BillEvent.objects.filter(bill__fiscal_year=tariffs, kind="created").count() == 5
    assert ledger_total() == 0
    assert receivable(city) == open_outstanding(city)


def test_fresh_bill_ids_are_distinct_valid_and_random() -> None:
    numbers = annual.bill_numbers_new(2000)
    assert len(set(numbers)) == 2000
    assert all(bill_number_clean(number) == number and number[0] != "0" for number in numbers)
    assert len({number[0] for number in numbers}) == 9  # a first digit of 1 to 9, as bill_number_new


@postgres_only
def test_the_sql_reader_and_the_orm_reader_agree(
    city: City, tariffs: int, districts: dict[int, Zone], office: Office, operator_user: Any
) -> None:
    mixed_records(city, districts, tariffs, office=office, actor=operator_user)
    from daftar.billing.models import FiscalPolicy
    from daftar.fees.annual_write import records_orm, records_sql

    annual_bills_run(city=city, fiscal_year=tariffs, kind="vehicle")  # some rows already billed
    policy = FiscalPolicy.objects.get(city=city, fiscal_year=tariffs)
    for kind in ("property", "business", "vehicle"):
        plan = annual._plan(city, tariffs, kind, policy.annual_charges[kind], policy.annual_due_date, False)
        for after in (0, 1):
            orm = records_orm(plan, after=after, chunk=50)
            assert records_sql(plan, after=after, chunk=50) == orm
    plan = annual._plan(
        city, tariffs, "property", policy.annual_charges["property"], policy.annual_due_date, False
    )
    rows = {row["renewal_code"]: row for row in records_orm(plan, after=0, chunk=50)}
    assert (rows["6-1-1"]["payer_code"], rows["6-1-1"]["payer_id"] is not None) == ("0023456787", True)
    assert (rows["12-1-1"]["payer_code"], rows["12-1-1"]["payer_id"]) == (None, None)
    assert rows["3-9-2"]["owes"]
    assert not rows["6-1-1"]["owes"]


def _queries_for(city: City, year: int, districts: dict[int, Zone], *, records: int, chunk: int, prefix: str,
                 monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:  # fmt: skip
    """(queries, COPY statements) of billing ``records`` properties, each with last year's bill to carry."""
    for number in range(records):
        property_add(city, f"{prefix}-{number + 1}", zone=districts[3] if number else None)
    annual_bills_run(city=city, fiscal_year=year - 1, kind="property")
    copies: Counter[str] = Counter()
    with monkeypatch.context() as patched, CaptureQueriesContext(connection) as captured:
        if connection.vendor == "postgresql":
            from daftar.fees import annual_write as annual_copy

            real_copy = annual_copy._copy

            def counted(cursor: Any, table: Any, rows: Any) -> None:
                copies[table.table] += 1
                real_copy(cursor, table, rows)

            patched.setattr(annual_copy, "_copy", counted)
        report = annual_bills_run(city=city, fiscal_year=year, kind="property", chunk=chunk)
    assert report.kinds[0].billed == records - 1  # the first has no district: it fails
    assert report.kinds[0].carried == records - 1
    return len(captured), sum(copies.values())


def test_a_chunk_costs_the_same_queries_whatever_its_size(
    city: City, tariffs: int, districts: dict[int, Zone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two full chunks and the empty last one each time: 5 records a chunk, then 20."""
    with transaction.atomic():
        small = _queries_for(
            city, tariffs, districts, records=10, chunk=5, prefix="3-5", monkeypatch=monkeypatch
        )
        transaction.set_rollback(True)
    large = _queries_for(
        city, tariffs, districts, records=40, chunk=20, prefix="3-6", monkeypatch=monkeypatch
    )
    assert large == small
    queries, copies = large
    assert queries <= 3 * 20  # about 18 a chunk, whatever its size
    if connection.vendor == "postgresql":
        assert copies == 2 * 3  # bills, items, events: one COPY each per chunk
