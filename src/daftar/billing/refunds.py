"""Writes that give money back or undo it: reversing a payment booked in error, refunds owed and
paid back, and finance's decision on a payment held for an amount mismatch.

Each is its own document and its own balanced ledger transaction; nothing already booked is edited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.money import check_rials, split_amount
from daftar.core.text import to_latin_digits

from .ledger import (
    Posting,
    clearing_account,
    ledger_post,
    office_cash_account,
    office_revenue_account,
    receivable_account,
    refunds_payable_account,
    revenue_account,
)
from .models import (
    Bill,
    BillEventKind,
    BillItem,
    BillStatus,
    ItemLine,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    RefundStatus,
    TransactionKind,
)
from .numbers import refund_number_new
from .payments import COUNTER
from .services import bill_amend, bill_event_add, reason_clean
from .tariffs import COUNTER_COLLECTION


def _asset_of(payment: Payment) -> Any:
    if payment.provider == COUNTER:
        assert payment.office is not None
        return office_cash_account(payment.office)
    return clearing_account(payment.bill.city, payment.provider)


def payment_reverse(*, payment: Payment, reason: str, actor: User) -> Payment:
    """Undo a payment booked in error (a counter entry on the wrong bill, a gateway reversal).

    Its allocations are undone by negative allocations, the bill owes again, and the ledger gets
    the mirror of the payment's posting. Refunds already issued on it must be settled first.
    """
    text = reason_clean(reason)
    with transaction.atomic():
        fresh = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("bill__city", "office")
            .get(pk=payment.pk)
        )
        if fresh.status != PaymentStatus.SUCCEEDED:
            raise Conflict("payment.not_reversible", _("Only a successful payment can be reversed."))
        if fresh.refunds.exists():
            raise Conflict("payment.has_refunds", _("This payment has refunds; it cannot be reversed."))
        bill = Bill.objects.select_for_update().get(pk=fresh.bill_id)
        if bill.status in (BillStatus.CARRIED, BillStatus.CANCELLED):
            # Reopening it would demand the same debt twice (it lives on in the newer bill).
            raise Conflict(
                "payment.bill_closed",
                _("This bill has moved into a newer bill or been cancelled; refund the payment instead."),
            )
        allocations = list(fresh.allocations.select_related("item"))
        booked = sum(a.amount for a in allocations)
        PaymentAllocation.objects.bulk_create(
            [PaymentAllocation(payment=fresh, item=a.item, amount=-a.amount) for a in allocations]
        )
        for allocation in allocations:
            BillItem.objects.filter(pk=allocation.item_id).update(
                paid=allocation.item.paid - allocation.amount
            )
        rebates = [a.item for a in allocations if a.item.line == ItemLine.REBATE]
        for rebate in rebates:  # the rebate was for paying early and in full; that payment is gone
            BillItem.objects.filter(pk=rebate.pk).update(removed=True)
        bill.total -= sum(r.amount for r in rebates)
        bill.paid -= booked
        bill.status = BillStatus.PARTLY_PAID if bill.paid else BillStatus.OPEN
        bill.paid_at = None
        bill.version += 1
        bill.save(update_fields=["total", "paid", "status", "paid_at", "version"])
        fresh.status = PaymentStatus.REVERSED
        fresh.message = text[:300]
        fresh.save(update_fields=["status", "message"])
        bill_event_add(
            bill=bill,
            kind=BillEventKind.REVERSED,
            actor=actor,
            reason=text,
            payload={"payment": fresh.order_id},
        )
        receivable = receivable_account(bill.city)
        postings: list[Posting] = [
            (_asset_of(fresh), -fresh.amount),
            (receivable, booked - sum(r.amount for r in rebates)),
        ]
        postings += [(revenue_account(bill.city, r.fee_type), r.amount) for r in rebates]
        ledger_post(
            city=bill.city,
            kind=TransactionKind.REVERSAL,
            postings=postings,
            memo=text,
            bill_id=bill.pk,
            payment_id=fresh.pk,
        )
        # The counter tariff this collection brought is not earned once the collection is undone.
        brought = list(
            bill.items.filter(
                line=ItemLine.OFFICE_TARIFF,
                rule_code=COUNTER_COLLECTION,
                office=fresh.office,
                removed=False,
                paid=0,
            ).values_list("seq", flat=True)
        )
        if brought and fresh.provider == COUNTER:
            bill_amend(bill=bill, reason=text, actor=actor, remove=brought)
    return fresh


def refund_issue(*, payment: Payment, amount: int, reason: str, actor: User) -> Refund:
    """Owe money back to a payer: its own document; the revenue it came from is reduced."""
    text = reason_clean(reason)
    check_rials(amount)
    with transaction.atomic():
        fresh = (
            Payment.objects.select_for_update(of=("self", "bill"))
            .select_related("bill__city")
            .get(pk=payment.pk)
        )
        if fresh.status != PaymentStatus.SUCCEEDED:
            raise Conflict("refund.payment_not_paid", _("Only a successful payment can be refunded."))
        refundable = sum(a.amount for a in fresh.allocations.all()) - sum(
            r.amount for r in fresh.refunds.filter(duplicate=False)
        )
        if amount <= 0 or amount > refundable:
            raise InvalidValue(
                "refund.amount_range",
                _("The refund must be more than zero and at most what the payment paid on the bill."),
                fields={
                    "amount": [_("The refund must be more than zero and at most what the payment paid.")]
                },
            )
        bill = Bill.objects.select_for_update().get(pk=fresh.bill_id)
        refund = Refund.objects.create(
            number=refund_number_new(), payment=fresh, amount=amount, reason=text, created_by=actor
        )
        positive = [a for a in fresh.allocations.select_related("item__office") if a.amount > 0]
        shares = split_amount(amount, [a.amount for a in positive])
        postings: list[Posting] = []
        for allocation, share in zip(positive, shares, strict=True):
            item = allocation.item
            if item.line == ItemLine.OFFICE_TARIFF and item.office is not None:
                postings.append((office_revenue_account(item.office), share))
            else:
                postings.append((revenue_account(bill.city, item.fee_type), share))
        postings.append((refunds_payable_account(bill.city), -amount))
        bill.refunded += amount
        bill.save(update_fields=["refunded"])
        bill_event_add(
            bill=bill,
            kind=BillEventKind.REFUNDED,
            actor=actor,
            reason=text,
            payload={"refund": refund.number, "amount": amount, "payment": fresh.order_id},
        )
        ledger_post(
            city=bill.city,
            kind=TransactionKind.REFUND,
            postings=postings,
            memo=text,
            bill_id=bill.pk,
            payment_id=fresh.pk,
            refund_id=refund.pk,
        )
    return refund


def refund_pay(*, refund: Refund, reference: str, actor: User) -> Refund:
    """The money was transferred back to the payer: the refund is closed and leaves the books."""
    with transaction.atomic():
        fresh = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment__bill__city", "payment__office")
            .get(pk=refund.pk)
        )
        if fresh.status != RefundStatus.PAYABLE:
            raise Conflict("refund.already_paid", _("This refund has already been paid."))
        text = to_latin_digits(reference or "").strip()
        if not text:
            raise InvalidValue(
                "refund.reference_required",
                _("Enter the transfer's reference."),
                fields={"reference": [_("This field is required.")]},
            )
        fresh.status = RefundStatus.PAID
        fresh.reference = text[:64]
        fresh.paid_at = timezone.now()
        fresh.save(update_fields=["status", "reference", "paid_at"])
        city = fresh.payment.bill.city
        ledger_post(
            city=city,
            kind=TransactionKind.REFUND_PAID,
            postings=[
                (refunds_payable_account(city), fresh.amount),
                (_asset_of(fresh.payment), -fresh.amount),
            ],
            memo=fresh.number,
            bill_id=fresh.payment.bill_id,
            payment_id=fresh.payment_id,
            refund_id=fresh.pk,
        )
    return fresh


def payment_flag_refund(*, payment: Payment, reason: str, actor: User) -> Refund:
    """Finance decides a payment held for an amount mismatch: the money the gateway took goes back."""
    text = reason_clean(reason)
    with transaction.atomic():
        fresh = (
            Payment.objects.select_for_update(of=("self", "bill"))
            .select_related("bill__city")
            .get(pk=payment.pk)
        )
        if fresh.status != PaymentStatus.FLAGGED:
            raise Conflict("payment.not_flagged", _("This payment is not held for review."))
        received = fresh.received_amount or fresh.amount
        fresh.status = PaymentStatus.SUCCEEDED  # money did arrive; none of it pays the bill
        fresh.amount = received
        fresh.save(update_fields=["status", "amount"])
        city = fresh.bill.city
        refund = Refund.objects.create(
            number=refund_number_new(),
            payment=fresh,
            amount=received,
            reason=text,
            duplicate=True,
            created_by=actor,
        )
        ledger_post(
            city=city,
            kind=TransactionKind.PAYMENT,
            postings=[
                (clearing_account(city, fresh.provider), received),
                (refunds_payable_account(city), -received),
            ],
            memo=fresh.order_id,
            bill_id=fresh.bill_id,
            payment_id=fresh.pk,
            refund_id=refund.pk,
        )
    return refund
