"""The sandbox bank's adapter: the same contract as the Zarinpal and Zibal adapters.

A real adapter makes one HTTP call per method; this one reads and writes the sandbox bank's own
table in the same process instead (there is no network between Daftar and its sandbox bank). What
it answers is what a real gateway would:

* ``start`` registers the payment and sends the payer to ``/sandbox-bank/pay/<authority>/``;
* the payer's browser comes back to the callback URL with ``authority`` and ``status=OK|NOK``;
* ``verify`` settles: a debited payment is ``paid`` (again ``paid``, "already verified", on every
  later verify) with the amount actually debited; a payment whose payer is still at the bank is
  ``pending``; a cancelled or timed-out one is ``failed``; an unknown authority is ``failed``;
* ``inquire`` reports without settling: a debit not verified yet is ``pending`` ("verify it"), as
  the base contract says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from daftar.billing.gateways.base import (
    GatewayError,
    GatewayResult,
    GatewayStart,
    PaymentGateway,
    check_rials,
    gateway_classes,
    unpaid,
)

from .models import SandboxPayment, SandboxState
from .services import sandbox_payment_by_authority, sandbox_payment_create, sandbox_payment_verify

AUTHORITY = re.compile(r"[A-Za-z0-9]{1,64}")
FAILED_STATES = {
    SandboxState.CANCELLED: "cancelled by the payer",
    SandboxState.TIMED_OUT: "the bank's session timed out",
}


def _raw(payment: SandboxPayment | None, **extra: Any) -> dict[str, Any]:
    if payment is None:
        return {"state": "unknown", **extra}
    return {
        "authority": payment.authority,
        "state": payment.state,
        "amount": payment.amount,
        "debited_amount": payment.debited_amount,
        "verified": payment.verified,
        "reference": payment.reference,
        "card_mask": payment.card_mask,
        **extra,
    }


def _paid(payment: SandboxPayment, message: str) -> GatewayResult:
    assert payment.debited_amount is not None
    return GatewayResult(
        status="paid",
        amount=payment.debited_amount,
        reference=payment.reference,
        card_mask=payment.card_mask,
        message=message,
        raw=_raw(payment),
    )


def _not_paid(payment: SandboxPayment | None) -> GatewayResult:
    if payment is None:
        return unpaid("failed", "unknown authority", _raw(None))
    if payment.state == SandboxState.CREATED:
        return unpaid("pending", "the payer is at the bank", _raw(payment))
    return unpaid("failed", FAILED_STATES.get(SandboxState(payment.state), payment.state), _raw(payment))


@gateway_classes.register("sandbox")
class SandboxGateway(PaymentGateway):
    """No config keys. Refuses to exist unless ``settings.DAFTAR_SANDBOX_BANK`` is on, so a
    production site that lists "sandbox" by mistake cannot take fake payments."""

    code = "sandbox"

    def configure(self) -> None:
        if not getattr(settings, "DAFTAR_SANDBOX_BANK", False):
            raise ImproperlyConfigured(
                "the sandbox bank is off (DAFTAR_SANDBOX_BANK); it cannot take payments"
            )

    def start(
        self, *, amount: int, order_id: str, callback_url: str, description: str, mobile: str = ""
    ) -> GatewayStart:
        payment = sandbox_payment_create(
            amount=check_rials(amount),
            order_id=order_id,
            callback_url=callback_url,
            description=description,
            mobile=mobile,
        )
        redirect_url = reverse("sandbox_bank:pay", args=[payment.authority])
        return GatewayStart(
            authority=payment.authority,
            redirect_url=redirect_url,
            raw=_raw(payment, redirect_url=redirect_url),
        )

    def callback_authority(self, params: Mapping[str, str]) -> str:
        authority = (params.get("authority") or "").strip()
        if not AUTHORITY.fullmatch(authority):
            raise GatewayError("sandbox callback without a valid authority")
        return authority

    def callback_claims_success(self, params: Mapping[str, str]) -> bool:
        return (params.get("status") or "").strip().upper() == "OK"

    def verify(self, *, authority: str, amount: int) -> GatewayResult:
        check_rials(amount)
        payment, before = sandbox_payment_verify(authority=authority)
        if payment is not None and payment.state == SandboxState.DEBITED:
            return _paid(payment, "already verified" if before else "verified")
        return _not_paid(payment)

    def inquire(self, *, authority: str, amount: int) -> GatewayResult:
        check_rials(amount)
        payment = sandbox_payment_by_authority(authority=authority)
        if payment is not None and payment.state == SandboxState.DEBITED:
            if payment.verified:
                return _paid(payment, "verified")
            assert payment.debited_amount is not None
            return GatewayResult(
                status="pending",
                amount=payment.debited_amount,
                reference=payment.reference,
                card_mask=payment.card_mask,
                message="paid, not verified yet: verify it",
                raw=_raw(payment),
            )
        return _not_paid(payment)
