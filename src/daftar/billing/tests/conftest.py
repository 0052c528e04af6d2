"""Fixtures for billing tests: a finance officer, bills of realistic size, ledger invariants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum

from daftar.billing.ledger import receivable_account
from daftar.billing.lines import ItemSpec
from daftar.billing.models import (
    PAYABLE_STATUSES,
    Bill,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentAllocation,
)
from daftar.billing.services import bill_create
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.offices.models import City, Office

from .builders import staff_member

RENEWAL = 1_850_000
WASTE = 640_000
TARIFF = 350_000


@pytest.fixture
def finance_user(city: City) -> Any:
    return staff_member("finance1", "finance_officer", city, password="x-test-password-1405")


def annual_items(year: int) -> list[ItemSpec]:
    return [
        ItemSpec(
            line="municipal_fee", fee_type="renewal", title="عوارض نوسازی", amount=RENEWAL, fiscal_year=year
        ),
        ItemSpec(
            line="municipal_fee", fee_type="waste", title="عوارض پسماند", amount=WASTE, fiscal_year=year
        ),
    ]


@pytest.fixture
def make_bill(city: City, office: Office, applicant_person: Any) -> Any:
    """A bill for a property: the municipality's two annual fees, optionally the office's tariff."""

    def make(
        *,
        kind: str = "annual",
        tariff: bool = False,
        allow_partial: bool = False,
        renewal_code: str = "3-123-45-6",
        year: int | None = None,
        source_key: str | None = None,
    ) -> Bill:
        year = year or fiscal_year_of(local_today())
        items = annual_items(year)
        if tariff:
            items.append(
                ItemSpec(
                    line="office_tariff",
                    fee_type="office_tariff",
                    title="کارمزد دفتر",
                    amount=TARIFF,
                    fiscal_year=year,
                    office=office,
                )
            )
        return bill_create(
            city=city,
            kind=kind,
            title="عوارض سالیانه ملک",
            fiscal_year=year,
            due_date=local_today() + timedelta(days=30),
            items=items,
            payer=applicant_person,
            office=office if tariff else None,
            subject_kind="property",
            subject_key=renewal_code,
            allow_partial=allow_partial,
            source_key=source_key,
        )

    return make


def assert_books_balance(city: City) -> None:
    """The ledger's invariants: every transaction balances, the receivable is what open bills owe,
    each bill's paid equals its allocations and its items' paid, and totals equal live items."""
    for transaction_id in LedgerTransaction.objects.values_list("pk", flat=True):
        total = LedgerEntry.objects.filter(transaction_id=transaction_id).aggregate(s=Sum("amount"))["s"]
        assert total == 0, f"transaction {transaction_id} does not balance: {total}"
    receivable = (
        LedgerEntry.objects.filter(account=receivable_account(city)).aggregate(s=Sum("amount"))["s"] or 0
    )
    owed = sum(b.total - b.paid for b in Bill.objects.filter(city=city, status__in=PAYABLE_STATUSES))
    assert receivable == owed
    for bill in Bill.objects.filter(city=city):
        live = bill.items.filter(removed=False)
        assert bill.total == (live.aggregate(s=Sum("amount"))["s"] or 0)
        allocated = PaymentAllocation.objects.filter(item__bill=bill).aggregate(s=Sum("amount"))["s"] or 0
        assert bill.paid == allocated
        assert bill.paid == (bill.items.aggregate(s=Sum("paid"))["s"] or 0)
        assert 0 <= bill.paid <= bill.total or bill.status in ("cancelled", "carried")
    booked = sum(
        p.allocations.aggregate(s=Sum("amount"))["s"] or 0 for p in Payment.objects.filter(bill__city=city)
    )
    assert booked == sum(b.paid for b in Bill.objects.filter(city=city))
