"""Writes of payments and refunds: start, callback, settle, counter collection, reconcile, reverse.

The rules that keep every rial: a payment is recorded once whatever happens to its callbacks (the
payment row is locked and only a pending payment can settle); the browser's word is never trusted
(every callback is verified server to server); an amount that differs from what we asked for is
held for review, not booked; money that arrives for a bill already paid is booked as owed back to
the payer, never as a second payment of the bill.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.core.errors import Conflict, Forbidden, InvalidValue, NotFound
from daftar.core.jalali import local_today
from daftar.core.money import check_rials, split_amount
from daftar.core.text import to_latin_digits
from daftar.offices.models import Office
from daftar.offices.selectors import offices_staff_of

from .gateways.base import GatewayError, GatewayResult, gateway_for
from .ledger import (
    Posting,
    clearing_account,
    ledger_post,
    office_cash_account,
    receivable_account,
    refunds_payable_account,
)
from .lines import ItemSpec
from .models import (
    PAYABLE_STATUSES,
    Bill,
    BillEventKind,
    BillItem,
    BillStatus,
    ItemLine,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    TransactionKind,
)
from .numbers import order_id_new, refund_number_new
from .selectors import counter_tariff_line
from .services import bill_adjustments_apply, bill_adjustments_quote, bill_amend, bill_event_add

logger = logging.getLogger(__name__)

COUNTER = "counter"
COLLECTING_ROLES = {Role.OFFICE_OPERATOR.value, Role.OFFICE_MANAGER.value}
# A pending online payment is asked about after this long, then less often (doubling), and
# given up as expired once the gateway still knows nothing of it after EXPIRE_AFTER.
FIRST_CHECK_AFTER = timedelta(minutes=10)
MAX_CHECK_INTERVAL = timedelta(hours=6)
EXPIRE_AFTER = timedelta(days=2)
# How long a payer may still be on the bank's pages: a "not paid" answer before this is not final.
PAYER_AT_BANK_FOR = timedelta(minutes=30)

# A payment marked failed or cancelled still becomes paid if the gateway later verifies it paid:
# a forged or early callback must not cost the payer a payment the bank did take.
REOPENABLE = (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.CANCELLED)

# Sent after commit when a bill becomes fully paid: bill=Bill.
bill_paid = Signal()


@dataclass(frozen=True)
class PaymentStarted:
    payment: Payment
    redirect_url: str


def _quote_payload(specs: list[ItemSpec]) -> list[dict[str, Any]]:
    return [s.as_payload() for s in specs]


def _specs_from(payload: list[dict[str, Any]]) -> list[ItemSpec]:
    return [ItemSpec(**entry) for entry in payload]


def payment_amount_due(*, bill: Bill, office: Office | None = None) -> int:
    """What paying the whole bill today costs, with today's rebate or penalty, and, paid at an
    office's counter, that office's counter tariff when the bill carries none of its own."""
    quote = bill_adjustments_quote(bill=bill, on=local_today(), full_payment=True)
    counter = counter_tariff_line(bill, office) if office is not None else None
    return bill.outstanding + sum(s.amount for s in quote) + (counter.amount if counter else 0)


def _check_payable(bill: Bill) -> None:
    if bill.status == BillStatus.PAID:
        raise Conflict("bill.already_paid", _("This bill has already been paid."))
    if bill.status == BillStatus.CANCELLED:
        raise Conflict("bill.cancelled", _("This bill has been cancelled."))
    if bill.status == BillStatus.CARRIED:
        raise Conflict("bill.carried", _("What this bill owed has moved to a newer bill; pay that one."))


def _amount_and_quote(bill: Bill, amount: int | None) -> tuple[int, list[ItemSpec]]:
    outstanding = bill.outstanding
    if amount is None or amount == outstanding:
        quote = bill_adjustments_quote(bill=bill, on=local_today(), full_payment=True)
        return outstanding + sum(s.amount for s in quote), quote
    check_rials(amount)
    if not bill.allow_partial:
        raise InvalidValue(
            "payment.partial_not_allowed",
            _("This bill must be paid in full."),
            fields={"amount": [_("This bill must be paid in full.")]},
        )
    if amount <= 0 or amount > outstanding:
        raise InvalidValue(
            "payment.amount_range",
            _("The amount must be more than zero and at most what the bill still owes."),
            fields={"amount": [_("The amount must be more than zero and at most what the bill still owes.")]},
        )
    return amount, []


def _pending_with_key(bill: Bill, key: str | None) -> Payment | None:
    return Payment.objects.filter(bill=bill, idempotency_key=key).first() if key else None


def payment_start(
    *,
    bill: Bill,
    provider: str,
    callback_url: str,
    return_url: str = "",
    actor: User | None = None,
    payer: Person | None = None,
    office: Office | None = None,
    amount: int | None = None,
    idempotency_key: str | None = None,
) -> PaymentStarted:
    """Start paying a bill online: record the pending payment, then ask the gateway for a token.

    The payment row is committed before the gateway is called, so a token the gateway hands out is
    never without its payment, and a crash between the two leaves a pending row for reconciliation.
    """
    if provider == COUNTER:
        raise InvalidValue("payment.provider", _("Counter payments are recorded by the office."))
    key = (idempotency_key or "").strip()[:100] or None
    if (existing := _pending_with_key(bill, key)) is not None:
        return PaymentStarted(existing, _redirect_of(existing))
    with transaction.atomic():
        fresh = Bill.objects.select_for_update().get(pk=bill.pk)
        _check_payable(fresh)
        total, quote = _amount_and_quote(fresh, amount)
        payment = Payment(
            bill=fresh,
            provider=provider,
            amount=total,
            order_id=order_id_new(),
            office=office,
            started_by=actor,
            payer=payer or fresh.payer,
            adjustments={"quoted_outstanding": fresh.outstanding, "items": _quote_payload(quote)},
            quoted_on=local_today(),
            return_url=return_url[:300],
            idempotency_key=key,
            next_check_at=timezone.now() + FIRST_CHECK_AFTER,
        )
        try:
            with transaction.atomic():
                payment.save(force_insert=True)
        except IntegrityError:
            winner = _pending_with_key(fresh, key)
            if winner is None:
                raise
            return PaymentStarted(winner, _redirect_of(winner))
    try:
        with gateway_for(provider) as gateway:
            started = gateway.start(
                amount=payment.amount,
                order_id=payment.order_id,
                callback_url=callback_url,
                description=bill.title,
                mobile=(payment.payer.mobile if payment.payer else "") or "",
            )
    except GatewayError as exc:
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.FAILED, message=str(exc)[:300], completed_at=timezone.now()
        )
        payment.refresh_from_db()
        raise Conflict(
            "payment.gateway_unavailable", _("The bank's gateway did not answer; please try again shortly.")
        ) from exc
    payment.authority = started.authority
    payment.gateway_log = [
        {
            "step": "start",
            "at": timezone.now().isoformat(),
            "redirect_url": started.redirect_url,
            "body": started.raw,
        }
    ]
    payment.save(update_fields=["authority", "gateway_log"])
    return PaymentStarted(payment, started.redirect_url)


def _redirect_of(payment: Payment) -> str:
    if payment.status != PaymentStatus.PENDING or not payment.authority:
        return ""
    for entry in payment.gateway_log:
        if entry.get("step") == "start" and entry.get("redirect_url"):
            return str(entry["redirect_url"])
    return ""


def payment_callback(*, provider: str, params: Mapping[str, str]) -> Payment:
    """The payer's browser came back from the gateway: verify server to server, then settle once."""
    with gateway_for(provider) as gateway:
        try:
            authority = gateway.callback_authority(params)
        except GatewayError as exc:
            raise InvalidValue("payment.callback_invalid", _("The bank's answer could not be read.")) from exc
        payment = (
            Payment.objects.filter(provider=provider, authority=authority).select_related("bill").first()
        )
        if payment is None:
            raise NotFound("payment.not_found", _("No such payment."))
        if payment.status not in REOPENABLE:
            return payment
        try:
            result = gateway.verify(authority=authority, amount=payment.amount)
        except GatewayError as exc:
            logger.warning("payment %s: verify failed, left for reconciliation: %s", payment.order_id, exc)
            return payment
        # Only the gateway's verified answer counts; the browser's claim only names a failure.
        claims_success = gateway.callback_claims_success(params)
    failed_status = PaymentStatus.FAILED if claims_success else PaymentStatus.CANCELLED
    return payment_settle(payment_id=payment.pk, result=result, failed_status=failed_status)


