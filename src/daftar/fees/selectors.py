"""Reads of the registers: a record as fee rules see it, its payer, and what it still owes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from daftar.billing.models import PAYABLE_STATUSES, Bill, BillKind, ItemLine
from daftar.billing.services import bill_adjustments_quote
from daftar.core.errors import InvalidValue
from daftar.core.jalali import local_today
from daftar.offices.models import City

from .models import Business, Property, PropertyOwner, Vehicle
from .records import subject_key_clean

Row = Mapping[str, Any]


def property_context(row: Row) -> dict[str, Any]:
    return {
        "renewal_code": row["renewal_code"],
        "area_m2": row["area_m2"],
        "built_area_m2": row["built_area_m2"],
        "use": row["use"],
        "zone": row["zone__number"],
    }


def business_context(row: Row) -> dict[str, Any]:
    return {
        "licence_number": row["licence_number"],
        "area_m2": row["area_m2"],
        "guild": row["guild_code"],
        "zone": row["zone__number"],
    }


def vehicle_context(row: Row) -> dict[str, Any]:
    return {"plate": row["plate"], "vehicle_type": row["vehicle_type"], "model_year": row["model_year"]}


@dataclass(frozen=True)
class RecordKind:
    """How one kind of register is read: its model, key, the columns fee rules need, and its name."""

    code: str
    model: type[Model]
    key_field: str
    values: tuple[str, ...]
    context: Callable[[Row], dict[str, Any]]
    noun_fa: str


RECORD_KINDS: dict[str, RecordKind] = {
    "property": RecordKind(
        "property",
        Property,
        "renewal_code",
        ("pk", "renewal_code", "area_m2", "built_area_m2", "use", "zone__number"),
        property_context,
        "ملک",
    ),
    "business": RecordKind(
        "business",
        Business,
        "licence_number",
        (
            "pk",
            "licence_number",
            "area_m2",
            "guild_code",
            "zone__number",
            "owner_national_code",
            "owner_name",
        ),
        business_context,
        "واحد صنفی",
    ),
    "vehicle": RecordKind(
        "vehicle",
        Vehicle,
        "plate",
        ("pk", "plate", "vehicle_type", "model_year", "owner_national_code", "owner_name"),
        vehicle_context,
        "خودرو",
    ),
}


KINDS = tuple(RECORD_KINDS)


def record_kind(kind: str) -> RecordKind:
    """How records of ``kind`` are read; InvalidValue for an unknown kind."""
    if kind not in RECORD_KINDS:
        raise InvalidValue("fees.kind", _("Unknown kind of record; use property, business or vehicle."))
    return RECORD_KINDS[kind]


def _clean_or_none(kind: str, key: str) -> str | None:
    try:
        return subject_key_clean(kind, key)
    except InvalidValue:
        return None


def record_context(*, city: City, kind: str, key: str) -> dict[str, Any] | None:
    """What fee rules read about the record (``property.area_m2``…); None when it is not on file."""
    spec = RECORD_KINDS[kind]
    clean = _clean_or_none(kind, key)
    if clean is None:
        return None
    row = (
        spec.model._default_manager.filter(city=city, **{spec.key_field: clean}).values(*spec.values).first()
    )
    return spec.context(row) if row is not None else None


def record_payer(*, city: City, kind: str, key: str) -> tuple[str, str] | None:
    """(national code, name) of whoever the record's bills go to: the owner with the largest share."""
    clean = _clean_or_none(kind, key)
    if clean is None:
        return None
    if kind == "property":
        owner = (
            PropertyOwner.objects.filter(property__city=city, property__renewal_code=clean)
            .order_by("-share_percent", "pk")
            .values_list("national_code", "name")
            .first()
        )
        return (owner[0], owner[1]) if owner else None
    spec = RECORD_KINDS[kind]
    found = (
        spec.model._default_manager.filter(city=city, **{spec.key_field: clean})
        .values_list("owner_national_code", "owner_name")
        .first()
    )
    return (found[0], found[1]) if found else None


# --- debts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Debt:
    bill: Bill
    outstanding: int
    penalty: int = 0  # late-payment penalty the bill would take if paid today

    @property
    def due(self) -> int:
        return self.outstanding + self.penalty


@dataclass(frozen=True)
class RecordDebts:
    subject_kind: str
    subject_key: str
    debts: list[Debt] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(debt.due for debt in self.debts)

    @property
    def outstanding(self) -> int:
        return sum(debt.outstanding for debt in self.debts)


def open_bills_of_subject(*, city: City, subject_kind: str, subject_key: str) -> list[Bill]:
    return list(
        Bill.objects.filter(
            city=city, subject_kind=subject_kind, subject_key=subject_key, status__in=PAYABLE_STATUSES
        )
        .exclude(kind=BillKind.CASE)  # a case's fees are the applicant's, paid with that case
        .order_by("fiscal_year", "created_at", "pk")
    )


def record_debts(
    *,
    city: City,
    subject_kind: str,
    subject_key: str,
    exclude_case_id: int | None = None,
    on: date | None = None,
) -> RecordDebts:
    """Every unpaid bill of the record (oldest first), what each still owes and the penalty due on it."""
    clean = _clean_or_none(subject_kind, subject_key) or subject_key
    day = on or local_today()
    debts = []
    for bill in open_bills_of_subject(city=city, subject_kind=subject_kind, subject_key=clean):
        if exclude_case_id is not None and bill.case_id == exclude_case_id:
            continue
        penalty = 0
        if bill.kind == BillKind.ANNUAL:
            quote = bill_adjustments_quote(bill=bill, on=day, full_payment=False)
            penalty = sum(spec.amount for spec in quote if spec.line == ItemLine.PENALTY)
        debts.append(Debt(bill=bill, outstanding=bill.outstanding, penalty=penalty))
    return RecordDebts(subject_kind=subject_kind, subject_key=clean, debts=debts)


def city_by_code(*, code: str) -> City | None:
    return City.objects.filter(code=code).first()
