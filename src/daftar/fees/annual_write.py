# ruff: noqa: S608 - SQL names come from the models; values are always parameters
"""The database side of annual billing: reading a chunk of records, and writing its planned bills.

Two of each: PostgreSQL reads with one SQL query and writes with COPY; any database (SQLite in
tests and the demo) reads with the ORM and writes with bulk_create. Both writers are given the same
plain rows (``annual.ChunkPlan``) and write the same thing (the tests compare them).

COPY, no model instances: inside the chunk's transaction (Django's connection, its psycopg
cursor), one query takes the chunk's primary keys from the bill, item and event sequences, so
items and events can name their bill before it is written; then ``COPY ... FROM STDIN`` writes the
bills (in a savepoint: a clash of random bill IDs aborts the whole statement, so it is rolled back
and written again with fresh IDs), the items and, after the older bills are marked carried, the
audit events (payloads as JSON text). Columns the chunk does not set get the model field's
default, read once per process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from psycopg import Cursor
from psycopg import errors as pg_errors

from daftar.accounts.models import Person
from daftar.billing.models import PAYABLE_STATUSES, Bill, BillEvent, BillEventKind, BillItem, BillKind
from daftar.core.errors import Conflict
from daftar.offices.models import Zone

from .annual import (
    MAX_NUMBER_ATTEMPTS,
    ChunkPlan,
    _Plan,
    bill_numbers_new,
    carried_mark,
    concurrent_check,
)
from .models import PropertyOwner

BILL_FIELDS = (
    "number", "city_id", "kind", "title", "payer_id", "payer_national_code", "payer_name", "subject_kind",
    "subject_key", "fiscal_year", "total", "due_date", "allow_partial", "source_key", "created_at",
    "updated_at",
)  # fmt: skip
ITEM_FIELDS = (
    "bill_id",
    "seq",
    "line",
    "fee_type",
    "rule_code",
    "title",
    "fiscal_year",
    "amount",
    "carried_from_id",
)
EVENT_FIELDS = ("bill_id", "kind", "payload", "created_at")


@dataclass(frozen=True)
class CopyTable:
    """How rows of one model are COPYed: the id, the given fields in order, then every other
    column with its field default (constant for the process)."""

    model: type[models.Model]
    statement: str
    defaults: tuple[Any, ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table


@cache
def copy_table(model: type[models.Model], given: tuple[str, ...]) -> CopyTable:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_attname = {f.attname: f for f in fields}
    if unknown := [name for name in given if name not in by_attname]:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    rest = [f for f in fields if f.attname not in given]
    for f in rest:
        if f.has_default() and callable(f.default):  # a default per row (a time): give it explicitly
            raise ValueError(f"{model.__name__}.{f.attname} has a callable default; give it in the row")
    defaults = tuple(_copy_value(f, f.get_default()) for f in rest)
    pk = model._meta.pk
    assert pk is not None
    columns = [pk.column, *(by_attname[name].column for name in given), *(f.column for f in rest)]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    return CopyTable(model=model, statement=statement, defaults=defaults)


def _copy_value(field: models.Field[Any, Any], value: Any) -> Any:
    if isinstance(value, Enum):  # a choices member: its value (psycopg would write an enum's name)
        value = value.value
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return value


def _copy(cursor: Cursor[Any], table: CopyTable, rows: Iterable[tuple[Any, ...]]) -> None:
    defaults = table.defaults
    with cursor.copy(table.statement) as copy:
        for row in rows:
            copy.write_row((*row, *defaults))


@cache
def _sequence(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (name,) = cursor.fetchone() or (None,)
    if not name:
        raise RuntimeError(f"{table}.id has no sequence")
    return str(name)


def primary_keys_take(counts: Sequence[tuple[type[models.Model], int]]) -> list[list[int]]:
    """``count`` fresh primary keys of each model, from its sequence, in one query."""
    parts: list[str] = []
    params: list[str | int] = []
    for model, count in counts:
        parts.append("ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))")
        params += [_sequence(model._meta.db_table), count]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    assert row is not None
    return [sorted(keys) for keys in row]


def copy_write(planned: ChunkPlan) -> None:
    """Write the chunk's bills, items, events and carried arrears with COPY (PostgreSQL)."""
    plan, now, bills = planned.plan, planned.now, planned.bills
    item_count = sum(len(bill.items) for bill in bills)
    event_count = len(bills) + sum(len(bill.carried_from) for bill in bills)
    bill_ids, item_ids, event_ids = primary_keys_take(
        [(Bill, len(bills)), (BillItem, item_count), (BillEvent, event_count)]
    )
    with connection.cursor() as wrapper:
        cursor: Cursor[Any] = wrapper.cursor  # psycopg's own cursor, in Django's transaction
        common = (plan.city.pk, BillKind.ANNUAL.value)
        for _attempt in range(MAX_NUMBER_ATTEMPTS):
            numbers = bill_numbers_new(len(bills))
            rows = (
                (pk, number, *common, b.title, b.payer_id, b.payer_national_code, b.payer_name,
                 plan.spec.code, b.key, plan.year, b.total, plan.due_date, plan.allow_partial, b.source_key,
                 now, now)
                for pk, number, b in zip(bill_ids, numbers, bills, strict=True)
            )  # fmt: skip
            try:
                with transaction.atomic():  # a savepoint: a clash aborts only this COPY
                    _copy(cursor, copy_table(Bill, BILL_FIELDS), rows)
            except pg_errors.UniqueViolation:
                concurrent_check(planned)
                continue
            break
        else:
            raise Conflict("bill.number_exhausted", _("Could not allocate a bill ID; try again."))
        for bill, number in zip(bills, numbers, strict=True):
            bill.number = number
        keys = iter(item_ids)
        _copy(
            cursor,
            copy_table(BillItem, ITEM_FIELDS),
            ((next(keys), pk, seq, *item) for pk, b in zip(bill_ids, bills, strict=True)
             for seq, item in enumerate(b.items, 1)),
        )  # fmt: skip
        carried_mark(planned)
        _copy(cursor, copy_table(BillEvent, EVENT_FIELDS), _event_rows(planned, bill_ids, event_ids))


