"""Loading a city's fee rules, office tariffs and fiscal policies from its tariff file.

The file (``catalog/tariffs/<city>.yaml``, format in docs/catalogue.md, "Tariff files") lists, per
fiscal year, the named fee rules the catalogue's services use, the office tariff (کارمزد) per
service and the year's rebate and penalty terms. A rule changed in the middle of a year is a second
entry with a later ``from`` date; what earlier cases were charged stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from daftar.catalog.models import ServiceVersion, VersionStatus
from daftar.catalog.services import yaml_load_strict
from daftar.core.errors import InvalidValue, NotFound
from daftar.core.jalali import fiscal_year_bounds, parse_jalali_date
from daftar.core.memo import Memo
from daftar.offices.models import City

from .fee_rules import RULE_KINDS, fee_rule_problems
from .models import FeeRule, FiscalPolicy, OfficeTariff, RuleKind, SubjectKind

RULE_KEYS = {"title", "title_en", "fee_type", "kind", "from"}
COUNTER_COLLECTION = "billing.counter_collection"  # the office's tariff for collecting a bill at its counter
# The rules, office tariffs and fiscal policies in force, as each process last read them
# (daftar.core.memo): cleared after every load and on every save of those models (apps.py).
tariff_memo: Memo[Any] = Memo("tariffs")


@dataclass
class TariffReport:
    rules: int = 0
    tariffs: int = 0
    policies: int = 0
    missing: list[str] = field(default_factory=list)  # rule names services use that the file lacks

    def __str__(self) -> str:
        text = f"{self.rules} fee rules, {self.tariffs} office tariffs, {self.policies} fiscal policies"
        return text + (f"; missing: {', '.join(self.missing)}" if self.missing else "")


def _date(value: Any, *, where: str) -> date:
    try:
        return parse_jalali_date(str(value))
    except InvalidValue as exc:
        raise InvalidValue(
            "tariffs.date", "%(where)s: %(error)s", {"where": where, "error": str(exc)}
        ) from exc


def _bp(value: Any, *, where: str) -> int:
    """A percentage written in the file (e.g. 1.5) as basis points (150), exactly."""
    try:
        points = Decimal(str(value)) * 100
    except InvalidOperation as exc:
        raise InvalidValue("tariffs.percent", "%(where)s: not a number", {"where": where}) from exc
    if points != points.to_integral_value() or points < 0:
        raise InvalidValue(
            "tariffs.percent", "%(where)s: at most two decimals, not negative", {"where": where}
        )
    return int(points)


def _periods(
    entries: list[dict[str, Any]], year_end: date, start: date, where: str
) -> list[tuple[date, date, Any]]:
    """Each entry's [from, to] period: until the next entry's start, the last until the year's end."""
    starts = [(_date(e["from"], where=where) if e.get("from") else start, e) for e in entries]
    starts.sort(key=lambda pair: pair[0])
    periods = []
    for index, (begin, entry) in enumerate(starts):
        if not start <= begin <= year_end:
            raise InvalidValue(
                "tariffs.period", "%(where)s: 'from' is outside the fiscal year", {"where": where}
            )
        end = starts[index + 1][0] - timedelta(days=1) if index + 1 < len(starts) else year_end
        if end < begin:
            raise InvalidValue(
                "tariffs.period", "%(where)s: two entries start the same day", {"where": where}
            )
        periods.append((begin, end, entry))
    return periods


def _rule_rows(city: City, year: int, code: str, spec: Any, bounds: tuple[date, date]) -> list[FeeRule]:
    entries = spec if isinstance(spec, list) else [spec]
    rows = []
    for begin, end, entry in _periods(entries, bounds[1], bounds[0], f"{year} {code}"):
        if not isinstance(entry, dict) or not entry.get("title") or not entry.get("fee_type"):
            raise InvalidValue("tariffs.rule", "%(code)s: needs title and fee_type", {"code": code})
        kind = entry.get("kind", "fixed")
        definition = {k: v for k, v in entry.items() if k not in RULE_KEYS}
        if kind == RuleKind.CARRY:
            problems = carry_rule_problems(definition)
        elif kind not in RULE_KINDS:
            problems = [f"kind must be one of {', '.join((*RULE_KINDS, RuleKind.CARRY))}"]
        else:
            problems = fee_rule_problems(kind=kind, definition=definition)
        if problems:
            raise InvalidValue(
                "tariffs.rule",
                "%(code)s (%(year)s): %(problems)s",
                {"code": code, "year": year, "problems": "; ".join(problems)},
            )
        rows.append(
            FeeRule(
                city=city,
                fiscal_year=year,
                code=code,
                title_fa=str(entry["title"]),
                title_en=str(entry.get("title_en", "")),
                fee_type=str(entry["fee_type"]),
                kind=kind,
                definition=definition,
                effective_from=begin,
                effective_to=end,
            )
        )
    return rows


