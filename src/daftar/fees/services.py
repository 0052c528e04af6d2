"""Writes of the fees package: importing the registers, and the one bill that settles everything a
record owes before its clearance certificate. Annual billing is in ``annual.py`` (re-exported here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, User
from daftar.billing.lines import ItemSpec
from daftar.billing.models import Bill, BillKind, ItemLine
from daftar.billing.services import PENALTY_FEE_TYPE, bill_create
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.core.text import to_persian_digits
from daftar.offices.models import City, Zone

from .annual import AnnualKindReport, AnnualReport, ChunkHook, ProgressBar, ProgressFactory, annual_bills_run
from .models import PropertyOwner
from .records import KEY_FIELD, LINE_KEY, header_map, reason, row_parse
from .selectors import KINDS, RecordKind, record_debts, record_kind, record_payer

__all__ = [
    "KINDS",
    "AnnualKindReport",
    "AnnualReport",
    "ChunkHook",
    "ImportReport",
    "ProgressFactory",
    "RejectedRow",
    "annual_bills_run",
    "clearance_bill_create",
    "records_import",
]

# --- importing the registers ---------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    line: int
    cells: dict[str, str]
    reasons: list[str]


@dataclass
class ImportReport:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected


def records_import(
    *,
    city: City,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    chunk: int = 1000,
    on_rejected: Callable[[RejectedRow], None] | None = None,
    progress: ProgressBar | None = None,
) -> ImportReport:
    """Create or update records from rows of a CSV file (dicts by column name), a chunk per transaction.

    Columns may be named in Persian or English (``records.COLUMNS``). A row is matched by its key
    (renewal code, licence number or plate); a good row creates or updates its record, a bad one is
    handed to ``on_rejected`` with its line and a Persian reason per bad field, and written nowhere.
    Rows are read one at a time, so a file of any size takes constant memory. A row's line is its
    ``records.LINE_KEY`` value when it has one (``records.csv_rows`` adds it), else counted from 2.
    """
    spec = record_kind(kind)
    if chunk < 1:
        raise InvalidValue("fees.chunk", _("The chunk size must be at least 1."))
    report = ImportReport(kind=kind)
    zones = dict(Zone.objects.filter(city=city).values_list("number", "pk"))
    columns = None
    batch: list[dict[str, Any]] = []
    seen = 0
    with translation.override("fa"):
        for index, row in enumerate(rows):
            if columns is None:
                columns = header_map(kind, [str(h) for h in row if h not in (LINE_KEY, None)])
            values, reasons = row_parse(kind, columns, row)
            if "zone" in values:
                number = values.pop("zone")
                values["zone_id"] = zones.get(number) if number is not None else None
                if number is not None and values["zone_id"] is None:
                    message = gettext("This city has no district %(number)s.") % {
                        "number": to_persian_digits(str(number))
                    }
                    reasons.append(reason("منطقه", message))
            seen += 1
            if reasons:
                report.rejected += 1
                if on_rejected is not None:
                    cells = {
                        str(k): "" if v is None else str(v)
                        for k, v in row.items()
                        if k not in (LINE_KEY, None)
                    }
                    on_rejected(
                        RejectedRow(line=int(row.get(LINE_KEY, index + 2)), cells=cells, reasons=reasons)
                    )
            else:
                batch.append(values)
            if seen >= chunk:  # a chunk of rows read: write what was good in it
                _records_upsert(city=city, spec=spec, batch=batch, report=report)
                batch.clear()
                if progress is not None:
                    progress.update(seen)
                seen = 0
        _records_upsert(city=city, spec=spec, batch=batch, report=report)
        if progress is not None and seen:
            progress.update(seen)
    return report


def _owner_rows(owners: Iterable[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    return [(code, name, share) for code, name, share in owners]


def _records_upsert(
    *, city: City, spec: RecordKind, batch: list[dict[str, Any]], report: ImportReport
) -> None:
    if not batch:
        return
    model, key_field = spec.model, KEY_FIELD[spec.code]
    keys = {values[key_field] for values in batch}
    existing: dict[str, Any] = {
        getattr(obj, key_field): obj
        for obj in model._default_manager.filter(city=city, **{f"{key_field}__in": keys})
    }
    owners_now: dict[str, list[tuple[str, str, Any]]] = defaultdict(list)
    if spec.code == "property" and existing:
        by_pk = {obj.pk: key for key, obj in existing.items()}
        for property_id, code, name, share in (
            PropertyOwner.objects.filter(property_id__in=by_pk)
            .order_by("property_id", "-share_percent", "pk")
            .values_list("property_id", "national_code", "name", "share_percent")
        ):
            owners_now[by_pk[property_id]].append((code, name, share))
    new: dict[str, Model] = {}
    changed: dict[str, Model] = {}
    changed_fields: set[str] = set()
    owners_set: dict[str, list[tuple[str, str, Any]]] = {}
    now = timezone.now()
    for values in batch:
        owners = values.pop("owners", None)
        key = values[key_field]
        obj = existing.get(key) or new.get(key)
        if obj is None:
            new[key] = model(city=city, created_at=now, updated_at=now, **values)
            if owners is not None:
                owners_set[key] = _owner_rows(owners)
            report.created += 1
            continue
        diff = [name for name, value in values.items() if getattr(obj, name) != value]
        current = owners_set.get(key, owners_now.get(key, []))
        owners_differ = owners is not None and _owner_rows(owners) != current
        if not diff and not owners_differ:
            report.unchanged += 1
            continue
        for name in diff:
            setattr(obj, name, values[name])
        if owners_differ and owners is not None:
            owners_set[key] = _owner_rows(owners)
        if key not in new:
            changed[key] = obj
            changed_fields.update(diff)
            setattr(obj, "updated_at", now)  # noqa: B010 - every register model has it
        report.updated += 1
    with transaction.atomic():
        model._default_manager.bulk_create(list(new.values()))
        if changed:
            model._default_manager.bulk_update(
                list(changed.values()), [*sorted(changed_fields), "updated_at"]
            )
        if owners_set:
            records = {**existing, **new}
            PropertyOwner.objects.filter(
                property_id__in=[existing[k].pk for k in owners_set if k in existing]
            ).delete()
            PropertyOwner.objects.bulk_create(
                [
                    PropertyOwner(
                        property_id=records[key].pk, national_code=code, name=name, share_percent=share
                    )
                    for key, owners in owners_set.items()
                    for code, name, share in owners
                ]
            )


# --- clearance -----------------------------------------------------------------------------------

CLEARANCE_DUE_DAYS = 7


def clearance_bill_create(
    *, city: City, subject_kind: str, subject_key: str, actor: User | None, payer: Person | None
) -> Bill:
    """One bill that settles everything the record owes: every unpaid bill of it is carried into it
    (as arrears lines) with the late-payment penalty due today on each, so the citizen pays once."""
    spec = record_kind(subject_kind)
    debts = record_debts(city=city, subject_kind=subject_kind, subject_key=subject_key)
    if not debts.debts:
        raise Conflict("fees.nothing_owed", _("Nothing is owed on this record; there is nothing to settle."))
    today = local_today()
    year = fiscal_year_of(today)
    penalties = [
        ItemSpec(
            ItemLine.PENALTY,
            PENALTY_FEE_TYPE,
            f"جریمه دیرکرد قبض {debt.bill.number}",
            debt.penalty,
            debt.bill.fiscal_year,
        )
        for debt in debts.debts
        if debt.penalty > 0
    ]
    code, name = "", ""
    if payer is None:
        code, name = record_payer(city=city, kind=subject_kind, key=debts.subject_key) or ("", "")
    return bill_create(
        city=city,
        kind=BillKind.CLEARANCE,
        title=f"تسویه همه بدهی‌های {spec.noun_fa} {to_persian_digits(debts.subject_key)}",
        fiscal_year=year,
        due_date=today + timedelta(days=CLEARANCE_DUE_DAYS),
        items=penalties,
        payer=payer,
        payer_national_code=code,
        payer_name=name,
        subject_kind=subject_kind,
        subject_key=debts.subject_key,
        source_key=None,
        carry=[debt.bill for debt in debts.debts],
        actor=actor,
    )
