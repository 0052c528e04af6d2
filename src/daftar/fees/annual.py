"""Annual billing: every registered record of a city billed for a fiscal year, fit for millions.

Records are read in key order a chunk at a time (``pk > checkpoint order by pk limit n``, as
``values()`` rows); each chunk's bills, items, audit events, carried arrears, ledger posting and the
run's checkpoint (``BillingRun.last_pk``) are written in one transaction, so a crash loses at most
the chunk in flight and the next run resumes after the checkpoint. Every bill has a source key
(``annual:{city}:{year}:{kind}:{record pk}``), so a record is never billed twice for a year.
Writes are set-based: bulk inserts, one balanced ledger transaction per chunk. docs/fees.md.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person
from daftar.billing.fee_rules import fee_rule_evaluate
from daftar.billing.ledger import Posting, ledger_post, receivable_account, revenue_account
from daftar.billing.lines import ItemSpec
from daftar.billing.models import (
    PAYABLE_STATUSES,
    Account,
    Bill,
    BillEvent,
    BillEventKind,
    BillItem,
    BillKind,
    BillStatus,
    FeeRule,
    FiscalPolicy,
    ItemLine,
    RuleKind,
    TransactionKind,
)
from daftar.billing.numbers import bill_number_new
from daftar.billing.selectors import rule_in_force
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import fiscal_year_bounds
from daftar.core.text import to_persian_digits
from daftar.offices.models import City

from .models import BillingRun, RunStatus
from .selectors import KINDS, RECORD_KINDS, RecordKind, first_owners, record_kind


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
    rules: list[FeeRule]
    due_date: Any
    allow_partial: bool = False

    def source_key(self, pk: int) -> str:
        return f"annual:{self.city.code}:{self.year}:{self.spec.code}:{pk}"


MAX_FAILURES_LISTED = 100
ProgressFactory = Callable[..., ProgressBar]  # called as progress(total=, initial=, desc=, unit=)
ChunkHook = Callable[[int], None]


def annual_bills_run(
    *,
    city: City,
    fiscal_year: int,
    kind: str | None = None,
    chunk: int = 2000,
    progress: ProgressFactory | None = None,
    chunk_hook: ChunkHook | None = None,
) -> AnnualReport:
    """Bill every registered record of the city for the year by the fiscal policy's annual charges.

    ``kind`` None bills each kind the policy charges, in turn. Restartable and idempotent (see the
    module docstring). ``progress`` makes a tqdm-like bar per kind; ``chunk_hook(n)`` is called
    inside each chunk's transaction, after its writes and before its commit, with the number of
    chunks this call has committed so far (a test hook: raising or exiting there loses the chunk).
    """
    if not 1 <= chunk <= 50_000:
        raise InvalidValue("fees.chunk", _("The chunk size must be between 1 and 50000."))
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
        report.kinds.append(_run_kind(plan, chunk=chunk, progress=progress, chunk_hook=chunk_hook))
    return report


def _plan(city: City, year: int, kind: str, codes: list[str], due_date: Any, allow_partial: bool) -> _Plan:
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
        rules.append(rule)
    return _Plan(
        city=city,
        year=year,
        spec=RECORD_KINDS[kind],
        rules=rules,
        due_date=due_date,
        allow_partial=allow_partial,
    )


def _run_kind(
    plan: _Plan, *, chunk: int, progress: ProgressFactory | None, chunk_hook: ChunkHook | None
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
    accounts: dict[str, Account] = {}
    started = time.monotonic()
    committed = 0
    try:
        with translation.override("fa"):
            while (
                done := _bill_chunk(plan, run.pk, chunk, accounts, report, committed, chunk_hook)
            ) is not None:
                committed += 1
                if bar is not None:
                    bar.update(done)
    finally:
        if bar is not None:
            bar.close()
    report.seconds = time.monotonic() - started
    return report


def _bill_chunk(
    plan: _Plan,
    run_pk: int,
    chunk: int,
    accounts: dict[str, Account],
    report: AnnualKindReport,
    committed: int,
    chunk_hook: ChunkHook | None,
) -> int | None:
    """Bill the next chunk after the checkpoint; the number of records gone over, None when none are left."""
    spec, city = plan.spec, plan.city
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_pk)
        if run.status == RunStatus.DONE:
            return None
        rows = list(
            spec.model._default_manager.filter(city=city, pk__gt=run.last_pk)
            .order_by("pk")
            .values(*spec.values)[:chunk]
        )
        if not rows:
            run.status, run.finished_at = RunStatus.DONE, timezone.now()
            run.save(update_fields=["status", "finished_at"])
            return None
        keys = {row["pk"]: plan.source_key(row["pk"]) for row in rows}
        existing = set(Bill.objects.filter(source_key__in=keys.values()).values_list("source_key", flat=True))
        planned, nothing_due, failed = [], 0, 0
        for row in rows:
            if keys[row["pk"]] in existing:
                continue
            try:
                lines = _charges(plan, row)
            except InvalidValue as error:
                failed += 1
                if len(report.failures) < MAX_FAILURES_LISTED:
                    report.failures.append((row[spec.key_field], str(error)))
                continue
            if lines:
                planned.append((row, lines))
            else:
                nothing_due += 1
        billed, carried = _bills_write(plan, planned, accounts) if planned else (0, 0)
        counts = {
            "billed": billed,
            "skipped_existing": len(existing),
            "nothing_due": nothing_due,
            "carried": carried,
            "failed": failed,
        }
        for name, value in counts.items():
            setattr(run, name, getattr(run, name) + value)
            setattr(report, name, getattr(report, name) + value)
        run.last_pk = rows[-1]["pk"]
        run.save()
        if chunk_hook is not None:
            chunk_hook(committed)
    return len(rows)


def _charges(plan: _Plan, row: Mapping[str, Any]) -> list[tuple[FeeRule, int]]:
    record = plan.spec.context(row)
    context: dict[str, Any] = {plan.spec.code: record, "fiscal_year": plan.year}
    if record.get("zone") is not None:
        context["zone"] = record["zone"]
    amounts = []
    for rule in plan.rules:
        amount = fee_rule_evaluate(
            kind=rule.kind, definition=rule.definition, context=context, rule_code=rule.code
        )
        if amount:
            amounts.append((rule, amount))
    return amounts


def _payers(plan: _Plan, rows: list[Mapping[str, Any]]) -> dict[int, tuple[str, str, int | None]]:
    """Each record's payer: (national code, name, Person id when the person is known), in two queries."""
    if plan.spec.code == "property":
        owners = first_owners(property_ids=[row["pk"] for row in rows])
    else:
        owners = {row["pk"]: (row["owner_national_code"], row["owner_name"]) for row in rows}
    codes = {code for code, _name in owners.values()}
    people = dict(Person.objects.filter(national_code__in=codes).values_list("national_code", "pk"))
    return {pk: (code, name, people.get(code)) for pk, (code, name) in owners.items()}


