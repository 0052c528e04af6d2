"""Annual billing: every registered record of a city billed for a fiscal year, fit for millions.

Records are read in key order a chunk at a time (``pk > checkpoint order by pk limit n``, as
tuples, never model instances); each chunk's bills, items, audit events, carried arrears, ledger
posting and the run's checkpoint (``BillingRun.last_pk``) are written in one transaction, so a
crash loses at most the chunk in flight and the next run resumes after the checkpoint. Every bill
has a source key (``annual:{city}:{year}:{kind}:{record pk}``), so a record is never billed twice
for a year.

Set-based: each fee rule is compiled once per run (``fee_rule_compile``); a chunk is planned as
plain rows (:class:`PlannedBill`) by code shared by both writers, then written by
``annual_write.copy_write`` on PostgreSQL (COPY into the tables, keys taken from their sequences)
or ``annual_write.orm_write`` elsewhere (bulk_create), one balanced ledger transaction per chunk.
A chunk costs the same number of queries whatever its size. docs/fees.md, "Annual billing".
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from daftar.billing.fee_rules import Evaluator, fee_rule_compile
from daftar.billing.ledger import Posting, ledger_post, receivable_account, revenue_account
from daftar.billing.models import (
    PAYABLE_STATUSES,
    Account,
    Bill,
    BillItem,
    BillKind,
    BillStatus,
    FeeRule,
    FiscalPolicy,
    ItemLine,
    RuleKind,
    TransactionKind,
)
from daftar.billing.numbers import BILL_NUMBER_LENGTH, check_digit
from daftar.billing.selectors import rule_in_force
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import fiscal_year_bounds
from daftar.core.text import to_persian_digits
from daftar.offices.models import City

from .models import BillingRun, RunStatus
from .selectors import KINDS, RECORD_KINDS, RecordKind, record_kind


class ProgressBar(Protocol):
    """What a progress display offers (tqdm does)."""

    def update(self, n: float | None = 1) -> bool | None: ...

    def close(self) -> None: ...


@dataclass
class AnnualKindReport:
    kind: str
    resumed_after: int = 0  # the checkpoint the run started from (0: from the beginning)
    billed: int = 0
    skipped_existing: int = 0
    nothing_due: int = 0
    carried: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (record key, reason), the first 100

    @property
    def bills_per_second(self) -> float:
        return self.billed / self.seconds if self.seconds > 0 else 0.0


@dataclass
class AnnualReport:
    city: str
    fiscal_year: int
    kinds: list[AnnualKindReport] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    city: City
    year: int
    spec: RecordKind
    rules: list[tuple[FeeRule, Evaluator]]  # each rule with its compiled evaluation
    due_date: date
    allow_partial: bool = False

    def source_key(self, pk: int) -> str:
        return f"annual:{self.city.code}:{self.year}:{self.spec.code}:{pk}"


# One line of a planned bill: (line, fee type, rule code, title, fiscal year, amount, carried from).
ItemRow = tuple[str, str, str, str, int, int, int | None]


@dataclass(slots=True)
class PlannedBill:
    """One bill to write, as plain values: what both writers (COPY and bulk_create) are given."""

    key: str  # the record's key (renewal code, licence, plate): the bill's subject
    source_key: str
    title: str
    payer_national_code: str
    payer_name: str
    payer_id: int | None
    total: int
    items: list[ItemRow]  # the charges, then the arrears lines, in seq order from 1
    number: str = ""  # the bill ID, given by the writer (a clash of random IDs gets new ones)

    def created_payload(self) -> dict[str, Any]:
        """The CREATED event's payload: every line as ``ItemSpec.as_payload`` gives it."""
        lines = []
        for line, fee_type, rule_code, title, year, amount, carried_from in self.items:
            entry: dict[str, Any] = {
                "line": line, "fee_type": fee_type, "title": title, "amount": amount,
                "fiscal_year": year, "rule_code": rule_code,
            }  # fmt: skip
            if carried_from is not None:
                entry["carried_from"] = carried_from
            lines.append(entry)
        return {"items": lines}

    @property
    def carried_from(self) -> list[int]:
        return [item[6] for item in self.items if item[6] is not None]


