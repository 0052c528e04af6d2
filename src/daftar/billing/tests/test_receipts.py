"""Receipts: issued once per successful payment, signed, verifiable, printed as a one-page PDF."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from daftar.accounts.models import Person, User
from daftar.billing.gateways.base import GatewayResult
from daftar.billing.models import Bill, Payment, Receipt
from daftar.billing.payments import payment_collect_at_counter, payment_settle, payment_start
from daftar.billing.receipts import (
    receipt_document,
    receipt_issue,
    receipt_number_clean,
    receipt_pdf,
    receipt_verification,
)
from daftar.billing.refunds import payment_reverse
from daftar.core.errors import Conflict
from daftar.offices.models import City, Office

from .builders import annual_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill(city: City, applicant_person: Person) -> Bill:
    return annual_bill(city, applicant_person)


@pytest.fixture
def paid(bill: Bill, office: Office, operator_user: User) -> Payment:
    return payment_collect_at_counter(
        bill=bill, office=office, actor=operator_user, terminal_reference="۴۵۶۷۸۹۱۲۳"
    )


def _texts(box: Any) -> Iterator[str]:
    text = getattr(box, "text", None)
    if isinstance(text, str):
        yield text
    for child in getattr(box, "children", []) or []:
        yield from _texts(child)


def test_one_receipt_per_payment_however_often_it_is_asked_for(paid: Payment) -> None:
    first = receipt_issue(payment=paid)
    again = receipt_issue(payment=paid)
    assert first.pk == again.pk
    assert Receipt.objects.count() == 1
    assert receipt_number_clean(first.number) == first.number


def test_only_a_successful_payment_gets_a_receipt(bill: Bill) -> None:
    started = payment_start(
        bill=bill, provider="sandbox", callback_url="http://testserver/pay/callback/sandbox/"
    )
    with pytest.raises(Conflict):
        receipt_issue(payment=started.payment)
    assert not Receipt.objects.exists()


def test_the_payload_says_what_was_paid_and_masks_the_payer(paid: Payment, bill: Bill) -> None:
    payload = json.loads(receipt_issue(payment=paid).payload)
    assert payload["bill"]["number"] == bill.number
    assert payload["amount"] == 6_770_000
    assert payload["applied"] == 6_770_000
    assert payload["refund_due"] == 0
    assert [(i["title"], i["amount"]) for i in payload["items"]] == [
        ("عوارض نوسازی", 4_850_000),
        ("عوارض پسماند", 1_920_000),
    ]
    assert payload["payer"] == {"name": "س… ا…", "national_code_masked": "001*****79"}
    assert payload["provider"] == "counter"
    assert payload["reference"] == "456789123"
    assert payload["office"]["code"] == "1102"
    assert payload["paid_at"].endswith("Z")
    assert "0012345679" not in json.dumps(payload)


def test_the_signature_verifies_and_a_tampered_payload_fails(paid: Payment) -> None:
    receipt = receipt_issue(payment=paid)
    assert receipt_verification(receipt.number).status == "valid"
    assert receipt_verification(receipt.number.lower()).status == "valid"
    Receipt.objects.filter(pk=receipt.pk).update(payload=receipt.payload.replace("6770000", "6870000"))
    tampered = receipt_verification(receipt.number)
    assert tampered.status == "unknown"
    assert not tampered.signature_ok
    assert receipt_verification("P12345678901").status == "unknown"
    assert receipt_verification("not a number").status == "unknown"


def test_a_reversed_payments_receipt_says_so(paid: Payment, operator_user: User) -> None:
    receipt = receipt_issue(payment=paid)
    payment_reverse(payment=paid, reason="ثبت روی قبض اشتباه", actor=operator_user)
    assert receipt_verification(receipt.number).status == "reversed"


def test_the_pdf_is_one_page_and_carries_the_number_and_the_amounts(paid: Payment) -> None:
    receipt = receipt_issue(payment=paid)
    data = receipt_pdf(receipt)
    assert data.startswith(b"%PDF-")
    document = receipt_document(receipt)
    assert len(document.pages) == 1
    text = " ".join(t for page in document.pages for t in _texts(page._page_box))
    assert receipt.number in text
    assert "رسید پرداخت" in text
    assert "۶٬۷۷۰٬۰۰۰ ریال" in text
    assert "عوارض نوسازی" in text
    assert "س… ا…" in text
    assert "سارا" not in text


def test_a_payment_with_money_owed_back_shows_the_refund_due(bill: Bill) -> None:
    started = payment_start(bill=bill, provider="sandbox", callback_url="http://testserver/cb/")
    twice = payment_start(bill=bill, provider="sandbox", callback_url="http://testserver/cb/")
    paid = GatewayResult(
        status="paid", amount=6_770_000, reference="123456789012", card_mask="", message="", raw={}
    )
    payment_settle(payment_id=started.payment.pk, result=paid)
    second = payment_settle(payment_id=twice.payment.pk, result=paid)
    payload = json.loads(receipt_issue(payment=second).payload)
    assert payload["applied"] == 0
    assert payload["refund_due"] == 6_770_000
    assert payload["items"] == []
