"""Payments left pending are verified again with the bank: paid ones are booked, abandoned ones end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from daftar.billing.models import BillStatus, Payment, PaymentStatus
from daftar.billing.payments import EXPIRE_AFTER, payment_recheck, payment_start, payments_reconcile
from daftar.billing.tasks import reconcile_payments
from daftar.simulators.bank.services import sandbox_payment_debit

from .conftest import assert_books_balance

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/pay/callback/sandbox/"


def _started(bill: Any) -> Payment:
    return payment_start(bill=bill, provider="sandbox", callback_url=CALLBACK).payment


def test_a_payer_who_paid_and_closed_the_page_is_booked_by_the_periodic_job(
    make_bill: Any, city: Any
) -> None:
    bill = make_bill()
    payment = _started(bill)
    sandbox_payment_debit(authority=payment.authority or "", card_number="6037991234561234")
    assert payments_reconcile().checked == 0  # not due yet: the payer may still come back
    report = payments_reconcile(now=timezone.now() + timedelta(minutes=11))
    assert (report.checked, report.settled) == (1, 1)
    payment.refresh_from_db()
    bill.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert bill.status == BillStatus.PAID
    assert_books_balance(city)


def test_a_payer_still_at_the_bank_is_asked_again_later_with_a_longer_wait(make_bill: Any) -> None:
    payment = _started(make_bill())
    later = timezone.now() + timedelta(minutes=11)
    payments_reconcile(now=later)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.check_attempts == 1
    assert payment.next_check_at is not None
    assert payment.next_check_at > later + timedelta(minutes=10)


def test_a_payment_the_bank_never_completed_expires(make_bill: Any) -> None:
    payment = _started(make_bill())
    report = payments_reconcile(now=timezone.now() + EXPIRE_AFTER + timedelta(minutes=1))
    payment.refresh_from_db()
    assert report.expired == 1
    assert payment.status == PaymentStatus.EXPIRED


def test_the_payer_can_ask_the_bank_again_at_once(make_bill: Any, city: Any) -> None:
    bill = make_bill()
    payment = _started(bill)
    assert payment_recheck(payment=payment).status == PaymentStatus.PENDING
    sandbox_payment_debit(authority=payment.authority or "", card_number="6037991234561234")
    assert payment_recheck(payment=payment).status == PaymentStatus.SUCCEEDED
    assert_books_balance(city)


def test_the_beat_task_runs_the_reconciliation(make_bill: Any) -> None:
    payment = _started(make_bill())
    Payment.objects.filter(pk=payment.pk).update(next_check_at=timezone.now() - timedelta(seconds=1))
    sandbox_payment_debit(authority=payment.authority or "", card_number="6037991234561234")
    assert reconcile_payments.delay().get()["settled"] == 1
