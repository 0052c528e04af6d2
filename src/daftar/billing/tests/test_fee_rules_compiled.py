"""Compiled fee rules equal the reference evaluation: same rials, same errors, for any context.

``fee_rule_compile`` turns a rule into closures once (annual billing runs it a million times);
``_evaluate_reference`` is the plain evaluation (definition checked per call, formula walked by
simpleeval). For every shipped rule of every tariff file (annual ones first: they are what
``bill_annual`` runs) and the rules the tests use, random contexts must give the same result.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from daftar.billing.fee_rules import (
    FUNCTIONS,
    _evaluate_reference,
    fee_rule_compile,
    fee_rule_evaluate,
)
from daftar.billing.tariffs import RULE_KEYS
from daftar.catalog.services import yaml_load_strict
from daftar.core.errors import InvalidValue
from daftar.fees.tests.conftest import RULES as FEES_TEST_RULES

TARIFF_DIR = Path(settings.PROJECT_DIR) / "catalog" / "tariffs"

# Rules of the fee-rule tests, with the edges compiled code could get wrong: defaults, free units,
# bands, options, booleans, chained comparisons, and/or, powers, functions, clamps.
TEST_RULES: dict[str, tuple[str, dict[str, Any]]] = {
    "test.per_unit": ("per_unit", {"quantity": "data.area_m2", "rate": 1500, "free_units": "20.5",
                                   "minimum": 100_000, "maximum": 900_000, "round_to": 1000,
                                   "defaults": {"data.area_m2": 0}}),
    "test.bands": ("table", {"rows": [
        {"when": {"data.area_m2": {"max": 100}}, "amount": 1_000_000},
        {"when": {"data.area_m2": {"min": 100, "max": 500}}, "rate": 12_000, "quantity": "data.area_m2"},
        {"when": {"data.corner": True, "data.use": ["residential", "commercial"]}, "amount": 7},
        {"when": {"zone": 3}, "amount": 3},
    ], "default": 2_500_000, "round_to": 500}),
    "test.no_default": ("table", {"rows": [{"when": {"data.use": "residential"}, "amount": 5}]}),
    "test.formula": ("formula", {
        "expression": "round_to(data.area_m2 ** 2 / 3, 1000) if 0 < data.area_m2 <= 300 "
                      "and not data.corner else max(data.floors, 1) * 1.15 + floor(data.area_m2 / 7) "
                      "- ceil(abs(-data.floors) % 4) if data.use != 'commercial' or data.corner == 'true' "
                      "else min(data.area_m2 // 3, 99)",
        "minimum": 10, "maximum": 10**12, "defaults": {"data.floors": 2}}),
    "test.fixed": ("fixed", {"amount": 1_250_000}),
    **{code: (rule["kind"], rule["definition"]) for code, rule in FEES_TEST_RULES.items()},
}  # fmt: skip


def shipped_rules(*, annual_only: bool) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every amount rule (not carry rules) of every year of every tariff file, by ``file/year/code``."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted(TARIFF_DIR.glob("*.yaml")):
        data = yaml_load_strict(path.read_text(encoding="utf-8"), source=path.name) or {}
        for year, spec in (data.get("fiscal_years") or {}).items():
            for code, entry in (spec.get("rules") or {}).items():
                if annual_only != code.startswith("fees.annual_"):
                    continue
                for index, version in enumerate(entry if isinstance(entry, list) else [entry]):
                    kind = version.get("kind", "fixed")
                    if kind == "carry":
                        continue
                    definition = {k: v for k, v in version.items() if k not in RULE_KEYS}
                    found[f"{path.stem}/{year}/{code}/{index}"] = (kind, definition)
    return found


ANNUAL_RULES = shipped_rules(annual_only=True)
OTHER_RULES = shipped_rules(annual_only=False)


def test_every_tariff_file_has_annual_rules_to_check() -> None:
    assert ANNUAL_RULES, "no fees.annual_* rule found in catalog/tariffs"
    assert {key.split("/")[2] for key in ANNUAL_RULES} >= {
        "fees.annual_renewal", "fees.annual_waste", "fees.annual_business", "fees.annual_vehicle",
    }  # fmt: skip


def _paths_and_words(definition: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """The context paths a rule reads, and the literal values it compares them with."""
    paths: list[str] = list(definition.get("defaults") or {})
    words: list[Any] = []
    if "quantity" in definition:
        paths.append(definition["quantity"])
    for row in definition.get("rows") or []:
        if "quantity" in row:
            paths.append(row["quantity"])
        for path, condition in (row.get("when") or {}).items():
            paths.append(path)
            if isinstance(condition, list | tuple):
                words += list(condition)
            elif isinstance(condition, Mapping):
                words += list(condition.values())
            else:
                words.append(condition)
    if "expression" in definition:
        for node in ast.walk(ast.parse(definition["expression"].strip(), mode="eval")):
            if isinstance(node, ast.Attribute | ast.Name):
                name = _dotted(node)
                if name and name not in FUNCTIONS:
                    paths.append(name)
            if isinstance(node, ast.Constant):
                words.append(node.value)
    # the longest first so that "data" alone never hides "data.area_m2"
    return sorted(set(paths), key=len, reverse=True), words


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return node.id if isinstance(node, ast.Name) else ""


MISSING = object()


def _values(words: list[Any]) -> st.SearchStrategy[Any]:
    plain = [word for word in words if isinstance(word, str | int | float | bool)]
    numbers = st.one_of(
        st.integers(min_value=-5, max_value=2_000),
        st.integers(min_value=0, max_value=10**7),
        st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False).map(str),
        st.floats(min_value=0, max_value=5_000, allow_nan=False, allow_infinity=False),
        st.sampled_from(["۱۲۰", "12.5", " 40 ", "abc", "", "1e3", "true", "false", "TRUE"]),
    )
    choices = [numbers, st.booleans(), st.none(), st.just(MISSING)]
    if plain:
        choices.insert(0, st.sampled_from(plain))
    return st.one_of(*choices)


@st.composite
def contexts(draw: st.DrawFn, definition: Mapping[str, Any]) -> dict[str, Any]:
    paths, words = _paths_and_words(definition)
    values = _values(words)
    context: dict[str, Any] = {}
    for path in paths:
        value = draw(values)
        if value is MISSING:
            continue
        *parents, leaf = path.split(".")
        node = context
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node.setdefault(leaf, value)
    return context


def _outcome(call: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "rials", call(*args, **kwargs)
    except InvalidValue as error:
        return "error", (error.code, str(error), {k: str(v) for k, v in error.params.items()})


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _check(code: str, kind: str, definition: dict[str, Any], data: st.DataObject) -> None:
    compiled = fee_rule_compile(kind=kind, definition=definition, rule_code=code)
    for _attempt in range(5):
        context = data.draw(contexts(definition))
        rule = {"kind": kind, "definition": definition, "rule_code": code}
        expected = _outcome(_evaluate_reference, context=context, **rule)
        assert _outcome(compiled, context) == expected, (code, context)
        cached = _outcome(fee_rule_evaluate, context=context, **rule)
        assert cached == expected, (code, context)


CHECKED = hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("code", sorted(ANNUAL_RULES))
@CHECKED
@given(data=st.data())
def test_compiled_annual_rules_equal_the_reference(code: str, data: st.DataObject) -> None:
    kind, definition = ANNUAL_RULES[code]
    _check(code, kind, definition, data)


@pytest.mark.parametrize("code", sorted(TEST_RULES))
@CHECKED
@given(data=st.data())
def test_compiled_test_rules_equal_the_reference(code: str, data: st.DataObject) -> None:
    kind, definition = TEST_RULES[code]
    _check(code, kind, definition, data)


@pytest.mark.parametrize("code", sorted(OTHER_RULES))
@hypothesis_settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_compiled_case_rules_equal_the_reference(code: str, data: st.DataObject) -> None:
    kind, definition = OTHER_RULES[code]
    _check(code, kind, definition, data)


def test_annual_rules_on_realistic_records_give_amounts_not_errors() -> None:
    """The property test above could pass by erroring alike everywhere; real records must charge."""
    for code, (kind, definition) in ANNUAL_RULES.items():
        compiled = fee_rule_compile(kind=kind, definition=definition, rule_code=code)
        context = {
            "property": {"area_m2": 180, "built_area_m2": 420, "use": "residential", "zone": 6},
            "business": {"area_m2": 45, "guild": "5610", "zone": 6},
            "vehicle": {"vehicle_type": "car", "model_year": 1398, "plate": "12ب345-67"},
            "zone": 6,
            "fiscal_year": int(code.split("/")[1]),
        }
        expected = _evaluate_reference(kind=kind, definition=definition, context=context, rule_code=code)
        assert compiled(context) == expected > 0


def test_an_invalid_rule_compiles_to_the_same_error_on_every_call() -> None:
    compiled = fee_rule_compile(kind="formula", definition={"expression": "__import__('os')"}, rule_code="X")
    for _call in range(2):
        with pytest.raises(InvalidValue) as caught:
            compiled({})
        assert caught.value.code == "fee.invalid_rule"


def test_evaluation_follows_a_definition_edited_in_place() -> None:
    """The cache is keyed on the definition's content, never on the dict object."""
    definition: dict[str, Any] = {"amount": 1000}
    assert fee_rule_evaluate(kind="fixed", definition=definition, context={}) == 1000
    definition["amount"] = 2000
    assert fee_rule_evaluate(kind="fixed", definition=definition, context={}) == 2000


def test_a_formula_nested_too_deep_for_closures_still_equals_the_reference() -> None:
    expression = "-" * 60 + "(data.a + 1)"
    context = {"data": {"a": 4}}
    definition = {"expression": expression}
    assert fee_rule_compile(kind="formula", definition=definition)(context) == _evaluate_reference(
        kind="formula", definition=definition, context=context
    )