@dataclass
class ChunkPlan:
    """A chunk's bills and what they do to the books: revenue per fee type (arrears are not revenue)."""

    plan: _Plan
    bills: list[PlannedBill]
    revenue: dict[str, int]
    now: datetime

    @property
    def carried_ids(self) -> list[int]:
        return [pk for bill in self.bills for pk in bill.carried_from]


MAX_FAILURES_LISTED = 100
MAX_NUMBER_ATTEMPTS = 5
ProgressFactory = Callable[..., ProgressBar]  # called as progress(total=, initial=, desc=, unit=)
ChunkHook = Callable[[int], None]
Writer = Callable[[ChunkPlan], None]


def annual_bills_run(
    *,
    city: City,
    fiscal_year: int,
    kind: str | None = None,
    chunk: int = 2000,
    progress: ProgressFactory | None = None,
    chunk_hook: ChunkHook | None = None,
    use_copy: bool | None = None,
) -> AnnualReport:
    """Bill every registered record of the city for the year by the fiscal policy's annual charges.

    ``kind`` None bills each kind the policy charges, in turn. Restartable and idempotent (see the
    module docstring). ``progress`` makes a tqdm-like bar per kind; ``chunk_hook(n)`` is called
    inside each chunk's transaction, after its writes and before its commit, with the number of
    chunks this call has committed so far (a test hook: raising or exiting there loses the chunk).
    ``use_copy`` chooses the writer: None is COPY on PostgreSQL and bulk_create elsewhere; False
    forces bulk_create (the tests compare the two).
    """
    if not 1 <= chunk <= 50_000:
        raise InvalidValue("fees.chunk", _("The chunk size must be between 1 and 50000."))
    postgres = connection.vendor == "postgresql"
    if use_copy and not postgres:
        raise InvalidValue("fees.copy", _("Billing with COPY needs PostgreSQL."))
    writer = _writer(copy=postgres if use_copy is None else use_copy)
    policy = FiscalPolicy.objects.filter(city=city, fiscal_year=fiscal_year).first()
    if policy is None:
        raise Conflict(
            "fees.no_policy",
            _("There is no fiscal policy for %(year)s in this city; load its tariffs first."),
            {"year": fiscal_year},
        )
    charges = policy.annual_charges or {}
    if kind is not None:
        record_kind(kind)
        if not charges.get(kind):
            raise Conflict(
                "fees.no_annual_charges",
                _("The fiscal policy of %(year)s charges nothing annually on %(kind)s records."),
                {"year": fiscal_year, "kind": kind},
            )
    kinds = [kind] if kind is not None else [k for k in KINDS if charges.get(k)]
    if not kinds:
        raise Conflict(
            "fees.no_annual_charges",
            _("The fiscal policy of %(year)s names no annual charges."),
            {"year": fiscal_year},
        )
    plans = [
        _plan(city, fiscal_year, k, charges[k], policy.annual_due_date, policy.allows_part_payment("annual"))
        for k in kinds
    ]
    report = AnnualReport(city=city.code, fiscal_year=fiscal_year)
    for plan in plans:
        report.kinds.append(
            _run_kind(plan, chunk=chunk, progress=progress, chunk_hook=chunk_hook, writer=writer)
        )
    return report


def _writer(*, copy: bool) -> Writer:
    from .annual_write import copy_write, orm_write  # the writers build on this module

    return copy_write if copy else orm_write


