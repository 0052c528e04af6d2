"""Annual billing: amounts by the rules in force, payers, idempotency, arrears carried, a balanced ledger."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from daftar.accounts.models import Person
from daftar.billing.models import (
    PAYABLE_STATUSES,
    Bill,
    BillEvent,
    BillItem,
    BillStatus,
    FeeRule,
    FiscalPolicy,
    LedgerEntry,
    LedgerTransaction,
)
from daftar.billing.payments import payment_collect_at_counter
from daftar.core.errors import Conflict
from daftar.fees.models import BillingRun, Property, RunStatus
from daftar.fees.services import annual_bills_run
from daftar.offices.models import City, Office, Zone

from .conftest import business_add, property_add, vehicle_add


def ledger_total() -> int:
    return LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] or 0


def receivable(city: City) -> int:
    entries = LedgerEntry.objects.filter(account__code=f"receivable:{city.code}")
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def open_outstanding(city: City) -> int:
    return sum(b.outstanding for b in Bill.objects.filter(city=city, status__in=PAYABLE_STATUSES))


def bill_of(key: str, year: int) -> Bill:
    return Bill.objects.get(subject_key=key, fiscal_year=year, kind="annual")


@pytest.fixture
def registers(city: City, districts: dict[int, Zone]) -> None:
    property_add(city, "3-101-1-0-1-1", zone=districts[3], area=120)
    property_add(city, "6-204-7-0-2-3", zone=districts[6], area=150)
    property_add(city, "12-310-2-0-1-1", zone=districts[12], use="commercial", area=80)
    business_add(city, "5931728154", zone=districts[15], guild="retail", area=40)
    business_add(city, "2016733585", zone=districts[14], guild="food", area=60)
    vehicle_add(city, "12ب345-67")
    vehicle_add(city, "139-54821", vehicle_type="motorcycle")


def test_every_record_is_billed_by_the_rules_in_force(city: City, tariffs: int, registers: None) -> None:
    report = annual_bills_run(city=city, fiscal_year=tariffs)
    assert [(k.kind, k.billed, k.failed) for k in report.kinds] == [
        ("property", 3, 0), ("business", 2, 0), ("vehicle", 2, 0),
    ]  # fmt: skip
    assert bill_of("3-101-1-0-1-1", tariffs).total == 18_000 * 120 + 1_850_000  # districts 1–3 pay more
    assert bill_of("6-204-7-0-2-3", tariffs).total == 12_000 * 150 + 1_850_000
    assert bill_of("12-310-2-0-1-1", tariffs).total == 45_000 * 80 + 6_400_000
    assert bill_of("5931728154", tariffs).total == 40 * 180_000 + 1_200_000
    assert bill_of("2016733585", tariffs).total == 60 * 180_000 + 2_500_000
    assert bill_of("12ب345-67", tariffs).total == 1_200_000
    assert bill_of("139-54821", tariffs).total == 450_000
    bill = bill_of("3-101-1-0-1-1", tariffs)
    policy = FiscalPolicy.objects.get(city=city, fiscal_year=tariffs)
    assert (bill.kind, bill.status, bill.subject_kind, bill.due_date) == (
        "annual", "open", "property", policy.annual_due_date,
    )  # fmt: skip
    record = Property.objects.get(renewal_code="3-101-1-0-1-1")
    assert bill.source_key == f"annual:tehran:{tariffs}:property:{record.pk}"
    lines = list(bill.items.values_list("seq", "line", "rule_code", "fee_type", "amount"))
    assert lines == [
        (1, "municipal_fee", "fees.annual_renewal", "renewal", 2_160_000),
        (2, "municipal_fee", "fees.annual_waste", "waste", 1_850_000),
    ]
    assert bill.events.get().kind == "created"
    assert ledger_total() == 0
    assert receivable(city) == open_outstanding(city) == sum(b.total for b in Bill.objects.all())
    revenue = LedgerEntry.objects.filter(account__code="revenue:tehran:waste").aggregate(t=Sum("amount"))["t"]
    assert revenue == -(1_850_000 * 2 + 6_400_000)


def test_the_owner_with_the_largest_share_is_the_payer(city: City, tariffs: int, zone: Zone) -> None:
    person = Person.objects.create(national_code="0023456787", first_name="علی", last_name="کریمی")
    property_add(
        city, "3-555-1", zone=zone, owners=(("0012345679", "سارا احمدی", 40), ("0023456787", "علی کریمی", 60))
    )
    annual_bills_run(city=city, fiscal_year=tariffs, kind="property")
    bill = bill_of("3-555-1", tariffs)
    assert (bill.payer, bill.payer_national_code, bill.payer_name) == (person, "0023456787", "علی کریمی")


def test_a_second_run_creates_nothing_new(city: City, tariffs: int, registers: None) -> None:
    annual_bills_run(city=city, fiscal_year=tariffs)
    counts = (Bill.objects.count(), BillItem.objects.count(), BillEvent.objects.count())
    transactions = LedgerTransaction.objects.count()
    report = annual_bills_run(city=city, fiscal_year=tariffs)
    assert [(k.billed, k.skipped_existing) for k in report.kinds] == [(0, 3), (0, 2), (0, 2)]
    assert (Bill.objects.count(), BillItem.objects.count(), BillEvent.objects.count()) == counts
    assert LedgerTransaction.objects.count() == transactions
    assert ledger_total() == 0


def test_records_added_after_a_finished_run_are_billed_by_the_next(
    city: City, tariffs: int, districts: dict[int, Zone]
) -> None:
    property_add(city, "3-1-1", zone=districts[3])
    annual_bills_run(city=city, fiscal_year=tariffs, kind="property")
    assert BillingRun.objects.get(kind="property").status == RunStatus.DONE
    property_add(city, "3-1-2", zone=districts[3])
    report = annual_bills_run(city=city, fiscal_year=tariffs, kind="property")
    assert (report.kinds[0].billed, report.kinds[0].skipped_existing) == (1, 1)
    assert Bill.objects.filter(subject_key__in=["3-1-1", "3-1-2"]).count() == 2


def test_chunks_each_write_one_balanced_ledger_transaction(
    city: City, tariffs: int, districts: dict[int, Zone]
) -> None:
    for number in range(23):
        property_add(city, f"6-400-{number + 1}", zone=districts[6], area=100 + number)
    report = annual_bills_run(city=city, fiscal_year=tariffs, kind="property", chunk=5)
    assert report.kinds[0].billed == 23
    assert LedgerTransaction.objects.filter(kind="bill_issued").count() == 5
    assert ledger_total() == 0
    assert receivable(city) == open_outstanding(city)
    run = BillingRun.objects.get(city=city, fiscal_year=tariffs, kind="property")
    assert (run.status, run.billed, run.finished_at is not None) == (RunStatus.DONE, 23, True)


def test_unpaid_bills_of_earlier_years_are_carried_as_arrears(
    city: City, tariffs: int, districts: dict[int, Zone], office: Office, operator_user: Any
) -> None:
    for code in ("3-9-1", "3-9-2", "3-9-3"):
        property_add(city, code, zone=districts[3], area=100)
    annual_bills_run(city=city, fiscal_year=tariffs - 1, kind="property")
    paid, partly, unpaid = (bill_of(code, tariffs - 1) for code in ("3-9-1", "3-9-2", "3-9-3"))
    payment_collect_at_counter(bill=paid, office=office, actor=operator_user, terminal_reference="100001")
    Bill.objects.filter(pk=partly.pk).update(allow_partial=True)
    partly.refresh_from_db()
    payment_collect_at_counter(
        bill=partly, office=office, actor=operator_user, terminal_reference="100002", amount=1_000_000
    )
    report = annual_bills_run(city=city, fiscal_year=tariffs, kind="property")
    assert report.kinds[0].carried == 2
    fresh = 18_000 * 100 + 1_850_000
    assert bill_of("3-9-1", tariffs).total == fresh
    assert bill_of("3-9-2", tariffs).total == fresh + fresh - 1_000_000
    assert bill_of("3-9-3", tariffs).total == fresh + fresh
    arrears = BillItem.objects.get(bill=bill_of("3-9-2", tariffs), line="arrears")
    assert (arrears.amount, arrears.carried_from_id, arrears.fiscal_year) == (
        fresh - 1_000_000,
        partly.pk,
        tariffs - 1,
    )
    statuses = {b.subject_key: b.status for b in Bill.objects.filter(fiscal_year=tariffs - 1)}
    assert statuses == {"3-9-1": BillStatus.PAID, "3-9-2": BillStatus.CARRIED, "3-9-3": BillStatus.CARRIED}
    assert BillEvent.objects.filter(bill=unpaid, kind="amended").get().payload["carried_into"]
    assert ledger_total() == 0
    assert receivable(city) == open_outstanding(city)  # arrears moved, not counted twice


def test_a_record_a_rule_cannot_charge_is_reported_and_the_rest_billed(
    city: City, tariffs: int, districts: dict[int, Zone]
) -> None:
    property_add(city, "0-1-1", zone=None)  # no district: the renewal rule's district row cannot decide
    property_add(city, "3-1-1", zone=districts[3])
    report = annual_bills_run(city=city, fiscal_year=tariffs, kind="property")
    part = report.kinds[0]
    assert (part.billed, part.failed) == (1, 1)
    assert part.failures[0][0] == "0-1-1"
    assert "zone" in part.failures[0][1]
    assert BillingRun.objects.get(kind="property").status == RunStatus.DONE


def test_billing_needs_the_years_policy_and_its_rules(city: City, tariffs: int, registers: None) -> None:
    with pytest.raises(Conflict) as caught:
        annual_bills_run(city=city, fiscal_year=tariffs + 1)
    assert caught.value.code == "fees.no_policy"
    FeeRule.objects.filter(code="fees.annual_vehicle", fiscal_year=tariffs).delete()
    with pytest.raises(Conflict) as caught:
        annual_bills_run(city=city, fiscal_year=tariffs, kind="vehicle")
    assert caught.value.code == "fees.annual_rule_missing"
    FiscalPolicy.objects.filter(fiscal_year=tariffs).update(
        annual_charges={"property": ["fees.annual_waste"]}
    )
    with pytest.raises(Conflict) as caught:
        annual_bills_run(city=city, fiscal_year=tariffs, kind="business")
    assert caught.value.code == "fees.no_annual_charges"
    report = annual_bills_run(city=city, fiscal_year=tariffs)  # kinds the policy does not charge are skipped
    assert [k.kind for k in report.kinds] == ["property"]
    assert not Bill.objects.exclude(subject_kind="property").exists()
    FiscalPolicy.objects.filter(fiscal_year=tariffs).update(annual_charges={})
    with pytest.raises(Conflict) as caught:
        annual_bills_run(city=city, fiscal_year=tariffs)
    assert caught.value.code == "fees.no_annual_charges"


class _Bar:
    def __init__(self, **options: Any) -> None:
        self.options, self.done, self.closed = options, 0, False

    def update(self, n: float | None = 1) -> None:
        self.done += int(n or 0)

    def close(self) -> None:
        self.closed = True


def test_progress_is_reported_per_kind(city: City, tariffs: int, registers: None) -> None:
    bars: list[_Bar] = []

    def progress(**options: Any) -> _Bar:
        bars.append(_Bar(**options))
        return bars[-1]

    annual_bills_run(city=city, fiscal_year=tariffs, chunk=2, progress=progress)
    assert [(b.options["desc"], b.options["total"], b.done, b.closed) for b in bars] == [
        ("property", 3, 3, True), ("business", 2, 2, True), ("vehicle", 2, 2, True),
    ]  # fmt: skip


def test_the_command_prints_a_report(city: City, tariffs: int, registers: None) -> None:
    out = io.StringIO()
    call_command(
        "bill_annual", "--city", "tehran", "--fiscal-year", str(tariffs), "--no-progress", stdout=out
    )
    text = out.getvalue()
    assert f"bill_annual tehran {tariffs} property: 3 billed" in text
    assert "vehicle: 2 billed" in text
    assert "bills/s" in text


def test_annual_bills_may_be_paid_in_part_only_when_the_policy_says_so(
    city: City, tariffs: int, registers: None
) -> None:
    annual_bills_run(city=city, fiscal_year=tariffs, kind="vehicle")
    assert not Bill.objects.filter(allow_partial=True).exists()
    FiscalPolicy.objects.filter(city=city, fiscal_year=tariffs).update(part_payment=["annual"])
    annual_bills_run(city=city, fiscal_year=tariffs, kind="property")
    assert set(Bill.objects.values_list("subject_kind", "allow_partial").distinct()) == {
        ("vehicle", False),
        ("property", True),
    }