def payment_settle(
    *,
    payment_id: int,
    result: GatewayResult,
    actor: User | None = None,
    failed_status: str = PaymentStatus.FAILED,
) -> Payment:
    """Record the gateway's verified answer on a pending payment, exactly once.

    The payment row is locked first: of two callbacks racing, the second waits and then finds the
    payment no longer pending.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.PENDING and not (
            payment.status in REOPENABLE and result.status == "paid"
        ):
            return payment
        payment.gateway_log = [
            *payment.gateway_log,
            {"step": "verify", "at": timezone.now().isoformat(), "status": result.status, "body": result.raw},
        ]
        payment.message = result.message[:300]
        if result.status == "pending":
            payment.save(update_fields=["gateway_log", "message"])
            return payment
        payment.completed_at = timezone.now()
        if result.status == "failed":
            payment.status = failed_status
            payment.save(update_fields=["status", "gateway_log", "message", "completed_at"])
            return payment
        payment.reference = result.reference[:64]
        payment.card_mask = result.card_mask[:32]
        if result.amount is not None and result.amount != payment.amount:
            payment.status = PaymentStatus.FLAGGED
            payment.received_amount = result.amount
            payment.message = f"amount mismatch: asked {payment.amount}, gateway says {result.amount}"
            payment.save(
                update_fields=[
                    "status",
                    "gateway_log",
                    "message",
                    "completed_at",
                    "reference",
                    "card_mask",
                    "received_amount",
                ]
            )
            logger.error("payment %s flagged: %s", payment.order_id, payment.message)
            return payment
        payment.status = PaymentStatus.SUCCEEDED
        payment.save(
            update_fields=["status", "gateway_log", "message", "completed_at", "reference", "card_mask"]
        )
        _book_success(payment, asset=clearing_account(payment.bill.city, payment.provider), actor=actor)
    return payment


def _book_success(payment: Payment, *, asset: Any, actor: User | None) -> None:
    """Allocate a successful payment to the bill's items and post it; any excess is owed back."""
    bill = Bill.objects.select_for_update(of=("self",)).select_related("city").get(pk=payment.bill_id)
    quote = payment.adjustments or {}
    applied: list[BillItem] = []
    if bill.status in PAYABLE_STATUSES and quote.get("quoted_outstanding") == bill.outstanding:
        applied = bill_adjustments_apply(
            bill=bill, specs=_specs_from(quote.get("items", [])), payment_id=payment.pk
        )
    payable = bill.total - bill.paid if bill.status in PAYABLE_STATUSES else 0
    booked = min(payment.amount, payable)
    excess = payment.amount - booked
    postings: list[Posting] = [(asset, payment.amount)]
    if booked:
        _allocate(bill, payment, booked, applied)
        postings.append((receivable_account(bill.city), -booked))
        bill.paid += booked
        bill.status = BillStatus.PAID if bill.paid >= bill.total else BillStatus.PARTLY_PAID
        if bill.status == BillStatus.PAID:
            bill.paid_at = timezone.now()
        bill.version += 1
        bill.updated_at = timezone.now()
        bill.save(update_fields=["paid", "total", "status", "paid_at", "version", "updated_at"])
        bill_event_add(
            bill=bill,
            kind=BillEventKind.PAID,
            actor=actor,
            payload={"payment": payment.order_id, "amount": booked, "provider": payment.provider},
        )
    if excess:
        postings.append((refunds_payable_account(bill.city), -excess))
    ledger_post(
        city=bill.city,
        kind=TransactionKind.PAYMENT,
        postings=postings,
        memo=payment.order_id,
        bill_id=bill.pk,
        payment_id=payment.pk,
    )
    if excess:
        refund = Refund.objects.create(
            number=refund_number_new(),
            payment=payment,
            amount=excess,
            reason="پرداخت تکراری یا مازاد بر بدهی قبض",
            duplicate=True,
        )
        bill_event_add(
            bill=bill,
            kind=BillEventKind.REFUNDED,
            actor=None,
            payload={"refund": refund.number, "amount": excess},
        )
    if bill.status == BillStatus.PAID and booked:
        transaction.on_commit(lambda: bill_paid.send(sender=Bill, bill=bill))


