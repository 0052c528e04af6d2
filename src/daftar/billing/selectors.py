"""Reads for billing: rules in force, fee quotes, bills by payer, subject or case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import Conflict
from daftar.core.jalali import fiscal_year_of
from daftar.core.registry import Registry
from daftar.offices.models import City, Office

from .fee_rules import fee_rule_evaluate
from .lines import ItemSpec
from .models import PAYABLE_STATUSES, Bill, BillItem, FeeRule, ItemLine, OfficeTariff, Payment

# The registered record a case links to (property by renewal code, business by licence number,
# vehicle by plate), as a mapping fee rules read (``property.area_m2``). Registered by the domain
# package that keeps those records; None when the record is not on file.
RecordContext = Callable[[City, str], Mapping[str, Any] | None]
record_contexts: Registry[RecordContext] = Registry("record context")


def rule_in_force(*, city: City, code: str, on: date) -> FeeRule | None:
    return (
        FeeRule.objects.filter(city=city, code=code, effective_from__lte=on, effective_to__gte=on)
        .order_by("-effective_from")
        .first()
    )


def tariff_in_force(*, city: City, service_code: str, on: date) -> OfficeTariff | None:
    return (
        OfficeTariff.objects.filter(
            city=city, service_code=service_code, effective_from__lte=on, effective_to__gte=on
        )
        .order_by("-effective_from")
        .first()
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
) -> list[ItemSpec]:
    """The bill lines a filing would carry: each named fee rule in force today, then the tariff
    of the office it is filed at (online filings carry no office tariff)."""
    year = fiscal_year_of(on)
    context = fee_context(city=city, data=data, links=links, zone=zone, on=on)
    lines = []
    for code in fee_rules:
        rule = rule_in_force(city=city, code=code, on=on)
        if rule is None:
            raise Conflict(
                "fee.rule_missing",
                _("The fee «%(rule)s» has no tariff in force in this city today; it cannot be filed."),
                {"rule": code},
            )
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
    return lines


# --- bills -----------------------------------------------------------------------------------------


def bill_by_number(*, number: str) -> Bill | None:
    return Bill.objects.select_related("city", "payer", "office").filter(number=number).first()


def bills_of_case(*, case_id: int) -> QuerySet[Bill]:
    return Bill.objects.filter(case_id=case_id).order_by("created_at")


def case_bills_settled(*, case_id: int) -> bool:
    """Nothing left to pay on the case's bills (a case without fees has nothing to pay)."""
    return not Bill.objects.filter(case_id=case_id, status__in=PAYABLE_STATUSES).exists()


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
