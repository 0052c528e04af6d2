"""What happens at the sandbox bank: a payment is registered, then debited, cancelled or timed out
exactly once, and verified (idempotently) by the merchant."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from daftar.core.text import to_latin_digits

from .models import SandboxPayment, SandboxState

AUTHORITY_PREFIX = "SBX"
CARD_DIGITS = 16
REFERENCE_DIGITS = 12
# The amount the «debit a different amount» scenario adds, in rials.
MISMATCH_EXTRA = 1_000


class SandboxRefused(Exception):
    """The bank will not do this (the payment is finished already, or the card number is malformed)."""


def authority_new() -> str:
    return AUTHORITY_PREFIX + secrets.token_hex(16).upper()  # 35 letters and digits


def reference_new() -> str:
    first = str(1 + secrets.randbelow(9))
    return first + "".join(str(secrets.randbelow(10)) for _ in range(REFERENCE_DIGITS - 1))


def card_number_clean(text: str) -> str | None:
    """Sixteen digits (Persian or Latin, spaces and dashes allowed), or None."""
    digits = to_latin_digits(text or "").replace(" ", "").replace("-", "")
    return digits if len(digits) == CARD_DIGITS and digits.isascii() and digits.isdigit() else None


def card_masked(card: str) -> str:
    """``6037991234561234`` → ``6037-99**-****-1234``, as Iranian banks print a card."""
    return f"{card[:4]}-{card[4:6]}**-****-{card[-4:]}"


def sandbox_payment_create(
    *, amount: int, order_id: str, callback_url: str, description: str, mobile: str = ""
) -> SandboxPayment:
    return SandboxPayment.objects.create(
        authority=authority_new(),
        order_id=order_id[:40],
        amount=amount,
        callback_url=callback_url[:500],
        description=description[:255],
        mobile=mobile[:20],
    )


def _finish(authority: str, state: str, **changes: object) -> SandboxPayment:
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(authority=authority)
        if payment.state != SandboxState.CREATED:
            raise SandboxRefused(f"payment {authority} is already {payment.state}")
        payment.state = state
        payment.finished_at = timezone.now()
        for name, value in changes.items():
            setattr(payment, name, value)
        payment.save()
    return payment


def sandbox_payment_debit(*, authority: str, card_number: str, extra: int = 0) -> SandboxPayment:
    """Charge the card: the amount asked for, plus ``extra`` rials (the mismatch scenario)."""
    card = card_number_clean(card_number)
    if card is None:
        raise SandboxRefused("the card number must be 16 digits")
    payment = SandboxPayment.objects.get(authority=authority)
    return _finish(
        authority,
        SandboxState.DEBITED,
        debited_amount=payment.amount + extra,
        reference=reference_new(),
        card_mask=card_masked(card),
    )


def sandbox_payment_cancel(*, authority: str) -> SandboxPayment:
    return _finish(authority, SandboxState.CANCELLED)


def sandbox_payment_time_out(*, authority: str) -> SandboxPayment:
    return _finish(authority, SandboxState.TIMED_OUT)


def sandbox_payment_verify(*, authority: str) -> tuple[SandboxPayment | None, bool]:
    """Mark a debited payment verified; returns it and whether it had been verified before."""
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(authority=authority).first()
        if payment is None or payment.state != SandboxState.DEBITED:
            return payment, False
        before = payment.verified
        if not before:
            payment.verified = True
            payment.save(update_fields=["verified"])
    return payment, before


def sandbox_payment_by_authority(*, authority: str) -> SandboxPayment | None:
    return SandboxPayment.objects.filter(authority=authority).first()
