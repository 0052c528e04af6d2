"""The sandbox bank's adapter keeps the gateway contract: start, callback, verify, inquire."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from daftar.billing.gateways import GatewayError, gateway_for
from daftar.simulators.bank.gateway import SandboxGateway
from daftar.simulators.bank.models import SandboxPayment, SandboxState
from daftar.simulators.bank.services import (
    sandbox_payment_cancel,
    sandbox_payment_debit,
    sandbox_payment_time_out,
)

pytestmark = pytest.mark.django_db
CARD = "6037991234561234"
AMOUNT = 6_770_000


@pytest.fixture
def gateway() -> SandboxGateway:
    found = gateway_for("sandbox")
    assert isinstance(found, SandboxGateway)
    return found


def _start(gateway: SandboxGateway, amount: int = AMOUNT) -> str:
    started = gateway.start(
        amount=amount,
        order_id="4821937465019283",
        callback_url="http://testserver/pay/callback/sandbox/",
        description="عوارض سالانه نوسازی ۱۴۰۵",
        mobile="09121234567",
    )
    return started.authority


def test_start_registers_the_payment_and_sends_the_payer_to_the_bank_page(gateway: SandboxGateway) -> None:
    started = gateway.start(
        amount=AMOUNT,
        order_id="4821937465019283",
        callback_url="http://testserver/pay/callback/sandbox/",
        description="عوارض سالانه نوسازی ۱۴۰۵",
    )
    payment = SandboxPayment.objects.get(authority=started.authority)
    assert payment.amount == AMOUNT
    assert payment.order_id == "4821937465019283"
    assert payment.state == SandboxState.CREATED
    assert started.redirect_url == f"/sandbox-bank/pay/{started.authority}/"
    assert started.raw["state"] == "created"


def test_start_refuses_amounts_that_are_not_int_rials(gateway: SandboxGateway) -> None:
    with pytest.raises(TypeError):
        _start(gateway, amount=6_770_000.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        _start(gateway, amount=0)
    assert not SandboxPayment.objects.exists()


def test_the_callback_carries_the_authority_and_only_claims_success(gateway: SandboxGateway) -> None:
    assert gateway.callback_authority({"authority": "SBXABC123", "status": "OK"}) == "SBXABC123"
    assert gateway.callback_claims_success({"authority": "SBXABC123", "status": "OK"})
    assert not gateway.callback_claims_success({"authority": "SBXABC123", "status": "NOK"})
    for bad in ({}, {"authority": ""}, {"authority": "../../etc"}, {"authority": "x" * 65}):
        with pytest.raises(GatewayError):
            gateway.callback_authority(bad)


def test_verify_while_the_payer_is_at_the_bank_is_pending(gateway: SandboxGateway) -> None:
    result = gateway.verify(authority=_start(gateway), amount=AMOUNT)
    assert result.status == "pending"
    assert result.amount is None


def test_verify_of_a_debited_payment_is_paid_and_stays_paid(gateway: SandboxGateway) -> None:
    authority = _start(gateway)
    debited = sandbox_payment_debit(authority=authority, card_number=CARD)
    first = gateway.verify(authority=authority, amount=AMOUNT)
    assert first.status == "paid"
    assert first.amount == AMOUNT
    assert first.reference == debited.reference
    assert len(first.reference) == 12
    assert first.reference.isdigit()
    assert first.card_mask == "6037-99**-****-1234"
    assert first.message == "verified"
    again = gateway.verify(authority=authority, amount=AMOUNT)
    assert again.status == "paid"
    assert again.message == "already verified"
    assert again.reference == first.reference
    assert SandboxPayment.objects.get(authority=authority).verified


def test_verify_reports_what_was_debited_not_what_was_asked(gateway: SandboxGateway) -> None:
    authority = _start(gateway)
    sandbox_payment_debit(authority=authority, card_number=CARD, extra=1_000)
    assert gateway.verify(authority=authority, amount=AMOUNT).amount == AMOUNT + 1_000


def test_cancelled_timed_out_and_unknown_payments_verify_as_failed(gateway: SandboxGateway) -> None:
    cancelled = _start(gateway)
    sandbox_payment_cancel(authority=cancelled)
    timed_out = _start(gateway)
    sandbox_payment_time_out(authority=timed_out)
    assert gateway.verify(authority=cancelled, amount=AMOUNT).status == "failed"
    assert gateway.verify(authority=timed_out, amount=AMOUNT).status == "failed"
    assert gateway.verify(authority="SBXNOSUCHPAYMENT", amount=AMOUNT).status == "failed"


def test_inquire_reports_without_settling(gateway: SandboxGateway) -> None:
    authority = _start(gateway)
    assert gateway.inquire(authority=authority, amount=AMOUNT).status == "pending"
    sandbox_payment_debit(authority=authority, card_number=CARD)
    unverified = gateway.inquire(authority=authority, amount=AMOUNT)
    assert unverified.status == "pending"  # paid but not verified: "verify it"
    assert unverified.amount == AMOUNT
    assert not SandboxPayment.objects.get(authority=authority).verified
    gateway.verify(authority=authority, amount=AMOUNT)
    assert gateway.inquire(authority=authority, amount=AMOUNT).status == "paid"
    cancelled = _start(gateway)
    sandbox_payment_cancel(authority=cancelled)
    assert gateway.inquire(authority=cancelled, amount=AMOUNT).status == "failed"


def test_a_payment_is_debited_cancelled_or_timed_out_only_once(gateway: SandboxGateway) -> None:
    from daftar.simulators.bank.services import SandboxRefused

    authority = _start(gateway)
    sandbox_payment_debit(authority=authority, card_number=CARD)
    with pytest.raises(SandboxRefused):
        sandbox_payment_debit(authority=authority, card_number=CARD)
    with pytest.raises(SandboxRefused):
        sandbox_payment_cancel(authority=authority)
    assert SandboxPayment.objects.get(authority=authority).debited_amount == AMOUNT


def test_the_sandbox_gateway_refuses_to_run_where_the_sandbox_bank_is_off(settings: Any) -> None:
    settings.DAFTAR_SANDBOX_BANK = False
    with pytest.raises(ImproperlyConfigured):
        gateway_for("sandbox")