def _event_rows(planned: ChunkPlan, bill_ids: list[int], event_ids: list[int]) -> Iterable[tuple[Any, ...]]:
    """Per bill, in the bulk_create writer's order: AMENDED on each carried bill, then CREATED."""
    keys, now, dumps = iter(event_ids), planned.now, json.dumps
    for pk, bill in zip(bill_ids, planned.bills, strict=True):
        for old_pk in bill.carried_from:
            yield next(keys), old_pk, BillEventKind.AMENDED.value, dumps({"carried_into": bill.number}), now
        yield (
            next(keys),
            pk,
            BillEventKind.CREATED.value,
            dumps(bill.created_payload(), ensure_ascii=False),
            now,
        )


def records_sql(plan: _Plan, *, after: int, chunk: int) -> list[dict[str, Any]]:
    """What ``annual.records_orm`` reads, in one query whose every lookup is an index probe.

    LATERAL subqueries with LIMIT 1 are run once per record by construction; the ORM's EXISTS and
    IN lists leave PostgreSQL free to hash a scan of every bill (it did, with statistics that lag
    behind a run adding a million bills) and to estimate an IN list element by element.
    """
    spec, quote = plan.spec, connection.ops.quote_name
    meta = spec.model._meta
    selected, joins = [], []
    for name in spec.values:
        if name == "pk":
            selected.append("r.id")
        elif name == "zone__number":
            selected.append("z.number")
            joins.append(f"LEFT JOIN {quote(Zone._meta.db_table)} z ON z.id = r.zone_id")
        else:
            selected.append(f"r.{quote(_column(spec.model, name))}")
    if spec.code == "property":
        owners = quote(PropertyOwner._meta.db_table)
        joins.append(
            f"LEFT JOIN LATERAL (SELECT national_code, name FROM {owners} WHERE property_id = r.id "
            "ORDER BY share_percent DESC, id LIMIT 1) o ON true"
        )
        selected += ["o.national_code", "o.name"]
        payer_code = "o.national_code"
    else:
        selected += ["r.owner_national_code", "r.owner_name"]
        payer_code = "r.owner_national_code"
    bills, key = quote(Bill._meta.db_table), quote(_column(spec.model, spec.key_field))
    joins += [
        f"LEFT JOIN LATERAL (SELECT id FROM {quote(Person._meta.db_table)} "
        f"WHERE national_code = {payer_code} LIMIT 1) pe ON true",
        f"LEFT JOIN LATERAL (SELECT id FROM {bills} WHERE source_key = %(prefix)s || r.id LIMIT 1) b ON true",
        f"LEFT JOIN LATERAL (SELECT id FROM {bills} WHERE subject_kind = %(kind)s AND subject_key = r.{key} "
        "AND status IN ('open', 'partly_paid') AND city_id = %(city)s AND kind = 'annual' "
        "AND fiscal_year < %(year)s LIMIT 1) ob ON true",
    ]
    selected += ["pe.id", "b.id IS NOT NULL", "ob.id IS NOT NULL"]
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(meta.db_table)} r {' '.join(joins)} "
        "WHERE r.city_id = %(city)s AND r.id > %(after)s ORDER BY r.id LIMIT %(chunk)s"
    )
    params: dict[str, str | int] = {
        "prefix": plan.source_key(0)[:-1], "kind": spec.code, "city": plan.city.pk, "year": plan.year,
        "after": after, "chunk": chunk,
    }  # fmt: skip
    names = (*spec.values, "payer_code", "payer_name", "payer_id", "billed", "owes")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return str(getattr(field, "column", name))