def _allocate(bill: Bill, payment: Payment, amount: int, applied: list[BillItem]) -> None:
    """Spread ``amount`` over the bill's unpaid items; a rebate just applied is settled by it."""
    items = list(bill.items.filter(removed=False).order_by("seq"))
    rebates = [
        i for i in items if i.line == ItemLine.REBATE and i.paid == 0 and i.pk in {a.pk for a in applied}
    ]
    spread = amount - sum(r.amount for r in rebates)
    owing = [i for i in items if i.amount > 0 and i.amount > i.paid]
    weights = [i.amount - i.paid for i in owing]
    shares = weights if spread >= sum(weights) else split_amount(spread, weights)
    rows = [PaymentAllocation(payment=payment, item=r, amount=r.amount) for r in rebates]
    rows += [
        PaymentAllocation(payment=payment, item=i, amount=s) for i, s in zip(owing, shares, strict=True) if s
    ]
    PaymentAllocation.objects.bulk_create(rows)
    for row in rows:
        BillItem.objects.filter(pk=row.item.pk).update(paid=row.item.paid + row.amount)


# --- at the counter ------------------------------------------------------------------------------


def _terminal_reference(text: str) -> str:
    digits = "".join(ch for ch in to_latin_digits(text or "") if ch.isdigit())
    if not 6 <= len(digits) <= 20:
        raise InvalidValue(
            "payment.reference_invalid",
            _("Enter the card terminal's reference number (6 to 20 digits)."),
            fields={"reference": [_("Enter the card terminal's reference number (6 to 20 digits).")]},
        )
    return digits


