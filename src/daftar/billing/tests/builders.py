"""Helpers that build money data through the services: bills, payments online through the sandbox
bank (start, debit at the bank, come back: the real ``payment_start`` / ``payment_callback`` code),
and moving a payment in time to build a month by hand; and the offices and staff around them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from daftar.accounts.models import Person, User
from daftar.billing.lines import ItemSpec
from daftar.billing.models import Bill, LedgerTransaction, Payment, PaymentAllocation, TransactionKind
from daftar.billing.payments import payment_callback, payment_start
from daftar.billing.services import bill_create
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.offices.models import City, LicenceStatus, Office, Zone
from daftar.offices.services import staff_assign
from daftar.simulators.bank.services import sandbox_payment_debit

PROVIDER = "sandbox"  # the local sandbox bank (daftar.simulators.bank), on in tests
CALLBACK = "http://testserver/pay/callback/sandbox/"
CARD = "6037991234561234"
RENEWAL = "3-123-45-6"  # a property's renewal code
# annual_bill()'s lines (fee type, title, amount) and what it asks in all: 6,770,000 rials.
ANNUAL_FEES = (("renewal", "عوارض نوسازی", 4_850_000), ("waste", "عوارض پسماند", 1_920_000))
ANNUAL_TOTAL = sum(amount for _fee, _title, amount in ANNUAL_FEES)


def bill_issue(
    city: City,
    *,
    fee: int,
    tariff: int = 0,
    office: Office | None = None,
    title: str = "گواهی عدم خلاف",
    allow_partial: bool = False,
    kind: str = "case",
    due_date: date | None = None,
    payer_national_code: str = "0012345679",
    subject_key: str = "",
    carry: Sequence[Bill] = (),
    fee_type: str = "building",
    fiscal_year: int = 1405,
) -> Bill:
    """A bill of one municipal fee and, when ``tariff``, the office's tariff line."""
    today = local_today()
    items = [
        ItemSpec(line="municipal_fee", fee_type=fee_type, title="عوارض", amount=fee, fiscal_year=fiscal_year)
    ]
    if tariff:
        assert office is not None
        items.append(
            ItemSpec(
                line="office_tariff",
                fee_type="office_tariff",
                title="کارمزد دفتر",
                amount=tariff,
                fiscal_year=fiscal_year,
                office=office,
            )
        )
    return bill_create(
        city=city,
        kind=kind,
        title=title,
        fiscal_year=fiscal_year,
        due_date=due_date or today + timedelta(days=30),
        items=items,
        payer_national_code=payer_national_code,
        payer_name="سارا احمدی",
        office=office,
        subject_kind="property" if subject_key else "",
        subject_key=subject_key,
        allow_partial=allow_partial,
        carry=carry,
    )


def annual_bill(
    city: City,
    payer: Person | None = None,
    *,
    key: str = RENEWAL,
    subject: str = "property",
    allow_partial: bool = False,
    due_in_days: int = 60,
    source: str | None = None,
) -> Bill:
    """This fiscal year's annual bill of a record: the renewal and the waste fees (ANNUAL_TOTAL)."""
    year = fiscal_year_of(local_today())
    return bill_create(
        city=city,
        kind="annual",
        title=f"عوارض سالانه نوسازی و پسماند {year}",
        fiscal_year=year,
        due_date=local_today() + timedelta(days=due_in_days),
        items=[
            ItemSpec("municipal_fee", fee, title, amount, year, rule_code=f"fees.annual_{fee}")
            for fee, title, amount in ANNUAL_FEES
        ],
        payer=payer,
        subject_kind=subject,
        subject_key=key,
        allow_partial=allow_partial,
        source_key=source or f"annual:{subject}:{key}:{year}",
    )


def office_open(city: City, zone: Zone, *, code: str, name: str, address: str = "") -> Office:
    """Another office of the city, its licence active (the ``office`` fixture is office 1102)."""
    return Office.objects.create(
        city=city, zone=zone, code=code, name=name, licence_status=LicenceStatus.ACTIVE, address=address
    )


def staff_member(username: str, role: str, city: City, office: Office | None = None, **fields: Any) -> User:
    """A user with one staff role in the city (at ``office`` for an office's roles)."""
    user = User.objects.create_user(username=username, **fields)
    staff_assign(user=user, role=role, city=city, office=office)
    return user


def online_start(bill: Bill, *, amount: int | None = None, office: Office | None = None) -> Payment:
    return payment_start(
        bill=bill, provider=PROVIDER, callback_url=CALLBACK, amount=amount, office=office
    ).payment


def online_pay(
    bill: Bill,
    *,
    amount: int | None = None,
    received: int | None = None,
    office: Office | None = None,
) -> Payment:
    """Start an online payment and come back from the bank; ``received`` makes the bank report
    another amount (the payment is then flagged)."""
    payment = online_start(bill, amount=amount, office=office)
    return online_return(payment, received=received)


def online_debit(payment: Payment, *, received: int | None = None) -> None:
    """The payer pays at the bank (``received``: the bank takes another amount than asked)."""
    assert payment.authority
    extra = 0 if received is None else received - payment.amount
    sandbox_payment_debit(authority=payment.authority, card_number=CARD, extra=extra)


def online_return(payment: Payment, *, received: int | None = None) -> Payment:
    """The payer pays at the bank and comes back to us."""
    online_debit(payment, received=received)
    assert payment.authority
    return payment_callback(provider=PROVIDER, params={"authority": payment.authority, "status": "OK"})


def completed_at(payment: Payment, when: datetime) -> None:
    """Move a payment (and its allocations) to another moment: a month built by hand."""
    Payment.objects.filter(pk=payment.pk).update(completed_at=when)
    PaymentAllocation.objects.filter(payment=payment, amount__gt=0).update(created_at=when)


def reversed_at(payment: Payment, when: datetime) -> None:
    """Move a payment's reversal to another moment."""
    LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL, payment=payment).update(created_at=when)
    PaymentAllocation.objects.filter(payment=payment, amount__lt=0).update(created_at=when)
