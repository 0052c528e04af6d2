"""Bills: issue, amend, cancel, carry arrears; each leaves the audit trail and the ledger in step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum

from daftar.billing.ledger import office_revenue_account, receivable_account, revenue_account
from daftar.billing.lines import ItemSpec
from daftar.billing.models import Bill, BillEvent, BillItem, BillStatus, FiscalPolicy, LedgerEntry
from daftar.billing.numbers import bill_number_clean, check_digit
from daftar.billing.services import bill_adjustments_quote, bill_amend, bill_cancel, bill_create
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import local_today

from .conftest import RENEWAL, TARIFF, WASTE, annual_items, assert_books_balance

pytestmark = pytest.mark.django_db


def balance(account: Any) -> int:
    return LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


def test_a_bill_id_carries_a_check_digit_that_catches_a_mistyped_digit(make_bill: Any) -> None:
    bill = make_bill()
    assert bill_number_clean(bill.number) == bill.number
    assert bill_number_clean("۰" * 0 + "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in bill.number)) == bill.number
    wrong = bill.number[:-1] + str((int(bill.number[-1]) + 1) % 10)
    assert bill_number_clean(wrong) is None
    assert check_digit("000000000000") == 0


def test_issuing_a_bill_books_the_receivable_against_revenue_per_fee_type_and_office(
    make_bill: Any, city: Any, office: Any
) -> None:
    bill = make_bill(tariff=True)
    assert bill.total == RENEWAL + WASTE + TARIFF
    assert bill.status == BillStatus.OPEN
    assert balance(receivable_account(city)) == bill.total
    assert balance(revenue_account(city, "renewal")) == -RENEWAL
    assert balance(revenue_account(city, "waste")) == -WASTE
    assert balance(office_revenue_account(office)) == -TARIFF
    assert list(BillEvent.objects.filter(bill=bill).values_list("kind", flat=True)) == ["created"]
    assert_books_balance(city)


def test_issuing_the_same_source_twice_returns_the_first_bill(make_bill: Any, city: Any) -> None:
    first = make_bill(source_key="annual:tehran:1405:property:7")
    second = make_bill(source_key="annual:tehran:1405:property:7")
    assert first.pk == second.pk
    assert Bill.objects.count() == 1
    assert balance(receivable_account(city)) == first.total


def test_only_a_rebate_line_may_be_negative(make_bill: Any, city: Any) -> None:
    with pytest.raises(InvalidValue) as raised:
        bill_create(
            city=city,
            kind="annual",
            title="x",
            fiscal_year=1405,
            due_date=local_today(),
            items=[
                ItemSpec(line="municipal_fee", fee_type="renewal", title="x", amount=-5, fiscal_year=1405)
            ],
        )
    assert raised.value.code == "bill.item_sign"
    assert Bill.objects.count() == 0


def test_amending_needs_a_reason_and_books_the_difference(
    make_bill: Any, city: Any, finance_user: Any
) -> None:
    bill = make_bill()
    with pytest.raises(InvalidValue) as raised:
        bill_amend(bill=bill, reason="  ", actor=finance_user, remove=[2])
    assert raised.value.code == "bill.reason_required"
    extra = ItemSpec(
        line="municipal_fee", fee_type="signage", title="عوارض تابلو", amount=900_000, fiscal_year=1405
    )
    amended = bill_amend(
        bill=bill, reason="تابلوی سردر از قلم افتاده بود", actor=finance_user, add=[extra], remove=[2]
    )
    assert amended.total == RENEWAL + 900_000
    assert BillItem.objects.get(bill=bill, seq=2).removed
    event = BillEvent.objects.filter(bill=bill, kind="amended").get()
    assert event.reason == "تابلوی سردر از قلم افتاده بود"
    assert event.actor == finance_user
    assert balance(revenue_account(city, "waste")) == 0
    assert balance(revenue_account(city, "signage")) == -900_000
    assert_books_balance(city)


def test_a_paid_line_cannot_be_taken_off(
    make_bill: Any, office: Any, operator_user: Any, finance_user: Any
) -> None:
    from daftar.billing.payments import payment_collect_at_counter

    bill = make_bill(allow_partial=True)
    payment_collect_at_counter(
        bill=bill, office=office, actor=operator_user, terminal_reference="123456", amount=1000
    )
    with pytest.raises(Conflict) as raised:
        bill_amend(bill=bill, reason="اشتباه", actor=finance_user, remove=[1])
    assert raised.value.code == "bill.item_paid"


def test_cancelling_reverses_the_bill_in_the_ledger_and_needs_nothing_paid(
    make_bill: Any, city: Any, finance_user: Any
) -> None:
    bill = make_bill(tariff=True)
    cancelled = bill_cancel(bill=bill, reason="ملک در طرح تعریض خیابان تملک شد", actor=finance_user)
    assert cancelled.status == BillStatus.CANCELLED
    assert cancelled.outstanding == 0
    assert balance(receivable_account(city)) == 0
    assert balance(revenue_account(city, "renewal")) == 0
    with pytest.raises(Conflict):
        bill_cancel(bill=cancelled, reason="دوباره", actor=finance_user)
    assert_books_balance(city)


def test_unpaid_older_bills_are_carried_into_a_new_bill_as_arrears_and_not_counted_twice(
    make_bill: Any, city: Any, applicant_person: Any, finance_user: Any
) -> None:
    old = make_bill(year=1404)
    receivable_before = balance(receivable_account(city))
    revenue_before = balance(revenue_account(city, "renewal"))
    new = bill_create(
        city=city,
        kind="annual",
        title="عوارض سالیانه ۱۴۰۵",
        fiscal_year=1405,
        due_date=local_today() + timedelta(days=30),
        items=annual_items(1405),
        payer=applicant_person,
        subject_kind="property",
        subject_key="3-123-45-6",
        carry=[old],
    )
    old.refresh_from_db()
    assert old.status == BillStatus.CARRIED
    assert old.outstanding == 0
    arrears = new.items.get(line="arrears")
    assert arrears.amount == RENEWAL + WASTE
    assert arrears.carried_from == old
    assert new.total == 2 * (RENEWAL + WASTE)
    # the arrears moved between bills: revenue was booked once, by the old bill
    assert balance(revenue_account(city, "renewal")) == revenue_before - RENEWAL
    assert balance(receivable_account(city)) == receivable_before + RENEWAL + WASTE
    assert_books_balance(city)
    # cancelling the new bill makes the old one owe again
    bill_cancel(bill=new, reason="صدور مجدد", actor=finance_user)
    old.refresh_from_db()
    assert old.status == BillStatus.OPEN
    assert_books_balance(city)


def test_rebate_for_paying_early_and_penalty_for_paying_late_follow_the_fiscal_policy(
    make_bill: Any, city: Any
) -> None:
    bill = make_bill()
    today = local_today()
    FiscalPolicy.objects.create(
        city=city,
        fiscal_year=bill.fiscal_year,
        annual_due_date=bill.due_date,
        early_payment_until=today + timedelta(days=5),
        early_payment_rebate_bp=1000,
        late_penalty_monthly_bp=150,
        late_penalty_cap_bp=2400,
    )
    rebate = bill_adjustments_quote(bill=bill, on=today, full_payment=True)
    assert [(s.line, s.amount) for s in rebate] == [("rebate", -(RENEWAL + WASTE) // 10)]
    assert bill_adjustments_quote(bill=bill, on=today, full_payment=False) == []
    two_months_late = bill.due_date + timedelta(days=45)
    penalty = bill_adjustments_quote(bill=bill, on=two_months_late, full_payment=True)
    assert [(s.line, s.amount) for s in penalty] == [("penalty", (RENEWAL + WASTE) * 300 // 10_000)]
    years_late = bill.due_date + timedelta(days=3650)
    capped = bill_adjustments_quote(bill=bill, on=years_late, full_payment=True)
    assert capped[0].amount == (RENEWAL + WASTE) * 2400 // 10_000


def test_a_case_bill_gets_no_rebate_or_penalty(make_bill: Any, city: Any) -> None:
    bill = make_bill(kind="case")
    FiscalPolicy.objects.create(
        city=city, fiscal_year=bill.fiscal_year, annual_due_date=bill.due_date, late_penalty_monthly_bp=150
    )
    assert bill_adjustments_quote(bill=bill, on=bill.due_date + timedelta(days=90), full_payment=True) == []


def test_a_case_bill_carried_into_another_counts_as_paid_only_when_that_one_is_paid(
    filed_case: Any, city: Any, office: Any, operator_user: Any
) -> None:
    from daftar.billing.payments import payment_collect_at_counter
    from daftar.billing.selectors import bills_of_case, case_bills_settled

    case_bill = bills_of_case(case_id=filed_case.pk).get()
    newer = bill_create(
        city=city,
        kind="clearance",
        title="تسویه همه بدهی‌ها",
        fiscal_year=case_bill.fiscal_year,
        due_date=local_today(),
        items=[],
        carry=[case_bill],
    )
    assert not case_bills_settled(case_id=filed_case.pk)
    payment_collect_at_counter(bill=newer, office=office, actor=operator_user, terminal_reference="5151515")
    assert case_bills_settled(case_id=filed_case.pk)


def test_part_payment_only_for_what_the_fiscal_policy_lists(
    service_version: Any, office: Any, operator_user: Any, citizen_user: Any, city: Any
) -> None:
    from daftar.cases.services import case_file
    from daftar.core.jalali import fiscal_year_of

    data = {"renewal_code": "3-123-45-6", "deed_number": "12345"}

    def filed(key: str) -> Bill:
        case = case_file(
            service=service_version, applicant=citizen_user.person, office=office, channel="office",
            data=data, actor=operator_user, idempotency_key=key,
        )  # fmt: skip
        return Bill.objects.get(case=case)

    assert not filed("first").allow_partial  # no policy: in full
    policy = FiscalPolicy.objects.create(
        city=city,
        fiscal_year=fiscal_year_of(local_today()),
        annual_due_date=local_today(),
        part_payment=["annual"],
    )
    assert not filed("second").allow_partial  # annual charges only
    policy.part_payment = ["annual", "building.no_violation_certificate"]
    policy.save()
    assert filed("third").allow_partial