def payment_collect_at_counter(
    *,
    bill: Bill,
    office: Office,
    actor: User,
    terminal_reference: str,
    amount: int | None = None,
) -> Payment:
    """Record a payment taken on the office's card terminal: it is final when the terminal approved it.

    A terminal reference is recorded once per office: entering the same slip twice is refused.
    """
    roles = {a.role for a in offices_staff_of(user=actor).filter(office=office)}
    if not roles & COLLECTING_ROLES:
        raise Forbidden("payment.not_office_staff", _("Only this office's staff may collect payments at it."))
    if not office.can_serve:
        raise Conflict("payment.office_inactive", _("This office's licence is not active."))
    reference = _terminal_reference(terminal_reference)
    if bill.city_id != office.city_id:
        raise NotFound("bill.not_found", _("No bill with this bill ID was found."))
    with transaction.atomic():
        fresh = Bill.objects.select_for_update().get(pk=bill.pk)
        _check_payable(fresh)
        if (
            Payment.objects.filter(provider=COUNTER, office=office, reference=reference)
            .exclude(status=PaymentStatus.REVERSED)
            .exists()
        ):
            raise Conflict(
                "payment.reference_used",
                _("This terminal reference has already been recorded at this office."),
                fields={
                    "reference": [_("This terminal reference has already been recorded at this office.")]
                },
            )
        fresh = _add_counter_tariff(fresh, office=office, actor=actor)
        total, quote = _amount_and_quote(fresh, amount)
        payment = Payment.objects.create(
            bill=fresh,
            provider=COUNTER,
            amount=total,
            order_id=order_id_new(),
            office=office,
            started_by=actor,
            payer=fresh.payer,
            adjustments={"quoted_outstanding": fresh.outstanding, "items": _quote_payload(quote)},
            quoted_on=local_today(),
            reference=reference,
            status=PaymentStatus.SUCCEEDED,
            completed_at=timezone.now(),
        )
        _book_success(payment, asset=office_cash_account(office), actor=actor)
    return payment


