"""The ledger audit: does everything balance, and do the ledger's totals match bills and payments?

``ledger_audit(city=...)`` only reads, with aggregate queries (a fixed number, however many bills),
and reports problems as sentences naming the identity that failed, with a few examples.

The identities, for one city (ledger balances: debits positive, credits negative):

1. every ledger transaction's entries sum to zero, and no entry sits on another city's account;
2. the whole ledger sums to zero;
3. ``receivable:{city}`` = Σ (total − paid) of the city's open and partly paid bills. Arrears lines
   are never posted (they move an older bill's debt into a newer bill, and the older bill leaves
   the open set as "carried");
4. Σ ``clearing:{city}:*`` + Σ ``office_cash:{city}:*`` = Σ amounts of payments now succeeded −
   Σ refunds paid back. A reversed payment was debited when it succeeded and credited by its
   mirror when reversed, so it nets to zero, and its status is no longer "succeeded"; a flagged
   payment is not posted until finance refunds it (then it is "succeeded" with what arrived);
5. ``refunds_payable:{city}`` = −Σ refunds still payable;
6. −(Σ ``revenue:{city}:*`` + Σ ``office_revenue:{city}:*``) = Σ live non-arrears lines of bills not
   cancelled − Σ refunds that are not duplicates (a duplicate's money never became revenue);
7. for every bill: total = Σ live lines, paid = Σ allocations of its payments (a reversal allocates
   negatively), Σ live lines' paid = paid; and for every line: paid = Σ its allocations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from daftar.offices.models import City

from .models import (
    PAYABLE_STATUSES,
    Bill,
    BillItem,
    BillStatus,
    ItemLine,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Refund,
    RefundStatus,
)

EXAMPLES = 10  # how many offending rows a problem names


@dataclass
class AuditReport:
    problems: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sum(queryset: QuerySet[Any], expression: Any) -> int:
    return int(
        queryset.aggregate(total=Coalesce(Sum(expression), Value(0), output_field=BigIntegerField()))["total"]
    )


def _examples(values: list[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:EXAMPLES])
    return shown + (", …" if len(values) > EXAMPLES else "")


def _balances(city: City) -> dict[str, int]:
    rows = (
        LedgerEntry.objects.filter(account__city=city)
        .values("account__code")
        .annotate(balance=Sum("amount"))
        .order_by()
    )
    return {row["account__code"]: int(row["balance"] or 0) for row in rows}


def _prefixed(balances: dict[str, int], *prefixes: str) -> int:
    return sum(amount for code, amount in balances.items() if code.startswith(prefixes))


def _check_transactions(city: City, report: AuditReport) -> None:
    entries = LedgerEntry.objects.filter(transaction__city=city)
    unbalanced = list(
        entries.values("transaction")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("transaction")
        .values_list("transaction", "total")[: EXAMPLES + 1]
    )
    if unbalanced:
        report.problems.append(
            "Ledger transactions whose entries do not sum to zero (transaction: difference): "
            + _examples([f"#{pk}: {total}" for pk, total in unbalanced])
        )
    foreign = list(
        entries.exclude(account__city=city).values_list("transaction", flat=True).distinct()[: EXAMPLES + 1]
    )
    if foreign:
        report.problems.append(
            "Ledger transactions of this city with entries on another city's accounts: "
            + _examples([f"#{pk}" for pk in foreign])
        )
    ledger_sum = _sum(entries, "amount")
    report.figures["ledger_sum"] = ledger_sum
    if ledger_sum:
        report.problems.append(f"The ledger does not sum to zero: debits exceed credits by {ledger_sum}.")


def _check_balances(city: City, report: AuditReport) -> None:
    code = city.code
    balances = _balances(city)
    bills = Bill.objects.filter(city=city)
    payments = Payment.objects.filter(bill__city=city)
    refunds = Refund.objects.filter(payment__bill__city=city)

    receivable = balances.get(f"receivable:{code}", 0)
    owed = _sum(bills.filter(status__in=PAYABLE_STATUSES), F("total") - F("paid"))
    report.figures |= {"receivable_balance": receivable, "bills_outstanding": owed}
    if receivable != owed:
        report.problems.append(
            f"receivable:{code} is {receivable} but open and partly paid bills owe {owed} "
            f"(difference {receivable - owed})."
        )

    cash = _prefixed(balances, f"clearing:{code}:", f"office_cash:{code}:")
    succeeded = _sum(payments.filter(status=PaymentStatus.SUCCEEDED), "amount")
    reversed_ = _sum(payments.filter(status=PaymentStatus.REVERSED), "amount")
    paid_back = _sum(refunds.filter(status=RefundStatus.PAID), "amount")
    report.figures |= {
        "cash_balance": cash,
        "payments_succeeded": succeeded,
        "payments_reversed": reversed_,
        "refunds_paid": paid_back,
    }
    if cash != succeeded - paid_back:
        report.problems.append(
            f"Gateway clearing and office cash hold {cash} but succeeded payments less refunds paid "
            f"back come to {succeeded - paid_back} (difference {cash - (succeeded - paid_back)})."
        )

    payable = -balances.get(f"refunds_payable:{code}", 0)
    owed_back = _sum(refunds.filter(status=RefundStatus.PAYABLE), "amount")
    report.figures |= {"refunds_payable_balance": payable, "refunds_payable": owed_back}
    if payable != owed_back:
        report.problems.append(
            f"refunds_payable:{code} holds {payable} but refunds still to pay come to {owed_back} "
            f"(difference {payable - owed_back})."
        )

    revenue = -_prefixed(balances, f"revenue:{code}:", f"office_revenue:{code}:")
    billed = _sum(
        BillItem.objects.filter(bill__city=city, removed=False)
        .exclude(line=ItemLine.ARREARS)
        .exclude(bill__status=BillStatus.CANCELLED),
        "amount",
    )
    refunded = _sum(refunds.filter(duplicate=False), "amount")
    report.figures |= {"revenue_balance": revenue, "revenue_billed": billed, "revenue_refunded": refunded}
    if revenue != billed - refunded:
        report.problems.append(
            f"Revenue accounts hold {revenue} but live bill lines (less refunds) come to "
            f"{billed - refunded} (difference {revenue - (billed - refunded)})."
        )


def _total(queryset: QuerySet[Any], group: str) -> Subquery:
    return Subquery(
        queryset.values(group).annotate(total=Sum("amount")).values("total")[:1],
        output_field=BigIntegerField(),
    )


def _check_bills(city: City, report: AuditReport) -> None:
    live = BillItem.objects.filter(bill=OuterRef("pk"), removed=False).order_by()
    allocated = PaymentAllocation.objects.filter(payment__bill=OuterRef("pk")).order_by()
    items_paid = Subquery(
        live.values("bill").annotate(total=Sum("paid")).values("total")[:1], output_field=BigIntegerField()
    )
    bills = Bill.objects.filter(city=city).annotate(
        items_total=Coalesce(_total(live, "bill"), Value(0)),
        items_paid=Coalesce(items_paid, Value(0)),
        allocated=Coalesce(_total(allocated, "payment__bill"), Value(0)),
    )
    report.figures["bills"] = Bill.objects.filter(city=city).count()
    checks = (
        (~Q(total=F("items_total")), "Bills whose total differs from the sum of their live lines"),
        (~Q(paid=F("allocated")), "Bills whose paid amount differs from their payments' allocations"),
        (~Q(paid=F("items_paid")), "Bills whose paid amount differs from what their lines record as paid"),
    )
    for condition, text in checks:
        numbers = list(
            bills.filter(condition).order_by("number").values_list("number", flat=True)[: EXAMPLES + 1]
        )
        if numbers:
            report.problems.append(f"{text}: {_examples(numbers)}")
    item_allocated = PaymentAllocation.objects.filter(item=OuterRef("pk")).order_by()
    items = (
        BillItem.objects.filter(bill__city=city)
        .annotate(allocated=Coalesce(_total(item_allocated, "item"), Value(0)))
        .exclude(paid=F("allocated"))
        .order_by("bill__number", "seq")
        .values_list("bill__number", "seq")[: EXAMPLES + 1]
    )
    if rows := list(items):
        report.problems.append(
            "Bill lines whose paid amount differs from their allocations: "
            + _examples([f"{number}#{seq}" for number, seq in rows])
        )


def ledger_audit(*, city: City) -> AuditReport:
    """Check the city's books; ``report.ok`` when every identity holds."""
    report = AuditReport()
    _check_transactions(city, report)
    _check_balances(city, report)
    _check_bills(city, report)
    return report