def _older_open_bills(plan: _Plan, subject_keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Unpaid annual bills of earlier years of these records (locked), with their main line's fee type."""
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


def _bills_write(
    plan: _Plan,
    planned: Sequence[tuple[Mapping[str, Any], list[tuple[FeeRule, int]]]],
    accounts: dict[str, Account],
) -> tuple[int, int]:
    """Write the chunk's bills, items, events, carried arrears and one ledger transaction."""
    spec, city, year = plan.spec, plan.city, plan.year
    payers = _payers(plan, [row for row, _lines in planned])
    older = _older_open_bills(plan, [row[spec.key_field] for row, _lines in planned])
    now = timezone.now()
    bills, specs_of = [], []
    for row, lines in planned:
        key = row[spec.key_field]
        specs = [
            ItemSpec(ItemLine.MUNICIPAL_FEE, rule.fee_type, rule.title_fa, amount, year, rule_code=rule.code)
            for rule, amount in lines
        ]
        arrears = [
            (ItemSpec(ItemLine.ARREARS, old["fee_type"], f"بدهی قبض {old['number']} ({old['title']})"[:200],
                      old["total"] - old["paid"], old["fiscal_year"]), old["pk"])
            for old in older.get(key, [])
        ]  # fmt: skip
        code, name, person_id = payers.get(row["pk"], ("", "", None))
        bills.append(
            Bill(
                city=city,
                kind=BillKind.ANNUAL,
                title=_annual_title(spec, year, key),
                payer_id=person_id,
                payer_national_code=code,
                payer_name=name[:200],
                subject_kind=spec.code,
                subject_key=key,
                fiscal_year=year,
                total=sum(s.amount for s in specs) + sum(s.amount for s, _pk in arrears),
                due_date=plan.due_date,
                allow_partial=plan.allow_partial,
                source_key=plan.source_key(row["pk"]),
                created_at=now,
                updated_at=now,
            )
        )
        specs_of.append((specs, arrears))
    _bills_insert(bills)
    items: list[BillItem] = []
    events: list[BillEvent] = []
    carried_ids: list[int] = []
    revenue: dict[str, int] = defaultdict(int)
    for bill, (specs, arrears) in zip(bills, specs_of, strict=True):
        for seq, spec_ in enumerate(specs, start=1):
            items.append(_item(bill, seq, spec_, None))
            revenue[spec_.fee_type] += spec_.amount
        for seq, (spec_, old_pk) in enumerate(arrears, start=len(specs) + 1):
            items.append(_item(bill, seq, spec_, old_pk))
            carried_ids.append(old_pk)
            events.append(
                BillEvent(bill_id=old_pk, kind=BillEventKind.AMENDED, payload={"carried_into": bill.number})
            )
        payload = [s.as_payload() for s in specs] + [
            {**s.as_payload(), "carried_from": pk} for s, pk in arrears
        ]
        events.append(BillEvent(bill=bill, kind=BillEventKind.CREATED, payload={"items": payload}))
    BillItem.objects.bulk_create(items, batch_size=2000)
    if carried_ids:
        Bill.objects.filter(pk__in=carried_ids, status__in=PAYABLE_STATUSES).update(
            status=BillStatus.CARRIED, version=F("version") + 1, updated_at=now
        )
    BillEvent.objects.bulk_create(events, batch_size=2000)
    postings: list[Posting] = [
        (_revenue(accounts, city, fee_type), -amount) for fee_type, amount in revenue.items()
    ]
    postings.append((_receivable(accounts, city), sum(revenue.values())))
    ledger_post(
        city=city,
        kind=TransactionKind.BILL_ISSUED,
        postings=postings,
        memo=f"annual {city.code} {year} {spec.code}: {len(bills)} bills, first {bills[0].number}",
    )
    return len(bills), len(carried_ids)


def _annual_title(spec: RecordKind, year: int, key: str) -> str:
    return f"عوارض سالانه {to_persian_digits(str(year))} — {spec.noun_fa} {to_persian_digits(key)}"[:200]


def _item(bill: Bill, seq: int, spec: ItemSpec, carried_from_id: int | None) -> BillItem:
    return spec.as_item(bill=bill, seq=seq, carried_from_id=carried_from_id)


def _revenue(accounts: dict[str, Account], city: City, fee_type: str) -> Account:
    if (account := accounts.get(fee_type)) is None:
        account = accounts[fee_type] = revenue_account(city, fee_type)
    return account


def _receivable(accounts: dict[str, Account], city: City) -> Account:
    if (account := accounts.get("")) is None:
        account = accounts[""] = receivable_account(city)
    return account


def _bills_insert(bills: list[Bill], attempts: int = 5) -> None:
    """Insert the chunk's bills with fresh bill IDs; a rare clash of random IDs gets new ones."""
    for _attempt in range(attempts):
        numbers = {bill_number_new() for _bill in bills}
        while len(numbers) < len(bills):
            numbers.add(bill_number_new())
        numbers -= set(Bill.objects.filter(number__in=numbers).values_list("number", flat=True))
        if len(numbers) < len(bills):
            continue
        for bill, number in zip(bills, sorted(numbers), strict=False):
            bill.number = number
        try:
            with transaction.atomic():
                Bill.objects.bulk_create(bills)
            return
        except IntegrityError:
            for bill in bills:
                bill.pk = None
            if Bill.objects.filter(source_key__in=[b.source_key for b in bills]).exists():
                raise Conflict(
                    "fees.annual_concurrent", _("Another process is billing the same records; try again.")
                ) from None
    raise Conflict("bill.number_exhausted", _("Could not allocate a bill ID; try again."))