def _add_counter_tariff(bill: Bill, *, office: Office, actor: User) -> Bill:
    line = counter_tariff_line(bill, office)
    if line is None:
        return bill
    return bill_amend(bill=bill, reason=f"کارمزد دریافت در دفتر {office.name}", actor=actor, add=[line])


# --- reconciliation ------------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    checked: int = 0
    settled: int = 0
    failed: int = 0
    expired: int = 0
    unreachable: int = 0


def payments_reconcile(*, now: datetime | None = None, limit: int = 200) -> ReconcileReport:
    """Settle online payments left pending: the payer never came back, or our verify call failed.

    Each is verified again (verify is idempotent at the gateways, and a payment debited but never
    verified is reversed by the bank, so verifying is what keeps the payer's money). A "failed"
    answer is only believed once the payer has had time to finish at the bank; a payment the
    gateway still knows nothing of after EXPIRE_AFTER is given up as expired.
    """
    now = now or timezone.now()
    report = ReconcileReport()
    due = (
        Payment.objects.filter(status=PaymentStatus.PENDING, next_check_at__lte=now)
        .exclude(provider=COUNTER)
        .order_by("next_check_at")[:limit]
    )
    for payment in due:
        _reconcile_one(payment, now=now, report=report)
    return report


def _reconcile_one(payment: Payment, *, now: datetime, report: ReconcileReport) -> Payment:
    report.checked += 1
    age = now - payment.started_at
    if not payment.authority:  # the gateway never gave a token: nothing can have been paid
        result = GatewayResult(status="pending", amount=None, reference="", card_mask="", message="", raw={})
    else:
        try:
            with gateway_for(payment.provider) as gateway:
                result = gateway.verify(authority=payment.authority, amount=payment.amount)
        except GatewayError as exc:
            report.unreachable += 1
            _check_later(payment, now, str(exc))
            return payment
    if result.status == "paid" or (result.status == "failed" and age >= PAYER_AT_BANK_FOR):
        settled = payment_settle(payment_id=payment.pk, result=result)
        if settled.status == PaymentStatus.SUCCEEDED:
            report.settled += 1
        else:
            report.failed += 1
        return settled
    if age >= EXPIRE_AFTER:
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.EXPIRED, completed_at=now, message="no answer from the gateway"
        )
        report.expired += 1
    else:
        _check_later(payment, now, result.message)
    payment.refresh_from_db()
    return payment


def payment_recheck(*, payment: Payment) -> Payment:
    """The payer (or finance) asks the bank now about a payment still pending, instead of waiting
    for the periodic job; the same rules apply (a "not paid" answer is final only after a while)."""
    if payment.status != PaymentStatus.PENDING or payment.provider == COUNTER:
        return payment
    return _reconcile_one(payment, now=timezone.now(), report=ReconcileReport())


def _check_later(payment: Payment, now: datetime, message: str) -> None:
    attempts = payment.check_attempts + 1
    wait = min(FIRST_CHECK_AFTER * (2 ** min(attempts, 10)), MAX_CHECK_INTERVAL)
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
        check_attempts=attempts, next_check_at=now + wait, message=message[:300]
    )