def _tariff_rows(
    city: City, year: int, code: str, spec: Any, bounds: tuple[date, date]
) -> list[OfficeTariff]:
    entries = spec if isinstance(spec, list) else [{"amount": spec}]
    rows = []
    for begin, end, entry in _periods(entries, bounds[1], bounds[0], f"{year} tariff {code}"):
        amount = entry.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidValue("tariffs.tariff", "%(code)s: the tariff is whole rials", {"code": code})
        rows.append(
            OfficeTariff(
                city=city,
                fiscal_year=year,
                service_code=code,
                amount=amount,
                effective_from=begin,
                effective_to=end,
            )
        )
    return rows


def _policy(city: City, year: int, spec: dict[str, Any]) -> FiscalPolicy:
    where = f"{year} policy"
    return FiscalPolicy(
        city=city,
        fiscal_year=year,
        annual_due_date=_date(spec["annual_due_date"], where=where),
        early_payment_until=_date(spec["early_payment_until"], where=where)
        if spec.get("early_payment_until")
        else None,
        early_payment_rebate_bp=_bp(spec.get("early_payment_rebate_percent", 0), where=where),
        late_penalty_monthly_bp=_bp(spec.get("late_penalty_monthly_percent", 0), where=where),
        late_penalty_cap_bp=_bp(spec.get("late_penalty_cap_percent", 0), where=where),
        annual_charges=_annual_charges(spec.get("annual_charges") or {}, where=where),
        part_payment=_part_payment(spec.get("part_payment") or [], where=where),
    )


def _part_payment(spec: Any, *, where: str) -> list[str]:
    if not isinstance(spec, list) or not all(isinstance(code, str) and code for code in spec):
        raise InvalidValue(
            "tariffs.part_payment",
            "%(where)s: part_payment lists 'annual' and/or service codes",
            {"where": where},
        )
    return list(spec)


def _annual_charges(spec: Any, *, where: str) -> dict[str, list[str]]:
    if not isinstance(spec, dict) or not all(
        isinstance(names, list) and all(isinstance(n, str) for n in names) for names in spec.values()
    ):
        raise InvalidValue(
            "tariffs.annual_charges",
            "%(where)s: annual_charges maps a record kind to rule names",
            {"where": where},
        )
    return {str(kind): list(names) for kind, names in spec.items()}


def carry_rule_problems(definition: dict[str, Any]) -> list[str]:
    """A carry rule: ``{subject: property|business|vehicle, fee_types?: [..], from_year?: path,
    to_year?: path, required?: bool}``."""
    problems = []
    if definition.get("subject") not in SubjectKind.values:
        problems.append(f"subject must be one of {', '.join(SubjectKind.values)}")
    fee_types = definition.get("fee_types", [])
    if not isinstance(fee_types, list) or not all(isinstance(t, str) for t in fee_types):
        problems.append("fee_types must be a list of fee types")
    for key in ("from_year", "to_year"):
        if key in definition and not isinstance(definition[key], str):
            problems.append(f"{key} must be a path such as data.from_year")
    if not isinstance(definition.get("required", False), bool):
        problems.append("required must be true or false")
    unknown = set(definition) - {"subject", "fee_types", "from_year", "to_year", "required"}
    problems += [f"unknown key {key}" for key in sorted(unknown)]
    return problems


@transaction.atomic
def tariffs_load(
    *, path: Path, fiscal_years: set[int] | None = None, check_only: bool = False
) -> TariffReport:
    """Replace the city's rules, tariffs and policies for each fiscal year in the file.

    Idempotent. Bills already issued keep their lines: they were computed when issued. With
    ``check_only`` everything is validated and nothing is kept; the report lists rule names the
    published catalogue uses that the file does not define.
    """
    data = yaml_load_strict(path.read_text(encoding="utf-8"), source=path.name) or {}
    city = City.objects.filter(code=data.get("city")).first()
    if city is None:
        raise NotFound("tariffs.city", "no city with code %(code)s", {"code": data.get("city")})
    report = TariffReport()
    used = {
        name
        for fees in ServiceVersion.objects.filter(status=VersionStatus.PUBLISHED).values_list(
            "fees", flat=True
        )
        for name in fees
    }
    for year, spec in sorted((data.get("fiscal_years") or {}).items()):
        year = int(year)
        if fiscal_years is not None and year not in fiscal_years:
            continue
        bounds = fiscal_year_bounds(year)
        rules = [
            row
            for code, rule in (spec.get("rules") or {}).items()
            for row in _rule_rows(city, year, code, rule, bounds)
        ]
        tariffs = [
            row
            for code, tariff in (spec.get("office_tariffs") or {}).items()
            for row in _tariff_rows(city, year, code, tariff, bounds)
        ]
        FeeRule.objects.filter(city=city, fiscal_year=year).delete()
        OfficeTariff.objects.filter(city=city, fiscal_year=year).delete()
        FeeRule.objects.bulk_create(rules)
        OfficeTariff.objects.bulk_create(tariffs)
        report.rules += len(rules)
        report.tariffs += len(tariffs)
        if spec.get("policy"):
            FiscalPolicy.objects.filter(city=city, fiscal_year=year).delete()
            _policy(city, year, spec["policy"]).save()
            report.policies += 1
        defined = {row.code for row in rules}
        report.missing += sorted(f"{year}:{name}" for name in used - defined)
    if check_only:
        transaction.set_rollback(True)
    else:
        transaction.on_commit(tariff_memo.clear)
    return report
