"""The double-entry ledger: accounts by code, and balanced postings.

Written by hand (ADR 0007): the ledger is a few tables and one rule (every transaction sums to
zero), and it must share the bill's database transaction; the accounting libraries available
either want their own storage or floats.

Account codes (one city's books; ``{city}`` is the city code):

* ``receivable:{city}`` (asset) what citizens owe on issued bills;
* ``revenue:{city}:{fee_type}`` (revenue) the municipality's revenue per fee type; rebates are
  booked as a debit to ``revenue:{city}:rebate``, penalties credited to ``revenue:{city}:penalty``;
* ``office_revenue:{city}:{office}`` (liability) tariffs the municipality owes an office;
* ``office_cash:{city}:{office}`` (asset) money an office collected at its counter for the city;
* ``clearing:{city}:{provider}`` (asset) money a payment gateway holds until it settles;
* ``refunds_payable:{city}`` (liability) money owed back to payers.

Positive amounts are debits, negative amounts credits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from daftar.core.memo import Memo
from daftar.offices.models import City, Office

from .models import Account, AccountKind, LedgerEntry, LedgerTransaction

Posting = tuple[Account, int]


class UnbalancedError(Exception):
    """A posting whose debits and credits differ: a programming error, never user input."""


# Accounts are created once and never change: each process remembers them by code, once the
# transaction that read or created one has committed (daftar.core.memo).
account_memo: Memo[Account] = Memo("ledger accounts", ttl=None)


def _account(code: str, *, name: str, kind: str, city: City, office: Office | None = None) -> Account:
    return account_memo.get(
        code,
        lambda: Account.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "city": city, "office": office}
        )[0],
    )


def receivable_account(city: City) -> Account:
    return _account(f"receivable:{city.code}", name="مطالبات از شهروندان", kind=AccountKind.ASSET, city=city)


def revenue_account(city: City, fee_type: str) -> Account:
    return _account(
        f"revenue:{city.code}:{fee_type}",
        name=f"درآمد شهرداری: {fee_type}",
        kind=AccountKind.REVENUE,
        city=city,
    )


def office_revenue_account(office: Office) -> Account:
    return _account(
        f"office_revenue:{office.city.code}:{office.code}",
        name=f"کارمزد دفتر {office.name}",
        kind=AccountKind.LIABILITY,
        city=office.city,
        office=office,
    )


def office_cash_account(office: Office) -> Account:
    return _account(
        f"office_cash:{office.city.code}:{office.code}",
        name=f"وجوه دریافتی دفتر {office.name}",
        kind=AccountKind.ASSET,
        city=office.city,
        office=office,
    )


def clearing_account(city: City, provider: str) -> Account:
    return _account(
        f"clearing:{city.code}:{provider}",
        name=f"حساب واسط درگاه {provider}",
        kind=AccountKind.ASSET,
        city=city,
    )


def refunds_payable_account(city: City) -> Account:
    return _account(
        f"refunds_payable:{city.code}", name="استردادهای قابل پرداخت", kind=AccountKind.LIABILITY, city=city
    )


def ledger_post(
    *,
    city: City,
    kind: str,
    postings: Iterable[Posting],
    memo: str = "",
    bill_id: int | None = None,
    payment_id: int | None = None,
    refund_id: int | None = None,
) -> LedgerTransaction | None:
    """Write one balanced transaction; lines on the same account are merged, zero lines dropped.

    Returns None when every line nets to zero (nothing to record).
    """
    merged: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for account, amount in postings:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("ledger amounts are ints of rials")
        merged[account.pk] += amount
        accounts[account.pk] = account
    lines = [(accounts[pk], amount) for pk, amount in merged.items() if amount]
    if sum(amount for _account_, amount in lines) != 0:
        raise UnbalancedError(f"{kind}: debits and credits differ by {sum(a for _x, a in lines)}")
    if not lines:
        return None
    with transaction.atomic(savepoint=False):  # nothing above can fail half-way: no savepoint needed
        entry = LedgerTransaction.objects.create(
            city=city, kind=kind, memo=memo[:300], bill_id=bill_id, payment_id=payment_id, refund_id=refund_id
        )
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(transaction=entry, account=account, amount=amount) for account, amount in lines]
        )
    return entry
