"""The ledger audit: every identity between the ledger and the bills, payments and refunds holds after
every kind of money movement, and a tampered ledger is caught by name."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from daftar.billing.audit import ledger_audit
from daftar.billing.ledger import receivable_account
from daftar.billing.lines import ItemSpec
from daftar.billing.models import (
    Bill,
    BillStatus,
    FiscalPolicy,
    ItemLine,
    LedgerEntry,
    LedgerTransaction,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from daftar.billing.payments import payment_amount_due, payment_collect_at_counter
from daftar.billing.refunds import payment_flag_refund, payment_reverse, refund_issue, refund_pay
from daftar.billing.services import bill_amend, bill_cancel
from daftar.core.errors import DomainError
from daftar.core.jalali import local_today
from daftar.offices.models import City, Office

from .builders import bill_issue, online_pay, online_return, online_start

pytestmark = pytest.mark.django_db
TARIFF = 300_000


def counter(bill: Bill, office: Office, actor: Any, reference: str, amount: int | None = None) -> Any:
    return payment_collect_at_counter(
        bill=bill, office=office, actor=actor, terminal_reference=reference, amount=amount
    )


def fresh(bill: Bill) -> Bill:
    return Bill.objects.get(pk=bill.pk)


def check(city: City) -> None:
    report = ledger_audit(city=city)
    assert report.problems == []


@pytest.fixture
def books(city: City, office: Office, operator_user: Any) -> dict[str, Any]:
    """A city's books after every kind of movement, each followed by the audit."""
    today = local_today()
    FiscalPolicy.objects.create(
        city=city,
        fiscal_year=1405,
        annual_due_date=today + timedelta(days=30),
        early_payment_until=today + timedelta(days=10),
        early_payment_rebate_bp=1_000,
    )
    FiscalPolicy.objects.create(
        city=city,
        fiscal_year=1404,
        annual_due_date=today - timedelta(days=65),
        late_penalty_monthly_bp=200,
        late_penalty_cap_bp=2_000,
    )
    made: dict[str, Any] = {}
    # paid in full online
    made["online"] = online_pay(bill_issue(city, fee=2_000_000, tariff=TARIFF, office=office))
    check(city)
    # part at the counter, the rest online
    partial = bill_issue(city, fee=5_000_000, tariff=TARIFF, office=office, allow_partial=True)
    counter(partial, office, operator_user, "500001", amount=2_000_000)
    online_pay(fresh(partial))
    assert fresh(partial).status == BillStatus.PAID
    check(city)
    # paid twice: two online payments started, both come back paid; the second is owed back
    twice = bill_issue(city, fee=1_800_000)
    first, second = online_start(twice), online_start(twice)
    online_return(first)
    online_return(second)
    duplicate = Refund.objects.get(payment=second)
    assert duplicate.duplicate
    assert duplicate.amount == 1_800_000
    check(city)
    refund_pay(refund=duplicate, reference="TR-7781", actor=operator_user)
    check(city)
    # a refund of part of a payment, then paid back
    refunded = online_pay(bill_issue(city, fee=3_000_000, tariff=TARIFF, office=office))
    refund = refund_issue(
        payment=refunded, amount=500_000, reason="کسر عوارض پس از بازبینی", actor=operator_user
    )
    check(city)
    refund_pay(refund=refund, reference="TR-7782", actor=operator_user)
    check(city)
    # a counter payment on the wrong bill, reversed
    wrong = counter(
        bill_issue(city, fee=1_200_000, tariff=TARIFF, office=office), office, operator_user, "500002"
    )
    payment_reverse(payment=wrong, reason="ثبت روی قبض اشتباه", actor=operator_user)
    check(city)
    # cancelled, and amended (a line added, a line taken off) then paid in part
    bill_cancel(bill=bill_issue(city, fee=900_000), reason="صدور اشتباه", actor=operator_user)
    amended = bill_issue(city, fee=2_500_000, tariff=TARIFF, office=office, allow_partial=True)
    bill_amend(
        bill=amended,
        reason="افزودن عوارض پسماند و حذف کارمزد",
        actor=operator_user,
        add=[
            ItemSpec(line="municipal_fee", fee_type="waste", title="پسماند", amount=400_000, fiscal_year=1405)
        ],
        remove=[2],
    )
    counter(fresh(amended), office, operator_user, "500003", amount=1_000_000)
    check(city)
    # an annual charge paid early with a rebate, the payment then reversed (the rebate goes with it)
    early = bill_issue(city, fee=4_000_000, kind="annual")
    assert payment_amount_due(bill=early) == 3_600_000
    made["rebate"] = online_pay(early)
    check(city)
    payment_reverse(payment=made["rebate"], reason="برگشت از سوی بانک", actor=operator_user)
    assert fresh(early).total == 4_000_000
    assert fresh(early).status == BillStatus.OPEN
    check(city)
    # an annual charge paid late, with a penalty, at the counter
    late = bill_issue(
        city, fee=2_000_000, kind="annual", due_date=today - timedelta(days=65), fiscal_year=1404
    )
    counter(late, office, operator_user, "500004")
    assert fresh(late).total == 2_120_000
    check(city)
    # the gateway reports another amount: held, then refunded by finance
    flagged = online_pay(bill_issue(city, fee=1_500_000), received=1_400_000)
    assert flagged.status == PaymentStatus.FLAGGED
    check(city)
    payment_flag_refund(payment=flagged, reason="مبلغ واریزی با قبض برابر نیست", actor=operator_user)
    check(city)
    # arrears carried into a newer bill, which is paid
    old = bill_issue(city, fee=1_000_000, allow_partial=True, subject_key="3-123-45-6")
    counter(old, office, operator_user, "500005", amount=400_000)
    newer = bill_issue(city, fee=1_100_000, carry=[fresh(old)], subject_key="3-123-45-6")
    assert fresh(old).status == BillStatus.CARRIED
    assert fresh(newer).total == 1_700_000
    check(city)
    online_pay(newer)
    check(city)
    # a bill carrying arrears cancelled, another amended to drop its arrears line: the old ones owe again
    for action in ("cancel", "amend"):
        owed = bill_issue(city, fee=800_000)
        carrier = bill_issue(city, fee=600_000, carry=[owed])
        if action == "cancel":
            bill_cancel(bill=carrier, reason="صدور اشتباه", actor=operator_user)
        else:
            bill_amend(bill=carrier, reason="بدهی جدا پرداخت می‌شود", actor=operator_user, remove=[2])
        assert fresh(owed).status == BillStatus.OPEN
        check(city)
    return made