# --- any database: the ORM ----------------------------------------------------------------------


def orm_write(planned: ChunkPlan) -> None:
    """Write the chunk's bills, items, events and carried arrears with bulk_create."""
    plan, now = planned.plan, planned.now
    bills = [
        Bill(
            city=plan.city,
            kind=BillKind.ANNUAL,
            title=bill.title,
            payer_id=bill.payer_id,
            payer_national_code=bill.payer_national_code,
            payer_name=bill.payer_name,
            subject_kind=plan.spec.code,
            subject_key=bill.key,
            fiscal_year=plan.year,
            total=bill.total,
            due_date=plan.due_date,
            allow_partial=plan.allow_partial,
            source_key=bill.source_key,
            created_at=now,
            updated_at=now,
        )
        for bill in planned.bills
    ]
    _bills_insert(planned, bills)
    items: list[BillItem] = []
    events: list[BillEvent] = []
    for bill, plain in zip(bills, planned.bills, strict=True):
        for seq, (line, fee_type, rule_code, title, year, amount, carried_from) in enumerate(plain.items, 1):
            items.append(
                BillItem(bill=bill, seq=seq, line=line, fee_type=fee_type, rule_code=rule_code, title=title,
                         fiscal_year=year, amount=amount, carried_from_id=carried_from)
            )  # fmt: skip
        for old_pk in plain.carried_from:
            events.append(
                BillEvent(bill_id=old_pk, kind=BillEventKind.AMENDED, payload={"carried_into": bill.number},
                          created_at=now)
            )  # fmt: skip
        events.append(
            BillEvent(bill=bill, kind=BillEventKind.CREATED, payload=plain.created_payload(), created_at=now)
        )
    BillItem.objects.bulk_create(items, batch_size=2000)
    carried_mark(planned)
    BillEvent.objects.bulk_create(events, batch_size=2000)


def _bills_insert(planned: ChunkPlan, bills: list[Bill]) -> None:
    """Insert the chunk's bills with fresh bill IDs; a rare clash of random IDs gets new ones."""
    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        numbers = set(bill_numbers_new(len(bills)))
        numbers -= set(Bill.objects.filter(number__in=numbers).values_list("number", flat=True))
        if len(numbers) < len(bills):
            continue
        for bill, number in zip(bills, sorted(numbers), strict=True):
            bill.number = number
        try:
            with transaction.atomic():
                Bill.objects.bulk_create(bills)
        except IntegrityError:
            for bill in bills:
                bill.pk = None
            concurrent_check(planned)
        else:
            for plain, bill in zip(planned.bills, bills, strict=True):
                plain.number = bill.number
            return
    raise Conflict("bill.number_exhausted", _("Could not allocate a bill ID; try again."))


def records_orm(plan: _Plan, *, after: int, chunk: int) -> list[dict[str, Any]]:
    """The next ``chunk`` records after ``after`` in key order, as dicts, in three queries.

    Besides the columns fee rules read (``RecordKind.values``), each row says who pays:
    ``payer_code``/``payer_name`` (a property's owner with the largest share, then the first
    listed; a business's or vehicle's owner) and ``payer_id`` (the Person with that national code,
    when there is one); whether the record already has this year's bill (``billed``) and may owe
    older annual bills (``owes``: only then are they read, and locked). On PostgreSQL one query
    does all of it (``records_sql``), and the tests check the two agree.
    """
    spec, city = plan.spec, plan.city
    records = spec.model._default_manager.filter(city=city, pk__gt=after).order_by("pk")
    if spec.code == "property":
        owners = PropertyOwner.objects.filter(property=OuterRef("pk")).order_by("-share_percent", "pk")
        code, name = Subquery(owners.values("national_code")[:1]), Subquery(owners.values("name")[:1])
        records = records.annotate(payer_code=code, payer_name=name)
    else:
        records = records.annotate(payer_code=F("owner_national_code"), payer_name=F("owner_name"))
    person = Person.objects.filter(national_code=OuterRef("payer_code")).values("pk")[:1]
    records = records.annotate(payer_id=Subquery(person))
    names = (*spec.values, "payer_code", "payer_name", "payer_id")
    rows = [dict(zip(names, values, strict=True)) for values in records.values_list(*names)[:chunk]]
    if not rows:
        return rows
    keys = {plan.source_key(row["pk"]): row for row in rows}
    billed = set(Bill.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    owing = set(
        Bill.objects.filter(
            city=city, kind=BillKind.ANNUAL, subject_kind=spec.code, fiscal_year__lt=plan.year,
            status__in=PAYABLE_STATUSES, subject_key__in=[row[spec.key_field] for row in rows],
        ).values_list("subject_key", flat=True)
    )  # fmt: skip
    for source_key, row in keys.items():
        row["billed"], row["owes"] = source_key in billed, row[spec.key_field] in owing
    return rows