def _plan(city: City, year: int, kind: str, codes: list[str], due_date: date, allow_partial: bool) -> _Plan:
    first_day = fiscal_year_bounds(year)[0]
    rules = []
    for code in codes:
        rule = rule_in_force(city=city, code=code, on=first_day)
        if rule is None:
            raise Conflict(
                "fees.annual_rule_missing",
                _("The annual charge «%(rule)s» has no rule in force on the first day of %(year)s."),
                {"rule": code, "year": year},
            )
        if rule.kind == RuleKind.CARRY:
            raise Conflict(
                "fees.annual_rule_carry",
                _("The annual charge «%(rule)s» is a carry rule; annual billing carries arrears itself."),
                {"rule": code},
            )
        compiled = fee_rule_compile(kind=rule.kind, definition=rule.definition, rule_code=rule.code)
        rules.append((rule, compiled))
    return _Plan(
        city=city,
        year=year,
        spec=RECORD_KINDS[kind],
        rules=rules,
        due_date=due_date,
        allow_partial=allow_partial,
    )


def _run_kind(
    plan: _Plan,
    *,
    chunk: int,
    progress: ProgressFactory | None,
    chunk_hook: ChunkHook | None,
    writer: Writer,
) -> AnnualKindReport:
    kind, city = plan.spec.code, plan.city
    with transaction.atomic():
        run, _created = BillingRun.objects.select_for_update().get_or_create(
            city=city, fiscal_year=plan.year, kind=kind
        )
        if run.status == RunStatus.DONE:  # a new pass over every record: only new ones get bills
            for name in ("last_pk", "billed", "skipped_existing", "nothing_due", "carried", "failed"):
                setattr(run, name, 0)
            run.status, run.started_at, run.finished_at = RunStatus.RUNNING, timezone.now(), None
            run.save()
    report = AnnualKindReport(kind=kind, resumed_after=run.last_pk)
    records = plan.spec.model._default_manager.filter(city=city)
    bar = None
    if progress is not None:
        bar = progress(
            total=records.count(), initial=records.filter(pk__lte=run.last_pk).count(), desc=kind, unit="rec"
        )
    started = time.monotonic()
    committed = 0
    billing = _ChunkBilling(plan, run_pk=run.pk, chunk=chunk, report=report, writer=writer)
    try:
        with translation.override("fa"):
            while (done := billing.next(committed, chunk_hook)) is not None:
                committed += 1
                if bar is not None:
                    bar.update(done)
    finally:
        if bar is not None:
            bar.close()
    report.seconds = time.monotonic() - started
    return report


# A record with its charges, or the reason no rule could charge it (None: already billed).
Priced = tuple[dict[str, Any], list[tuple[FeeRule, int]] | str | None]


class _ChunkBilling:
    """Bills one chunk after another, each in its own transaction with the checkpoint.

    (Evaluating the next chunk's rules in a helper thread while this one is written was tried; on
    the shared two-core box, where other work holds a core, it gained nothing measurable and added
    GIL switching, so each chunk is read, priced and written in turn.)
    """

    def __init__(
        self, plan: _Plan, *, run_pk: int, chunk: int, report: AnnualKindReport, writer: Writer
    ) -> None:
        self.plan, self.run_pk, self.chunk, self.report, self.writer = plan, run_pk, chunk, report, writer
        self.accounts: dict[str, Account] = {}

    def next(self, committed: int, chunk_hook: ChunkHook | None) -> int | None:
        """Bill the next chunk; the number of records gone over, None when none are left."""
        plan, report = self.plan, self.report
        with transaction.atomic():
            run = BillingRun.objects.select_for_update().get(pk=self.run_pk)
            if run.status == RunStatus.DONE:
                return None
            if connection.vendor == "postgresql":  # JIT-compiling the read (~25 ms) costs more than it saves
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
            rows = _records(plan, after=run.last_pk, chunk=self.chunk)
            if not rows:
                run.status, run.finished_at = RunStatus.DONE, timezone.now()
                run.save(update_fields=["status", "finished_at"])
                return None
            priced = [(row, None if row["billed"] else _priced(plan, row)) for row in rows]
            counts = self._write(priced)
            for name, value in counts.items():
                setattr(run, name, getattr(run, name) + value)
                setattr(report, name, getattr(report, name) + value)
            run.last_pk = rows[-1]["pk"]
            run.save()
            if chunk_hook is not None:
                chunk_hook(committed)
        return len(rows)

    def _write(self, priced: list[Priced]) -> dict[str, int]:
        charged, existing, nothing_due, failed = [], 0, 0, 0
        for row, lines in priced:
            if lines is None:
                existing += 1
            elif isinstance(lines, str):
                failed += 1
                if len(self.report.failures) < MAX_FAILURES_LISTED:
                    self.report.failures.append((row[self.plan.spec.key_field], lines))
            elif lines:
                charged.append((row, lines))
            else:
                nothing_due += 1
        billed = carried = 0
        if charged:
            planned = chunk_plan(self.plan, charged)
            self.writer(planned)
            _ledger_post(planned, self.accounts)
            billed, carried = len(planned.bills), len(planned.carried_ids)
        return {
            "billed": billed, "skipped_existing": existing, "nothing_due": nothing_due, "carried": carried,
            "failed": failed,
        }  # fmt: skip


