"""Reads for billing: rules in force, fee quotes, bills by payer, subject or case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.core.errors import Conflict
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.core.registry import Registry
from daftar.offices.models import City, Office
from daftar.offices.selectors import offices_staff_of

from .fee_rules import context_value, fee_rule_evaluate
from .lines import ItemSpec
from .models import (
    PAYABLE_STATUSES,
    Bill,
    BillItem,
    BillKind,
    BillStatus,
    FeeRule,
    FiscalPolicy,
    ItemLine,
    OfficeTariff,
    Payment,
    RuleKind,
)
from .tariffs import COUNTER_COLLECTION, tariff_memo

# The registered record a case links to (property by renewal code, business by licence number,
# vehicle by plate), as a mapping fee rules read (``property.area_m2``). Registered by the domain
# package that keeps those records; None when the record is not on file.
RecordContext = Callable[[City, str], Mapping[str, Any] | None]
record_contexts: Registry[RecordContext] = Registry("record context")
MAX_CARRY_DEPTH = 10  # a bill carried into a bill carried into … (each year's arrears): bounded


def rule_in_force(*, city: City, code: str, on: date) -> FeeRule | None:
    return tariff_memo.get(
        ("rule", city.pk, code, on),
        lambda: (
            FeeRule.objects.filter(city=city, code=code, effective_from__lte=on, effective_to__gte=on)
            .order_by("-effective_from")
            .first()
        ),
    )


def tariff_in_force(*, city: City, service_code: str, on: date) -> OfficeTariff | None:
    return tariff_memo.get(
        ("tariff", city.pk, service_code, on),
        lambda: (
            OfficeTariff.objects.filter(
                city=city, service_code=service_code, effective_from__lte=on, effective_to__gte=on
            )
            .order_by("-effective_from")
            .first()
        ),
    )


def fiscal_policy_of(*, city_id: int, fiscal_year: int) -> FiscalPolicy | None:
    """The city's rebate, penalty and part-payment terms for the year, or None."""
    return tariff_memo.get(
        ("policy", city_id, fiscal_year),
        lambda: FiscalPolicy.objects.filter(city_id=city_id, fiscal_year=fiscal_year).first(),
    )


def fee_context(
    *, city: City, data: Mapping[str, Any], links: Mapping[str, str], zone: int | None, on: date
) -> dict[str, Any]:
    """What a fee rule may read: the intake data, linked records, the district and the year."""
    context: dict[str, Any] = {"data": dict(data), "fiscal_year": fiscal_year_of(on)}
    if zone is not None:
        context["zone"] = zone
    for kind, key in links.items():
        if kind in record_contexts and (record := record_contexts.get(kind)(city, key)) is not None:
            context[kind] = dict(record)
            if "zone" not in context and record.get("zone") is not None:
                context["zone"] = record["zone"]
    return context


@dataclass(frozen=True)
class FeeQuote:
    """What a filing is charged: new lines, and older unpaid bills its bill takes over."""

    lines: list[ItemSpec]
    carry: list[Bill] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines) + sum(bill.outstanding for bill in self.carry)


def _carried_bills(
    *, city: City, rule: FeeRule, links: Mapping[str, str], context: Mapping[str, Any]
) -> list[Bill]:
    spec = rule.definition
    key = links.get(spec["subject"])
    if not key:
        raise Conflict(
            "fee.carry_link",
            _("The fee «%(rule)s» needs the service to name a %(subject)s."),
            {"rule": rule.code, "subject": spec["subject"]},
        )
    # A record's debts are its annual charges and earlier settlements; a case's own fees are the
    # applicant's, paid with that case.
    bills = Bill.objects.filter(
        city=city, subject_kind=spec["subject"], subject_key=key, status__in=PAYABLE_STATUSES
    ).exclude(kind=BillKind.CASE)
    if spec.get("fee_types"):
        bills = bills.filter(items__fee_type__in=spec["fee_types"], items__removed=False).distinct()
    if spec.get("from_year"):
        bills = bills.filter(
            fiscal_year__gte=int(context_value(context, spec["from_year"], rule_code=rule.code))
        )
    if spec.get("to_year"):
        bills = bills.filter(
            fiscal_year__lte=int(context_value(context, spec["to_year"], rule_code=rule.code))
        )
    found = list(bills.order_by("fiscal_year", "pk"))
    if not found and spec.get("required"):
        raise Conflict(
            "fee.nothing_owed",
            _("Nothing is owed on this record for what was asked; there is nothing to pay."),
        )
    return found


def fees_quote(
    *,
    city: City,
    service_code: str,
    fee_rules: list[str],
    data: Mapping[str, Any],
    links: Mapping[str, str],
    zone: int | None,
    office: Office | None,
    on: date,
) -> FeeQuote:
    """What a filing is charged: each named fee rule in force today (a ``carry`` rule takes over the
    linked record's unpaid bills), then the tariff of the office it is filed at (online filings
    carry no office tariff)."""
    year = fiscal_year_of(on)
    context = fee_context(city=city, data=data, links=links, zone=zone, on=on)
    lines: list[ItemSpec] = []
    carry: list[Bill] = []
    for code in fee_rules:
        rule = rule_in_force(city=city, code=code, on=on)
        if rule is None:
            raise Conflict(
                "fee.rule_missing",
                _("The fee «%(rule)s» has no tariff in force in this city today; it cannot be filed."),
                {"rule": code},
            )
        if rule.kind == RuleKind.CARRY:
            carry += [
                b
                for b in _carried_bills(city=city, rule=rule, links=links, context=context)
                if b not in carry
            ]
            continue
        amount = fee_rule_evaluate(
            kind=rule.kind, definition=rule.definition, context=context, rule_code=code
        )
        if amount:
            lines.append(
                ItemSpec(
                    line=ItemLine.MUNICIPAL_FEE,
                    fee_type=rule.fee_type,
                    title=rule.title_fa,
                    amount=amount,
                    fiscal_year=year,
                    rule_code=code,
                )
            )
    tariff = tariff_in_force(city=city, service_code=service_code, on=on) if office is not None else None
    if tariff is not None and tariff.amount:
        lines.append(
            ItemSpec(
                line=ItemLine.OFFICE_TARIFF,
                fee_type="office_tariff",
                title="کارمزد دفتر",
                amount=tariff.amount,
                fiscal_year=year,
                rule_code=service_code,
                office=office,
            )
        )
    return FeeQuote(lines=lines, carry=carry)


