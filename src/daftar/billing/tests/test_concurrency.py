"""Callbacks racing each other on PostgreSQL: the bank's answer is recorded once, whatever arrives."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from daftar.billing.models import (
    Bill,
    BillStatus,
    LedgerTransaction,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    TransactionKind,
)
from daftar.billing.payments import payment_callback, payment_start
from daftar.simulators.bank.services import sandbox_payment_debit
from daftar.testing import run_at_once

from .conftest import assert_books_balance

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite serialises"
    ),
]

CALLBACK = "http://testserver/pay/callback/sandbox/"
CARD = "6037991234561234"


def _paid_at_bank(bill: Bill) -> Payment:
    started = payment_start(bill=bill, provider="sandbox", callback_url=CALLBACK)
    assert started.payment.authority
    sandbox_payment_debit(authority=started.payment.authority, card_number=CARD)
    return started.payment


def test_eight_simultaneous_callbacks_for_one_payment_record_it_once(make_bill: Any, city: Any) -> None:
    bill = make_bill(tariff=True)
    payment = _paid_at_bank(bill)
    params = {"authority": payment.authority or "", "status": "OK"}
    results = run_at_once([lambda: payment_callback(provider="sandbox", params=params) for _ in range(8)])
    assert all(isinstance(r, Payment) for r in results), results
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert bill.paid == bill.total
    assert PaymentAllocation.objects.filter(payment=payment).count() == bill.items.count()
    assert LedgerTransaction.objects.filter(payment=payment, kind=TransactionKind.PAYMENT).count() == 1
    assert_books_balance(city)


def test_two_tabs_paying_the_same_bill_at_once_pay_it_once_and_owe_the_second_back(
    make_bill: Any, city: Any
) -> None:
    bill = make_bill()
    first, second = _paid_at_bank(bill), _paid_at_bank(bill)
    results = run_at_once(
        [
            lambda: payment_callback(
                provider="sandbox", params={"authority": first.authority or "", "status": "OK"}
            ),
            lambda: payment_callback(
                provider="sandbox", params={"authority": second.authority or "", "status": "OK"}
            ),
        ]
    )
    assert all(isinstance(r, Payment) and r.status == PaymentStatus.SUCCEEDED for r in results), results
    bill.refresh_from_db()
    assert bill.paid == bill.total
    refund = Refund.objects.get()
    assert refund.duplicate
    assert refund.amount == bill.total
    assert_books_balance(city)
