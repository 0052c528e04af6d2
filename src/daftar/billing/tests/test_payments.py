"""Payments: settled once, never trusted from the browser, split into municipal fee and office tariff,
reversed and refunded as their own balanced transactions."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daftar.billing.gateways.base import GatewayResult
from daftar.billing.ledger import (
    clearing_account,
    office_cash_account,
    office_revenue_account,
    receivable_account,
    refunds_payable_account,
    revenue_account,
)
from daftar.billing.models import (
    Bill,
    BillStatus,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from daftar.billing.numbers import order_id_new
from daftar.billing.payments import payment_collect_at_counter, payment_settle
from daftar.billing.refunds import payment_flag_refund, payment_reverse, refund_issue, refund_pay
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import local_today

from .conftest import RENEWAL, TARIFF, WASTE, assert_books_balance

pytestmark = pytest.mark.django_db


def balance(account: Any) -> int:
    return LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


def pending(bill: Bill, amount: int | None = None, provider: str = "zibal") -> Payment:
    """A payment as payment_start leaves it once the gateway has handed out its token."""
    return Payment.objects.create(
        bill=bill,
        provider=provider,
        amount=amount if amount is not None else bill.outstanding,
        order_id=order_id_new(),
        authority=order_id_new(),
        quoted_on=local_today(),
        adjustments={"quoted_outstanding": bill.outstanding, "items": []},
    )


def paid(amount: int | None) -> GatewayResult:
    return GatewayResult(
        status="paid",
        amount=amount,
        reference="730155448293",
        card_mask="603799******1234",
        message="",
        raw={},
    )


FAILED = GatewayResult(status="failed", amount=None, reference="", card_mask="", message="-51", raw={})


def test_a_verified_payment_pays_the_bill_and_books_gateway_clearing(make_bill: Any, city: Any) -> None:
    bill = make_bill(tariff=True)
    payment = payment_settle(payment_id=pending(bill).pk, result=paid(bill.total))
    bill.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.reference == "730155448293"
    assert bill.status == BillStatus.PAID
    assert bill.paid == bill.total
    assert balance(clearing_account(city, "zibal")) == bill.total
    assert balance(receivable_account(city)) == 0
    tariff_share = PaymentAllocation.objects.get(payment=payment, item__line="office_tariff").amount
    assert tariff_share == TARIFF
    assert_books_balance(city)


def test_settling_the_same_payment_ten_times_records_it_once(make_bill: Any, city: Any) -> None:
    bill = make_bill()
    payment = pending(bill)
    for _ in range(10):
        payment_settle(payment_id=payment.pk, result=paid(bill.total))
    bill.refresh_from_db()
    assert bill.paid == bill.total
    assert PaymentAllocation.objects.filter(payment=payment).count() == 2
    assert balance(clearing_account(city, "zibal")) == bill.total
    assert_books_balance(city)


def test_an_amount_other_than_asked_is_held_for_review_not_booked(
    make_bill: Any, city: Any, finance_user: Any
) -> None:
    bill = make_bill()
    payment = payment_settle(payment_id=pending(bill).pk, result=paid(bill.total - 10_000))
    bill.refresh_from_db()
    assert payment.status == PaymentStatus.FLAGGED
    assert "mismatch" in payment.message
    assert bill.paid == 0
    assert not LedgerEntry.objects.filter(transaction__payment=payment).exists()
    refund = payment_flag_refund(payment=payment, reason="مبلغ برداشت‌شده با قبض نمی‌خواند", actor=finance_user)
    assert refund.amount == bill.total - 10_000
    assert refund.duplicate
    assert balance(refunds_payable_account(city)) == -(bill.total - 10_000)
    assert_books_balance(city)


def test_a_failed_payment_can_still_become_paid_when_the_gateway_later_verifies_it(
    make_bill: Any, city: Any
) -> None:
    bill = make_bill()
    payment = pending(bill)
    assert payment_settle(payment_id=payment.pk, result=FAILED).status == PaymentStatus.FAILED
    assert payment_settle(payment_id=payment.pk, result=paid(None)).status == PaymentStatus.SUCCEEDED
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert_books_balance(city)


def test_a_second_payment_of_a_paid_bill_is_owed_back_not_paid_twice(make_bill: Any, city: Any) -> None:
    bill = make_bill()
    first, second = pending(bill), pending(bill)
    payment_settle(payment_id=first.pk, result=paid(bill.total))
    payment_settle(payment_id=second.pk, result=paid(bill.total))
    bill.refresh_from_db()
    assert bill.paid == bill.total
    refund = Refund.objects.get(payment=second)
    assert refund.amount == bill.total
    assert refund.duplicate
    assert refund.status == RefundStatus.PAYABLE
    assert not PaymentAllocation.objects.filter(payment=second).exists()
    assert balance(refunds_payable_account(city)) == -bill.total
    assert_books_balance(city)


def test_counter_collection_is_final_and_a_terminal_reference_is_recorded_once(
    make_bill: Any, city: Any, office: Any, operator_user: Any
) -> None:
    bill = make_bill()
    payment = payment_collect_at_counter(
        bill=bill, office=office, actor=operator_user, terminal_reference="۴۵۶۷۸۹۰۱"
    )
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.reference == "45678901"
    assert balance(office_cash_account(office)) == bill.total
    other = make_bill(renewal_code="3-999-1-1")
    with pytest.raises(Conflict) as raised:
        payment_collect_at_counter(
            bill=other, office=office, actor=operator_user, terminal_reference="45678901"
        )
    assert raised.value.code == "payment.reference_used"
    other.refresh_from_db()
    assert other.paid == 0
    assert_books_balance(city)


def test_only_the_office_own_staff_collect_at_its_counter(
    make_bill: Any, office: Any, reviewer_user: Any
) -> None:
    with pytest.raises(Forbidden):
        payment_collect_at_counter(
            bill=make_bill(), office=office, actor=reviewer_user, terminal_reference="1234567"
        )


def test_part_payment_only_where_the_bill_allows_it_and_never_beyond_what_is_owed(
    make_bill: Any, city: Any, office: Any, operator_user: Any
) -> None:
    whole = make_bill()
    with pytest.raises(InvalidValue) as raised:
        payment_collect_at_counter(
            bill=whole, office=office, actor=operator_user, terminal_reference="111111", amount=1000
        )
    assert raised.value.code == "payment.partial_not_allowed"
    part = make_bill(allow_partial=True, renewal_code="3-2-2-2")
    with pytest.raises(InvalidValue):
        payment_collect_at_counter(
            bill=part, office=office, actor=operator_user, terminal_reference="222222", amount=part.total + 1
        )
    payment_collect_at_counter(
        bill=part, office=office, actor=operator_user, terminal_reference="333333", amount=1_000_000
    )
    part.refresh_from_db()
    assert (part.status, part.paid) == (BillStatus.PARTLY_PAID, 1_000_000)
    payment_collect_at_counter(bill=part, office=office, actor=operator_user, terminal_reference="444444")
    part.refresh_from_db()
    assert part.status == BillStatus.PAID
    assert_books_balance(city)


def test_reversing_a_counter_entry_makes_the_bill_owe_again(
    make_bill: Any, city: Any, office: Any, operator_user: Any
) -> None:
    bill = make_bill()
    payment = payment_collect_at_counter(
        bill=bill, office=office, actor=operator_user, terminal_reference="555555"
    )
    reversed_ = payment_reverse(
        payment=payment, reason="رسید کارت‌خوان مربوط به قبض دیگری بود", actor=operator_user
    )
    bill.refresh_from_db()
    assert reversed_.status == PaymentStatus.REVERSED
    assert (bill.status, bill.paid) == (BillStatus.OPEN, 0)
    assert balance(office_cash_account(office)) == 0
    assert balance(receivable_account(city)) == bill.total
    # the slip can now be entered on the right bill
    right = make_bill(renewal_code="3-7-7-7")
    payment_collect_at_counter(bill=right, office=office, actor=operator_user, terminal_reference="555555")
    assert_books_balance(city)


def test_a_refund_reduces_revenue_in_proportion_and_leaves_the_books_when_paid_back(
    make_bill: Any, city: Any, office: Any, finance_user: Any
) -> None:
    bill = make_bill(tariff=True)
    payment = payment_settle(payment_id=pending(bill).pk, result=paid(bill.total))
    total = RENEWAL + WASTE + TARIFF
    refund = refund_issue(
        payment=payment, amount=total, reason="پرونده پیش از بررسی مختومه شد", actor=finance_user
    )
    assert balance(revenue_account(city, "renewal")) == 0
    assert balance(office_revenue_account(office)) == 0
    assert balance(refunds_payable_account(city)) == -total
    with pytest.raises(InvalidValue):
        refund_issue(payment=payment, amount=1, reason="دوباره", actor=finance_user)
    refund_pay(refund=refund, reference="IR-TRANSFER-88213", actor=finance_user)
    assert balance(refunds_payable_account(city)) == 0
    assert balance(clearing_account(city, "zibal")) == 0
    with pytest.raises(Conflict):
        refund_pay(refund=refund, reference="again", actor=finance_user)
    assert_books_balance(city)


# --- property-based: whatever the order, the books balance and no bill is paid twice ------------

operation = st.one_of(
    st.tuples(st.just("settle_paid"), st.integers(0, 3)),
    st.tuples(st.just("settle_failed"), st.integers(0, 3)),
    st.tuples(st.just("settle_wrong_amount"), st.integers(0, 3)),
    st.tuples(st.just("counter"), st.integers(0, 1), st.integers(1, 5_000_000)),
    st.tuples(st.just("reverse"), st.integers(0, 5)),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 3_000_000)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_any_order_of_callbacks_and_counter_work_keeps_the_ledger_balanced(
    operations: list[tuple[Any, ...]],
    make_bill: Any,
    city: Any,
    office: Any,
    operator_user: Any,
    finance_user: Any,
) -> None:
    from django.db import transaction

    with transaction.atomic():
        bills = [make_bill(tariff=True), make_bill(allow_partial=True, renewal_code="3-5-5-5")]
        online = [pending(bills[0]), pending(bills[0]), pending(bills[1], amount=700_000), pending(bills[1])]
        references = iter(range(100_000, 200_000))
        for op in operations:
            _apply(op, bills, online, office, operator_user, finance_user, references)
        assert_books_balance(city)
        for bill in bills:
            bill.refresh_from_db()
            assert bill.paid <= bill.total
            assert bill.status != BillStatus.PAID or bill.paid == bill.total
        transaction.set_rollback(True)


def _apply(
    op: tuple[Any, ...],
    bills: list[Bill],
    online: list[Payment],
    office: Any,
    operator: Any,
    finance: Any,
    refs: Any,
) -> None:
    kind = op[0]
    try:
        if kind == "settle_paid":
            payment = online[op[1]]
            payment_settle(payment_id=payment.pk, result=paid(payment.amount))
        elif kind == "settle_failed":
            payment_settle(payment_id=online[op[1]].pk, result=FAILED)
        elif kind == "settle_wrong_amount":
            payment_settle(payment_id=online[op[1]].pk, result=paid(online[op[1]].amount + 1000))
        elif kind == "counter":
            bill = Bill.objects.get(pk=bills[op[1]].pk)
            amount = op[2] if bill.allow_partial else None
            payment_collect_at_counter(
                bill=bill, office=office, actor=operator, terminal_reference=str(next(refs)), amount=amount
            )
        else:
            done = list(Payment.objects.filter(status=PaymentStatus.SUCCEEDED).order_by("pk"))
            if not done:
                return
            payment = done[op[1] % len(done)]
            if kind == "reverse":
                payment_reverse(payment=payment, reason="ثبت اشتباه", actor=finance)
            else:
                refund_issue(payment=payment, amount=op[2], reason="استرداد", actor=finance)
    except (Conflict, InvalidValue):
        pass  # refused operations must leave nothing behind; the invariants check that
    _ = timezone.now()


def test_collecting_someone_elses_bill_at_the_counter_earns_the_office_its_counter_tariff(
    make_bill: Any, city: Any, office: Any, operator_user: Any
) -> None:
    from daftar.billing.models import BillEvent, OfficeTariff
    from daftar.core.jalali import fiscal_year_bounds, fiscal_year_of

    year = fiscal_year_of(local_today())
    start, end = fiscal_year_bounds(year)
    OfficeTariff.objects.create(
        city=city,
        fiscal_year=year,
        service_code="billing.counter_collection",
        amount=150_000,
        effective_from=start,
        effective_to=end,
    )
    bill = make_bill()
    payment = payment_collect_at_counter(
        bill=bill, office=office, actor=operator_user, terminal_reference="9090909"
    )
    bill.refresh_from_db()
    assert payment.amount == RENEWAL + WASTE + 150_000
    assert bill.items.get(line="office_tariff").office == office
    assert BillEvent.objects.filter(bill=bill, kind="amended").exists()
    assert balance(office_revenue_account(office)) == -150_000
    # a case filed at this office already carries its tariff: nothing more is added
    own = make_bill(tariff=True, renewal_code="3-4-4-4")
    second = payment_collect_at_counter(
        bill=own, office=office, actor=operator_user, terminal_reference="9191919"
    )
    assert second.amount == RENEWAL + WASTE + TARIFF
    assert_books_balance(city)