# --- bills -----------------------------------------------------------------------------------------


def bill_by_number(*, number: str) -> Bill | None:
    return Bill.objects.select_related("city", "payer", "office").filter(number=number).first()


def bills_of_case(*, case_id: int) -> QuerySet[Bill]:
    return Bill.objects.filter(case_id=case_id).order_by("created_at")


def case_bills_settled(*, case_id: int) -> bool:
    """Nothing left to pay on the case's bills (a case without fees has nothing to pay).

    A bill carried into a newer bill counts as settled only once that newer bill is paid.
    """
    bills = list(Bill.objects.filter(case_id=case_id).exclude(status=BillStatus.CANCELLED))
    return all(_settled(bill) for bill in bills)


def _settled(bill: Bill, depth: int = 0) -> bool:
    if bill.status == BillStatus.PAID:
        return True
    if bill.status != BillStatus.CARRIED or depth > MAX_CARRY_DEPTH:
        return False
    into = Bill.objects.filter(items__carried_from=bill, items__removed=False).first()
    return into is not None and _settled(into, depth + 1)


def bills_of_payer(*, national_code: str, open_only: bool = False) -> QuerySet[Bill]:
    bills = Bill.objects.filter(payer_national_code=national_code)
    if open_only:
        bills = bills.filter(status__in=PAYABLE_STATUSES)
    return bills.select_related("city").order_by("-created_at")


def bills_of_subject(*, kind: str, key: str, open_only: bool = False) -> QuerySet[Bill]:
    bills = Bill.objects.filter(subject_kind=kind, subject_key=key)
    if open_only:
        bills = bills.filter(status__in=PAYABLE_STATUSES)
    return bills.select_related("city").order_by("-fiscal_year", "-created_at")


def bill_items(*, bill: Bill) -> list[BillItem]:
    return list(bill.items.filter(removed=False).order_by("seq"))


def payments_of_bill(*, bill: Bill) -> QuerySet[Payment]:
    return bill.payments.select_related("office").order_by("-started_at")


# --- who may see what ----------------------------------------------------------------------------

FINANCE_ROLES = frozenset({Role.FINANCE_OFFICER.value, Role.AUDITOR.value, Role.CITY_ADMINISTRATOR.value})
COUNTER_ROLES = frozenset({Role.OFFICE_OPERATOR.value, Role.OFFICE_MANAGER.value})


def bill_viewer_is_private(*, bill: Bill, user: User | AnonymousUser) -> bool:
    """Whether the user may see the bill's personal data (payer's name and national code, payments).

    The payer themself, the city's finance staff, and the staff of any office in the city (a bill
    may be paid at any office). Anyone else holding the bill ID sees what is owed, not who owes it.
    """
    if not user.is_authenticated:
        return False
    person = getattr(user, "person", None)
    person_code = person.national_code if person is not None else ""
    if person_code and person_code == bill.payer_national_code:
        return True
    return bill.city_id in payer_data_cities(user=user)


def payer_data_cities(*, user: User | AnonymousUser) -> set[int]:
    """The cities whose payers' data the user may see: where they are finance staff or work a counter."""
    return {a.city_id for a in offices_staff_of(user=user) if a.role in FINANCE_ROLES | COUNTER_ROLES}


def payer_name_masked(name: str) -> str:
    """«ا… ت…»: enough for a payer to recognise their bill, not enough to learn a stranger's name."""
    return " ".join(f"{word[0]}…" for word in name.split() if word)


def payment_by_order_id(*, order_id: str) -> Payment | None:
    """A payment by the order number we gave the gateway (digits only; anything else is no payment)."""
    if not (order_id.isascii() and order_id.isdigit()):
        return None
    return Payment.objects.select_related("bill", "office").filter(order_id=order_id).first()


def counter_tariff_line(bill: Bill, office: Office) -> ItemSpec | None:
    """An office collecting a bill that carries no tariff of its own earns its counter tariff."""
    if bill.items.filter(line=ItemLine.OFFICE_TARIFF, office=office, removed=False).exists():
        return None
    tariff = tariff_in_force(city=bill.city, service_code=COUNTER_COLLECTION, on=local_today())
    if tariff is None or not tariff.amount:
        return None
    return ItemSpec(
        line=ItemLine.OFFICE_TARIFF,
        fee_type="office_tariff",
        title="کارمزد دریافت در دفتر",
        amount=tariff.amount,
        fiscal_year=fiscal_year_of(local_today()),
        rule_code=COUNTER_COLLECTION,
        office=office,
    )
