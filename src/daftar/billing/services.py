"""Writes of bills: issue, amend, cancel, carry arrears, apply rebates and penalties.

Every function is one transaction that leaves the bill, its audit trail and the ledger in step:
the bill's total always equals the sum of its live items, and the receivable account always equals
what open bills still owe. Payments and refunds are in ``payments.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, User
from daftar.cases.models import Case
from daftar.catalog.models import Channel
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.core.money import check_rials
from daftar.core.text import normalize_persian
from daftar.offices.models import City, Office

from .ledger import Posting, ledger_post, office_revenue_account, receivable_account, revenue_account
from .lines import ItemSpec
from .models import (
    PAYABLE_STATUSES,
    Bill,
    BillEvent,
    BillEventKind,
    BillItem,
    BillKind,
    BillStatus,
    FiscalPolicy,
    ItemLine,
    TransactionKind,
)
from .numbers import bill_number_new

BP = 10_000  # basis points in a whole
REBATE_FEE_TYPE = "rebate"
PENALTY_FEE_TYPE = "penalty"


def _check_item(spec: ItemSpec) -> None:
    check_rials(spec.amount)
    if spec.line not in ItemLine.values:
        raise InvalidValue("bill.item_line", _("Unknown bill line."))
    if (spec.line == ItemLine.REBATE) != (spec.amount < 0):
        raise InvalidValue("bill.item_sign", _("Only a rebate is negative; every other line is positive."))
    if spec.line == ItemLine.ARREARS and spec.carried_from is None:
        # Arrears move an older bill's receivable; one written by hand would be owed but never booked.
        raise InvalidValue("bill.arrears_by_hand", _("Arrears come only from carrying an older bill."))
    if spec.line == ItemLine.OFFICE_TARIFF and spec.office is None:
        raise InvalidValue("bill.tariff_office", _("An office tariff line needs its office."))


def reason_clean(text: str) -> str:
    reason = normalize_persian(text or "", multiline=True)
    if not reason:
        raise InvalidValue(
            "bill.reason_required",
            _("A reason is required."),
            fields={"reason": [_("This field is required.")]},
        )
    return reason


def _item_account_postings(city: City, items: Iterable[BillItem | ItemSpec], sign: int) -> list[Posting]:
    """Revenue side of items (credits when ``sign`` is 1) and the receivable they add (debit).

    Arrears lines are not revenue again: they move an older bill's receivable into this bill.
    """
    postings: list[Posting] = []
    receivable = 0
    for item in items:
        if item.line == ItemLine.ARREARS or not item.amount:
            continue
        if item.line == ItemLine.OFFICE_TARIFF:
            assert item.office is not None
            account = office_revenue_account(item.office)
        else:
            account = revenue_account(city, item.fee_type)
        postings.append((account, -sign * item.amount))
        receivable += sign * item.amount
    if receivable:
        postings.append((receivable_account(city), receivable))
    return postings


def bill_event_add(
    *, bill: Bill, kind: str, actor: User | None, reason: str = "", payload: dict[str, Any] | None = None
) -> BillEvent:
    return BillEvent.objects.create(bill=bill, kind=kind, actor=actor, reason=reason, payload=payload or {})


def _status_of(bill: Bill) -> str:
    if bill.paid >= bill.total:
        return BillStatus.PAID
    return BillStatus.PARTLY_PAID if bill.paid else BillStatus.OPEN


def _insert_bill(bill: Bill, attempts: int = 8) -> Bill | None:
    """Insert with a fresh bill ID; None when another transaction inserted the same source first."""
    for _attempt in range(attempts):
        bill.number = bill_number_new()
        try:
            with transaction.atomic():
                bill.save(force_insert=True)
            return bill
        except IntegrityError:
            bill.pk = None
            if bill.source_key and Bill.objects.filter(source_key=bill.source_key).exists():
                return None
    raise Conflict("bill.number_exhausted", _("Could not allocate a bill ID; try again."))


def bill_create(
    *,
    city: City,
    kind: str,
    title: str,
    fiscal_year: int,
    due_date: date,
    items: Sequence[ItemSpec],
    payer: Person | None = None,
    payer_national_code: str = "",
    payer_name: str = "",
    case_id: int | None = None,
    office: Office | None = None,
    subject_kind: str = "",
    subject_key: str = "",
    allow_partial: bool = False,
    source_key: str | None = None,
    carry: Sequence[Bill] = (),
    actor: User | None = None,
    source_is_new: bool = False,
) -> Bill:
    """Issue a bill with its items, audit event and ledger posting, in one transaction.

    Idempotent by ``source_key``: issuing the same thing twice returns the first bill. Bills in
    ``carry`` that still owe something are closed as carried and their outstanding becomes arrears
    lines of the new bill. ``source_is_new``: the source was created by the caller's transaction
    (a case being filed), so no bill can carry its key yet and the look-up is skipped (the unique
    index still guards).
    """
    if kind not in BillKind.values:
        raise InvalidValue("bill.kind", _("Unknown bill kind."))
    for spec in items:
        _check_item(spec)
    if (
        source_key
        and not source_is_new
        and (existing := Bill.objects.filter(source_key=source_key).first()) is not None
    ):
        return existing
    # No savepoint: inside a caller's transaction (filing) any failure here fails the whole.
    with transaction.atomic(savepoint=False):
        specs = list(items) + _carry_lines(carry)
        total = sum(spec.amount for spec in specs)
        if total < 0:
            raise InvalidValue("bill.negative_total", _("A bill's total cannot be negative."))
        if payer is not None:
            payer_national_code = payer_national_code or payer.national_code
            payer_name = payer_name or payer.display_name
        bill = Bill(
            city=city,
            kind=kind,
            title=title[:200],
            fiscal_year=fiscal_year,
            due_date=due_date,
            payer=payer,
            payer_national_code=payer_national_code,
            payer_name=payer_name[:200],
            case_id=case_id,
            office=office,
            subject_kind=subject_kind,
            subject_key=subject_key,
            allow_partial=allow_partial,
            source_key=source_key,
            total=total,
        )
        bill.status = _status_of(bill)
        if bill.status == BillStatus.PAID:
            bill.paid_at = timezone.now()
        if _insert_bill(bill) is None:
            transaction.set_rollback(True)
            return Bill.objects.get(source_key=source_key)
        BillItem.objects.bulk_create(
            [spec.as_item(bill=bill, seq=seq) for seq, spec in enumerate(specs, start=1)]
        )
        for old in carry:
            if old.status == BillStatus.CARRIED:
                bill_event_add(
                    bill=old, kind=BillEventKind.AMENDED, actor=actor, payload={"carried_into": bill.number}
                )
        bill_event_add(
            bill=bill,
            kind=BillEventKind.CREATED,
            actor=actor,
            payload={"items": [s.as_payload() for s in specs]},
        )
        ledger_post(
            city=city,
            kind=TransactionKind.BILL_ISSUED,
            postings=_item_account_postings(city, specs, 1),
            memo=bill.number,
            bill_id=bill.pk,
        )
    return bill


def _carry_lines(carry: Sequence[Bill]) -> list[ItemSpec]:
    lines = []
    for old in carry:
        locked = Bill.objects.select_for_update().get(pk=old.pk)
        if locked.status not in PAYABLE_STATUSES or locked.outstanding <= 0:
            continue
        main = locked.items.filter(removed=False).exclude(line=ItemLine.REBATE).order_by("-amount").first()
        lines.append(
            ItemSpec(
                line=ItemLine.ARREARS,
                fee_type=main.fee_type if main else "arrears",
                title=f"بدهی قبض {locked.number} ({locked.title})",
                amount=locked.outstanding,
                fiscal_year=locked.fiscal_year,
                carried_from=locked,
            )
        )
        Bill.objects.filter(pk=locked.pk).update(
            status=BillStatus.CARRIED, version=F("version") + 1, updated_at=timezone.now()
        )
        old.status = BillStatus.CARRIED
    return lines


def _locked(bill: Bill) -> Bill:
    return Bill.objects.select_for_update(of=("self",)).select_related("city").get(pk=bill.pk)


def bill_amend(
    *,
    bill: Bill,
    reason: str,
    actor: User | None,
    add: Sequence[ItemSpec] = (),
    remove: Sequence[int] = (),
) -> Bill:
    """Add lines to a bill or take unpaid lines off it, with a reason and an audit event."""
    text = reason_clean(reason)
    for spec in add:
        _check_item(spec)
    with transaction.atomic():
        fresh = _locked(bill)
        if fresh.status not in PAYABLE_STATUSES:
            raise Conflict("bill.not_amendable", _("Only an unpaid or partly paid bill can be amended."))
        removing = list(fresh.items.filter(seq__in=remove, removed=False))
        if len(removing) != len(set(remove)):
            raise InvalidValue("bill.item_unknown", _("The bill has no such line."))
        if any(item.paid for item in removing):
            raise Conflict("bill.item_paid", _("A line that has been paid cannot be taken off."))
        new_total = fresh.total + sum(s.amount for s in add) - sum(i.amount for i in removing)
        if new_total < fresh.paid or new_total < 0:
            raise Conflict("bill.below_paid", _("The amended total would be less than what has been paid."))
        last = fresh.items.order_by("-seq").values_list("seq", flat=True).first() or 0
        BillItem.objects.bulk_create(
            [spec.as_item(bill=fresh, seq=last + offset) for offset, spec in enumerate(add, start=1)]
        )
        BillItem.objects.filter(pk__in=[i.pk for i in removing]).update(removed=True)
        fresh.total = new_total
        fresh.status = _status_of(fresh)
        fresh.paid_at = timezone.now() if fresh.status == BillStatus.PAID else None
        fresh.version += 1
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["total", "status", "paid_at", "version", "updated_at"])
        bill_event_add(
            bill=fresh,
            kind=BillEventKind.AMENDED,
            actor=actor,
            reason=text,
            payload={"added": [s.as_payload() for s in add], "removed": [i.seq for i in removing]},
        )
        postings = _item_account_postings(fresh.city, add, 1) + _item_account_postings(
            fresh.city, removing, -1
        )
        ledger_post(
            city=fresh.city, kind=TransactionKind.BILL_AMENDED, postings=postings, memo=text, bill_id=fresh.pk
        )
        _uncarry(removing)
    return fresh


def _uncarry(items: Iterable[BillItem]) -> None:
    """Arrears lines taken off: their older bills owe again."""
    for item in items:
        if item.line == ItemLine.ARREARS and item.carried_from_id:
            old = Bill.objects.select_for_update().get(pk=item.carried_from_id)
            old.status = _status_of(old)
            old.version += 1
            old.save(update_fields=["status", "version"])


def bill_cancel(*, bill: Bill, reason: str, actor: User | None) -> Bill:
    """Cancel a bill nothing has been paid on (refund the payments first); arrears it carried owe again."""
    text = reason_clean(reason)
    with transaction.atomic():
        fresh = _locked(bill)
        if fresh.status not in PAYABLE_STATUSES:
            raise Conflict("bill.not_cancellable", _("Only an unpaid bill can be cancelled."))
        if fresh.paid:
            raise Conflict(
                "bill.has_payments", _("Payments have been made on this bill; refund them before cancelling.")
            )
        live = list(fresh.items.filter(removed=False))
        fresh.status = BillStatus.CANCELLED
        fresh.cancelled_at = timezone.now()
        fresh.version += 1
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["status", "cancelled_at", "version", "updated_at"])
        bill_event_add(bill=fresh, kind=BillEventKind.CANCELLED, actor=actor, reason=text)
        ledger_post(
            city=fresh.city,
            kind=TransactionKind.BILL_CANCELLED,
            postings=_item_account_postings(fresh.city, live, -1),
            memo=text,
            bill_id=fresh.pk,
        )
        _uncarry(live)
    return fresh


# --- rebates and penalties -----------------------------------------------------------------------


def bill_adjustments_quote(*, bill: Bill, on: date, full_payment: bool) -> list[ItemSpec]:
    """The early-payment rebate or late-payment penalty a payment made ``on`` this day brings.

    Only annual charges carry them, by their city's fiscal policy for the bill's year. The rebate
    is for paying the whole bill by the early date with nothing paid before; the penalty grows by
    whole months (of 30 days) after the due date up to the cap, on what is still owed of the
    municipality's fees (never on the office's tariff), less the penalty already charged.
    """
    if bill.kind != BillKind.ANNUAL or bill.status not in PAYABLE_STATUSES:
        return []
    policy = FiscalPolicy.objects.filter(city_id=bill.city_id, fiscal_year=bill.fiscal_year).first()
    if policy is None:
        return []
    items = list(bill.items.filter(removed=False))
    base = sum(
        i.amount - i.paid
        for i in items
        if i.line in (ItemLine.MUNICIPAL_FEE, ItemLine.ARREARS) and i.amount > i.paid
    )
    if base <= 0:
        return []
    if (
        full_payment
        and not bill.paid
        and policy.early_payment_until
        and on <= policy.early_payment_until
        and policy.early_payment_rebate_bp
        and not any(i.line == ItemLine.REBATE for i in items)
    ):
        rebate = base * policy.early_payment_rebate_bp // BP
        if rebate:
            return [
                ItemSpec(
                    line=ItemLine.REBATE,
                    fee_type=REBATE_FEE_TYPE,
                    title="تخفیف پرداخت زودهنگام",
                    amount=-rebate,
                    fiscal_year=bill.fiscal_year,
                )
            ]
    if on > bill.due_date and policy.late_penalty_monthly_bp:
        months = ((on - bill.due_date).days + 29) // 30
        rate = min(months * policy.late_penalty_monthly_bp, policy.late_penalty_cap_bp or months * BP)
        charged = sum(i.amount for i in items if i.line == ItemLine.PENALTY)
        penalty = base * rate // BP - charged
        if penalty > 0:
            return [
                ItemSpec(
                    line=ItemLine.PENALTY,
                    fee_type=PENALTY_FEE_TYPE,
                    title=f"جریمه دیرکرد ({months} ماه)",
                    amount=penalty,
                    fiscal_year=bill.fiscal_year,
                )
            ]
    return []


def bill_adjustments_apply(*, bill: Bill, specs: Sequence[ItemSpec], payment_id: int) -> list[BillItem]:
    """Put a quoted rebate or penalty on a locked bill as the payment that earned it succeeds."""
    if not specs:
        return []
    last = bill.items.order_by("-seq").values_list("seq", flat=True).first() or 0
    created = BillItem.objects.bulk_create(
        [spec.as_item(bill=bill, seq=last + offset) for offset, spec in enumerate(specs, start=1)]
    )
    bill.total += sum(s.amount for s in specs)
    bill_event_add(
        bill=bill,
        kind=BillEventKind.ADJUSTED,
        actor=None,
        payload={"payment": payment_id, "items": [s.as_payload() for s in specs]},
    )
    ledger_post(
        city=bill.city,
        kind=TransactionKind.ADJUSTMENT,
        postings=_item_account_postings(bill.city, specs, 1),
        memo=bill.number,
        bill_id=bill.pk,
        payment_id=payment_id,
    )
    return created


# --- a case's bill -------------------------------------------------------------------------------

CASE_BILL_DUE_DAYS = 30


def bill_for_case_create(*, case: Case, actor: User | None, case_is_new: bool = False) -> Bill | None:
    """Quote the case's fees by the rules in force on the day it is filed and issue its bill.

    Runs inside the filing's transaction, so a case never exists without the bill its fees call
    for; a case whose fees come to nothing gets no bill. ``case_is_new``: filed by the current
    transaction (no bill can exist for it yet).
    """
    from .selectors import fees_quote, fiscal_policy_of

    on = local_today()
    version = case.service_version
    quote = fees_quote(
        city=case.city,
        service_code=version.service_type.code,
        fee_rules=list(version.fees),
        data=case.data,
        links=case.links,
        zone=case.zone.number if case.zone is not None else None,
        office=case.office if case.channel == Channel.OFFICE else None,
        on=on,
    )
    if not quote.lines and not quote.carry:
        return None
    policy = fiscal_policy_of(city_id=case.city_id, fiscal_year=fiscal_year_of(on))
    return bill_create(
        city=case.city,
        kind=BillKind.CASE,
        title=version.name_fa,
        fiscal_year=fiscal_year_of(on),
        due_date=on + timedelta(days=CASE_BILL_DUE_DAYS),
        items=quote.lines,
        carry=quote.carry,
        payer=case.applicant,
        case_id=case.pk,
        office=case.office,
        subject_kind=next(iter(case.links), ""),
        subject_key=next(iter(case.links.values()), ""),
        source_key=f"case:{case.pk}",
        allow_partial=bool(policy and policy.allows_part_payment(version.service_type.code)),
        actor=actor,
        source_is_new=case_is_new,
    )