def _priced(plan: _Plan, row: Mapping[str, Any]) -> list[tuple[FeeRule, int]] | str:
    """The record's charges, or why a rule cannot charge it (reported per record; the run goes on)."""
    try:
        return _charges(plan, row)
    except InvalidValue as error:
        return str(error)


def _records(plan: _Plan, *, after: int, chunk: int) -> list[dict[str, Any]]:
    """The next ``chunk`` records after ``after`` in key order, as dicts (``annual_write.records_orm``)."""
    from .annual_write import records_orm, records_sql

    if connection.vendor == "postgresql":
        return records_sql(plan, after=after, chunk=chunk)
    return records_orm(plan, after=after, chunk=chunk)


def _charges(plan: _Plan, row: Mapping[str, Any]) -> list[tuple[FeeRule, int]]:
    record = plan.spec.context(row)
    context: dict[str, Any] = {plan.spec.code: record, "fiscal_year": plan.year}
    if record.get("zone") is not None:
        context["zone"] = record["zone"]
    amounts = []
    for rule, evaluate in plan.rules:
        if amount := evaluate(context):
            amounts.append((rule, amount))
    return amounts


# --- planning (shared by both writers) ---------------------------------------------------------


def chunk_plan(
    plan: _Plan, charged: Sequence[tuple[Mapping[str, Any], list[tuple[FeeRule, int]]]]
) -> ChunkPlan:
    """The chunk's bills as plain rows: payer, charges, arrears carried from older open bills."""
    spec, year = plan.spec, plan.year
    older = _older_open_bills(plan, [row[spec.key_field] for row, _lines in charged if row["owes"]])
    revenue: dict[str, int] = defaultdict(int)
    bills = []
    for row, lines in charged:
        key = row[spec.key_field]
        items: list[ItemRow] = []
        for rule, amount in lines:
            items.append(
                (
                    ItemLine.MUNICIPAL_FEE.value,
                    rule.fee_type,
                    rule.code,
                    rule.title_fa[:200],
                    year,
                    amount,
                    None,
                )
            )
            revenue[rule.fee_type] += amount
        for old in older.get(key, ()):
            title = f"بدهی قبض {old['number']} ({old['title']})"[:200]
            owed = old["total"] - old["paid"]
            items.append(
                (ItemLine.ARREARS.value, old["fee_type"], "", title, old["fiscal_year"], owed, old["pk"])
            )
        bills.append(
            PlannedBill(
                key=key,
                source_key=plan.source_key(row["pk"]),
                title=_annual_title(spec, year, key),
                payer_national_code=row["payer_code"] or "",
                payer_name=(row["payer_name"] or "")[:200],
                payer_id=row["payer_id"],
                total=sum(item[5] for item in items),
                items=items,
            )
        )
    return ChunkPlan(plan=plan, bills=bills, revenue=dict(revenue), now=timezone.now())


