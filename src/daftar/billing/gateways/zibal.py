"""Zibal (https://help.zibal.ir/IPG/API/), amounts in rials.

* request: ``POST https://gateway.zibal.ir/v1/request`` with ``merchant``, ``amount``,
  ``callbackUrl``, ``description``, ``orderId`` and optionally ``mobile``; ``result == 100`` with
  ``trackId`` (a number); the payer goes to ``https://gateway.zibal.ir/start/{trackId}``.
* callback: ``callbackUrl?success=1|0&trackId=…&orderId=…&status=…``.
* verify: ``POST /v1/verify`` with ``merchant``, ``trackId`` (no amount: Zibal verifies whatever was
  paid and reports it in ``amount``). ``result`` 100 verified now, 201 verified before (both paid),
  202 not paid or unsuccessful, 203 unknown trackId; ``refNumber``, ``cardNumber``, ``paidAt``.
* inquiry: ``POST /v1/inquiry`` with ``merchant``, ``trackId``; ``status`` is the payment's state:
  -1 awaiting payment, -2 internal error, 1 paid and verified, 2 paid not verified, 3 cancelled by
  the payer, 4–12 refused by the bank (card, balance, PIN, limits…), 15 refunded, 16 refund in
  progress, 18 reversed, 21 invalid merchant.
* refusals come with HTTP 200 and a ``result`` other than 100: 102 merchant not found,
  103 merchant inactive, 104 merchant invalid, 105 amount below 1,000 rials, 106 bad callbackUrl…

Because verify takes no amount, a payment of a different amount is verified and settled at Zibal
all the same; the caller compares ``GatewayResult.amount`` with the bill.
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
    gateway_classes,
    unpaid,
)

BASE_URL = "https://gateway.zibal.ir"
SUCCESS = 100
VERIFIED_BEFORE = 201
NOT_PAID = 202
UNKNOWN_TRACK_ID = 203
PAID_STATUSES = frozenset({1, 2})
INQUIRY_STATUSES: dict[int, tuple[GatewayStatus, str]] = {
    -1: ("pending", "awaiting payment"),
    -2: ("pending", "internal error at Zibal"),
    1: ("paid", "paid and verified"),
    2: ("pending", "paid, not verified yet: verify it"),
    3: ("failed", "cancelled by the payer"),
    4: ("failed", "invalid card number"),
    5: ("failed", "insufficient balance"),
    6: ("failed", "wrong PIN"),
    7: ("failed", "too many requests"),
    8: ("failed", "daily number of internet payments exceeded"),
    9: ("failed", "daily amount of internet payments exceeded"),
    10: ("failed", "invalid card issuer"),
    11: ("failed", "switch error"),
    12: ("failed", "card not reachable"),
    15: ("failed", "refunded"),
    16: ("failed", "being refunded"),
    18: ("failed", "reversed"),
    21: ("failed", "invalid merchant"),
}
TRACK_ID = re.compile(r"[0-9]{1,30}")


def _result(body: dict[str, Any]) -> tuple[int, str]:
    result = body.get("result")
    if isinstance(result, bool) or not isinstance(result, int):
        raise GatewayError(f"zibal: the answer has no numeric result ({result!r})")
    return result, str(body.get("message") or "")


def _message(result: int, message: str) -> str:
    return f"{result} {message}".strip()


def _rials(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str:
    return "" if value is None else str(value)


@gateway_classes.register("zibal")
class ZibalGateway(PaymentGateway):
    """Config: ``merchant`` (the merchant key; ``"zibal"`` is Zibal's test merchant, whose
    payments are simulated)."""

    code = "zibal"

    def configure(self) -> None:
        self.merchant = self.required_config("merchant")

    def track_id(self, authority: str) -> int:
        if not TRACK_ID.fullmatch(authority):
            raise ValueError(f"a Zibal trackId is a number, not {authority!r}")
        return int(authority)

    def start(
        self, *, amount: int, order_id: str, callback_url: str, description: str, mobile: str = ""
    ) -> GatewayStart:
        payload: dict[str, Any] = {
            "merchant": self.merchant,
            "amount": check_rials(amount),
            "callbackUrl": callback_url,
            "description": description,
            "orderId": order_id,
        }
        if mobile:
            payload["mobile"] = mobile
        _, body = self.post_json(f"{BASE_URL}/v1/request", payload)
        result, message = _result(body)
        if result != SUCCESS:
            raise GatewayRefused(
                f"zibal refused the payment: {_message(result, message)}", code=result, raw=body
            )
        track_id = _text(body.get("trackId"))
        if not TRACK_ID.fullmatch(track_id):
            raise GatewayError(f"zibal: result 100 without a usable trackId ({track_id!r})")
        return GatewayStart(authority=track_id, redirect_url=f"{BASE_URL}/start/{track_id}", raw=body)

    def callback_authority(self, params: Mapping[str, str]) -> str:
        track_id = (params.get("trackId") or "").strip()
        if not TRACK_ID.fullmatch(track_id):
            raise GatewayError("zibal callback without a valid trackId")
        return track_id

    def callback_claims_success(self, params: Mapping[str, str]) -> bool:
        return (params.get("success") or "").strip() == "1"

    def verify(self, *, authority: str, amount: int) -> GatewayResult:
        check_rials(amount)  # Zibal's verify takes no amount; ours is still checked.
        payload = {"merchant": self.merchant, "trackId": self.track_id(authority)}
        _, body = self.post_json(f"{BASE_URL}/v1/verify", payload)
        result, message = _result(body)
        if result in (SUCCESS, VERIFIED_BEFORE):
            return GatewayResult(
                status="paid",
                # What Zibal says was paid; a repeated verify (201) may not say it.
                amount=_rials(body.get("amount")),
                reference=_text(body.get("refNumber")),
                card_mask=_text(body.get("cardNumber")),
                message=_message(result, message),
                raw=body,
            )
        if result in (NOT_PAID, UNKNOWN_TRACK_ID):
            return unpaid("failed", _message(result, message), body)
        raise GatewayRefused(f"zibal refused to verify: {_message(result, message)}", code=result, raw=body)

    def inquire(self, *, authority: str, amount: int) -> GatewayResult:
        check_rials(amount)  # Zibal's inquiry takes no amount; ours is still checked.
        payload = {"merchant": self.merchant, "trackId": self.track_id(authority)}
        _, body = self.post_json(f"{BASE_URL}/v1/inquiry", payload)
        result, message = _result(body)
        if result == UNKNOWN_TRACK_ID:
            return unpaid("failed", _message(result, message), body)
        if result != SUCCESS:
            raise GatewayRefused(
                f"zibal refused the inquiry: {_message(result, message)}", code=result, raw=body
            )
        state = body.get("status")
        if isinstance(state, bool) or not isinstance(state, int):
            raise GatewayError(f"zibal: inquiry without a numeric status ({state!r})")
        status, meaning = INQUIRY_STATUSES.get(state, ("pending", "unknown status, left pending"))
        paid = state in PAID_STATUSES
        return GatewayResult(
            status=status,
            amount=_rials(body.get("amount")) if paid else None,
            reference=_text(body.get("refNumber")) if paid else "",
            card_mask=_text(body.get("cardNumber")) if paid else "",
            message=f"status {state} ({meaning}); {_message(result, message)}",
            raw=body,
        )