def test_every_identity_holds_after_issue_pay_partial_refund_reverse_cancel_amend_and_carry(
    city: City, books: dict[str, Any]
) -> None:
    report = ledger_audit(city=city)
    assert report.ok, report.problems
    figures = report.figures
    assert figures["ledger_sum"] == 0
    assert figures["receivable_balance"] == figures["bills_outstanding"] > 0
    assert figures["cash_balance"] == figures["payments_succeeded"] - figures["refunds_paid"]
    assert figures["payments_reversed"] == 1_200_000 + TARIFF + 3_600_000
    assert figures["refunds_paid"] == 1_800_000 + 500_000
    assert figures["refunds_payable"] == figures["refunds_payable_balance"] == 1_400_000


def test_ledger_check_command_passes_on_balanced_books(city: City, books: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("ledger_check", "--city", "tehran", stdout=out)
    text = out.getvalue()
    assert "the ledger balances" in text
    assert "receivable_balance" in text


def test_ledger_check_fails_with_exit_code_1_naming_an_unbalanced_transaction(
    city: City, books: dict[str, Any]
) -> None:
    transaction = LedgerTransaction.objects.filter(payment=books["online"]).get()
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(transaction=transaction, account=receivable_account(city), amount=150_000)]
    )
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("ledger_check", "--city", "tehran", stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 1
    problems = err.getvalue()
    assert f"#{transaction.pk}: 150000" in problems
    assert "The ledger does not sum to zero" in problems
    assert "receivable:tehran is" in problems


def test_audit_names_a_bill_whose_lines_and_payments_disagree(
    city: City, office: Office, operator_user: Any
) -> None:
    bill = bill_issue(city, fee=2_000_000, tariff=TARIFF, office=office)
    counter(bill, office, operator_user, "600001")
    Bill.objects.filter(pk=bill.pk).update(total=2_400_000)  # as a stray UPDATE would
    problems = ledger_audit(city=city).problems
    assert any("total differs" in p and bill.number in p for p in problems)


def test_ledger_check_refuses_an_unknown_city(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("ledger_check", "--city", "atlantis")


def test_books_of_another_city_do_not_leak_into_the_audit(
    city: City, office: Office, operator_user: Any, books: dict[str, Any]
) -> None:
    other = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    report = ledger_audit(city=other)
    assert report.ok
    assert report.figures["bills"] == 0


# --- billing bugs the audit found (now refused by billing) ----------------------------------------


def test_reversing_a_payment_of_a_bill_since_carried_keeps_the_receivable_in_step(
    city: City, office: Office, operator_user: Any
) -> None:
    old = bill_issue(city, fee=1_000_000, allow_partial=True)
    paid = counter(old, office, operator_user, "700001", amount=400_000)
    bill_issue(city, fee=500_000, carry=[fresh(old)])
    check(city)
    try:
        payment_reverse(payment=paid, reason="ثبت اشتباه", actor=operator_user)
    except DomainError:
        return  # refusing the reversal is a fix too
    check(city)


def test_an_arrears_line_added_by_hand_keeps_the_receivable_in_step(city: City, operator_user: Any) -> None:
    bill = bill_issue(city, fee=1_000_000)
    arrears = ItemSpec(
        line=ItemLine.ARREARS, fee_type="building", title="بدهی سنواتی", amount=700_000, fiscal_year=1404
    )
    try:
        bill_amend(bill=bill, reason="بدهی سال قبل", actor=operator_user, add=[arrears])
    except DomainError:
        return  # refusing such a line is a fix too
    check(city)


def test_an_office_collects_only_bills_of_its_own_city(
    city: City, office: Office, operator_user: Any
) -> None:
    other = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    bill = bill_issue(other, fee=1_000_000)
    try:
        counter(bill, office, operator_user, "700002")
    except DomainError:
        return
    check(other)
    check(city)


def test_refunds_payable_settle_to_nothing_once_all_are_paid(
    city: City, books: dict[str, Any], operator_user: Any
) -> None:
    for refund in Refund.objects.filter(status=RefundStatus.PAYABLE):
        refund_pay(refund=refund, reference=f"TR-{refund.pk}", actor=operator_user)
    report = ledger_audit(city=city)
    assert report.ok, report.problems
    assert report.figures["refunds_payable_balance"] == 0