def _older_open_bills(plan: _Plan, subject_keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Unpaid annual bills of earlier years of these records (locked), with their main line's fee type."""
    if not subject_keys:
        return {}
    older = list(
        Bill.objects.select_for_update()
        .filter(
            city=plan.city,
            kind=BillKind.ANNUAL,
            subject_kind=plan.spec.code,
            subject_key__in=subject_keys,
            fiscal_year__lt=plan.year,
            status__in=PAYABLE_STATUSES,
        )
        .order_by("fiscal_year", "pk")
        .values("pk", "number", "title", "subject_key", "total", "paid", "fiscal_year")
    )
    older = [bill for bill in older if bill["total"] > bill["paid"]]
    if not older:
        return {}
    main: dict[int, str] = {}
    for bill_id, fee_type in (
        BillItem.objects.filter(bill_id__in=[b["pk"] for b in older], removed=False)
        .exclude(line=ItemLine.REBATE)
        .order_by("bill_id", "-amount", "seq")
        .values_list("bill_id", "fee_type")
    ):
        main.setdefault(bill_id, fee_type)
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for bill in older:
        by_key[bill["subject_key"]].append({**bill, "fee_type": main.get(bill["pk"], "arrears")})
    return by_key


def _annual_title(spec: RecordKind, year: int, key: str) -> str:
    return f"عوارض سالانه {to_persian_digits(str(year))} — {spec.noun_fa} {to_persian_digits(key)}"[:200]


def bill_numbers_new(count: int) -> list[str]:
    """``count`` distinct fresh bill IDs (random; the database's unique index has the last word).

    Drawn as ``bill_number_new`` draws them (a first digit of 1–9, then uniform digits, then the
    check digit), with one call to the system's randomness per ID instead of one per digit.
    """
    low = 10 ** (BILL_NUMBER_LENGTH - 2)  # the smallest body without a leading zero
    numbers: set[str] = set()
    while len(numbers) < count:
        body = str(low + secrets.randbelow(9 * low))
        numbers.add(f"{body}{check_digit(body)}")
    return sorted(numbers)


def carried_mark(planned: ChunkPlan) -> None:
    """The older bills whose outstanding moved into the chunk's bills become ``carried``."""
    if carried := planned.carried_ids:
        Bill.objects.filter(pk__in=carried, status__in=PAYABLE_STATUSES).update(
            status=BillStatus.CARRIED, version=F("version") + 1, updated_at=planned.now
        )


def concurrent_check(planned: ChunkPlan) -> None:
    """After a unique violation: another run billing the same records is a conflict, not a clash."""
    if Bill.objects.filter(source_key__in=[bill.source_key for bill in planned.bills]).exists():
        raise Conflict("fees.annual_concurrent", _("Another process is billing the same records; try again."))


def _ledger_post(planned: ChunkPlan, accounts: dict[str, Account]) -> None:
    """One balanced transaction for the chunk: debit receivable, credit revenue per fee type."""
    city, plan = planned.plan.city, planned.plan
    postings: list[Posting] = [
        (_revenue(accounts, city, fee_type), -amount) for fee_type, amount in planned.revenue.items()
    ]
    postings.append((_receivable(accounts, city), sum(planned.revenue.values())))
    ledger_post(
        city=city,
        kind=TransactionKind.BILL_ISSUED,
        postings=postings,
        memo=f"annual {city.code} {plan.year} {plan.spec.code}: {len(planned.bills)} bills, "
        f"first {planned.bills[0].number}",
    )


def _revenue(accounts: dict[str, Account], city: City, fee_type: str) -> Account:
    if (account := accounts.get(fee_type)) is None:
        account = accounts[fee_type] = revenue_account(city, fee_type)
    return account


def _receivable(accounts: dict[str, Account], city: City) -> Account:
    if (account := accounts.get("")) is None:
        account = accounts[""] = receivable_account(city)
    return account
