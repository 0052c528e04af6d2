"""Zarinpal, REST API v4 (https://www.zarinpal.com/docs/paymentGateway/).

* request: ``POST https://payment.zarinpal.com/pg/v4/payment/request.json`` with ``merchant_id``,
  ``amount``, ``currency`` (we always send ``"IRR"``, so amounts are rials; Zarinpal also accepts
  ``"IRT"``, tomans), ``callback_url``, ``description`` and ``metadata`` (``mobile``, ``order_id``).
  Success is ``data.code == 100`` with ``data.authority``; the payer goes to
  ``https://payment.zarinpal.com/pg/StartPay/{authority}``.
* callback: the browser comes back to ``callback_url?Authority=…&Status=OK|NOK``.
* verify: ``POST …/pg/v4/payment/verify.json`` with ``merchant_id``, ``amount``, ``authority``.
  ``data.code`` 100 is verified now, 101 verified before (both paid), with ``ref_id`` and
  ``card_pan``. Zarinpal checks the amount itself (-50 when it differs) and does not echo it.
* inquiry: ``POST …/pg/v4/payment/inquiry.json`` with ``merchant_id``, ``authority``; ``data.status``
  is VERIFIED, PAID (paid, not verified), IN_BANK (payer at the bank), FAILED or REVERSED.
* refusals: ``{"data": [], "errors": {"code": <negative>, "message": …, "validations": …}}``,
  usually with an HTTP 4xx status (``data`` is then an empty list, not an object).
* sandbox (config ``sandbox: "true"``): the same paths on ``sandbox.zarinpal.com``.

A payment Zarinpal holds but is never verified is returned to the payer by the bank, so a verify
that reports the payment failed (-50, -51, -54) cannot leave a payer charged without a receipt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .base import (
    GatewayError,
    GatewayRefused,
    GatewayResult,
    GatewayStart,
    GatewayStatus,
    PaymentGateway,
    check_rials,
    config_flag,
    gateway_classes,
    unpaid,
)

PRODUCTION_HOST = "payment.zarinpal.com"
SANDBOX_HOST = "sandbox.zarinpal.com"
CURRENCY = "IRR"

VERIFIED = 100
VERIFIED_BEFORE = 101
# Verify codes that say the payment did not happen, so it never will under this authority:
# -50 amount differs from the payment's, -51 not paid (cancelled or failed at the bank),
# -54 unknown authority. Any other error is about our request (merchant, validation, rate) and
# leaves the payment pending.
VERIFY_FAILED = frozenset({-50, -51, -54})
INQUIRY_STATUSES: dict[str, tuple[GatewayStatus, str]] = {
    "VERIFIED": ("paid", "verified"),
    "PAID": ("pending", "paid, not verified yet: verify it"),
    "IN_BANK": ("pending", "the payer is at the bank"),
    "FAILED": ("failed", "not paid"),
    "REVERSED": ("failed", "reversed"),
}
AUTHORITY = re.compile(r"[A-Za-z0-9]{1,64}")


def _outcome(body: dict[str, Any]) -> tuple[int, str]:
    """The code and message of a Zarinpal answer, wherever it put them."""
    data = body.get("data")
    if isinstance(data, dict) and isinstance(data.get("code"), int):
        return data["code"], str(data.get("message") or "")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        errors = errors[0]
    if isinstance(errors, dict) and "code" in errors:
        try:
            code = int(errors["code"])
        except (TypeError, ValueError):
            raise GatewayError(f"zarinpal: unreadable error code {errors['code']!r}") from None
        return code, str(errors.get("message") or "")
    raise GatewayError("zarinpal: the answer has neither data.code nor errors.code")


def _message(code: int, message: str) -> str:
    return f"{code} {message}".strip()


@gateway_classes.register("zarinpal")
class ZarinpalGateway(PaymentGateway):
    """Config: ``merchant_id`` (the 36-character merchant code), ``sandbox`` (``"true"`` to use
    Zarinpal's sandbox, where any well-formed merchant code works)."""

    code = "zarinpal"

    def configure(self) -> None:
        self.merchant_id = self.required_config("merchant_id")
        self.host = SANDBOX_HOST if config_flag(self.config.get("sandbox", "")) else PRODUCTION_HOST

    def url(self, method: str) -> str:
        return f"https://{self.host}/pg/v4/payment/{method}.json"

    def start(
        self, *, amount: int, order_id: str, callback_url: str, description: str, mobile: str = ""
    ) -> GatewayStart:
        metadata = {"order_id": order_id}
        if mobile:
            metadata["mobile"] = mobile
        payload = {
            "merchant_id": self.merchant_id,
            "amount": check_rials(amount),
            "currency": CURRENCY,
            "callback_url": callback_url,
            "description": description,
            "metadata": metadata,
        }
        _, body = self.post_json(self.url("request"), payload)
        code, message = _outcome(body)
        if code != VERIFIED:
            raise GatewayRefused(
                f"zarinpal refused the payment: {_message(code, message)}", code=code, raw=body
            )
        authority = str(body["data"].get("authority") or "")
        if not AUTHORITY.fullmatch(authority):
            raise GatewayError(f"zarinpal: code 100 without a usable authority ({authority!r})")
        return GatewayStart(
            authority=authority, redirect_url=f"https://{self.host}/pg/StartPay/{authority}", raw=body
        )

    def callback_authority(self, params: Mapping[str, str]) -> str:
        authority = (params.get("Authority") or params.get("authority") or "").strip()
        if not AUTHORITY.fullmatch(authority):
            raise GatewayError("zarinpal callback without a valid Authority")
        return authority

    def callback_claims_success(self, params: Mapping[str, str]) -> bool:
        return (params.get("Status") or params.get("status") or "").strip().upper() == "OK"

    def verify(self, *, authority: str, amount: int) -> GatewayResult:
        payload = {"merchant_id": self.merchant_id, "amount": check_rials(amount), "authority": authority}
        _, body = self.post_json(self.url("verify"), payload)
        code, message = _outcome(body)
        if code in (VERIFIED, VERIFIED_BEFORE):
            data = body["data"]
            ref_id = data.get("ref_id")
            if ref_id in (None, ""):
                raise GatewayError(f"zarinpal: verify code {code} without ref_id")
            return GatewayResult(
                status="paid",
                # Zarinpal verified this amount (it answers -50 to any other) and does not echo it.
                amount=amount,
                reference=str(ref_id),
                card_mask=str(data.get("card_pan") or ""),
                message=_message(code, message),
                raw=body,
            )
        if code in VERIFY_FAILED:
            return unpaid("failed", _message(code, message), body)
        raise GatewayRefused(f"zarinpal refused to verify: {_message(code, message)}", code=code, raw=body)

    def inquire(self, *, authority: str, amount: int) -> GatewayResult:
        check_rials(amount)  # Zarinpal's inquiry takes no amount; ours is still checked.
        _, body = self.post_json(
            self.url("inquiry"), {"merchant_id": self.merchant_id, "authority": authority}
        )
        code, message = _outcome(body)
        if code == -54:
            return unpaid("failed", _message(code, message), body)
        if code != VERIFIED:
            raise GatewayRefused(
                f"zarinpal refused the inquiry: {_message(code, message)}", code=code, raw=body
            )
        data = body["data"]
        state = str(data.get("status") or "")
        status, meaning = INQUIRY_STATUSES.get(state, ("pending", "unknown status, left pending"))
        reported = data.get("amount")
        return GatewayResult(
            status=status,
            amount=reported if isinstance(reported, int) and not isinstance(reported, bool) else None,
            reference=str(data.get("ref_id") or ""),
            card_mask=str(data.get("card_pan") or ""),
            message=f"{state} ({meaning}); {_message(code, message)}",
            raw=body,
        )
