"""Fee rules as data: each kind, exact decimal arithmetic, clear errors, and a formula sandbox."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from daftar.billing.fee_rules import RULE_KINDS, context_value, fee_rule_evaluate, fee_rule_problems
from daftar.core.errors import InvalidValue

CONTEXT: dict[str, Any] = {
    "data": {"area_m2": 240, "floors": 4, "use": "residential", "corner": True, "items": 2},
    "property": {"area_m2": 180, "use": "commercial", "zone": 3, "built_area_m2": 400},
    "vehicle": {"vehicle_type": "car", "model_year": 1398},
    "zone": 3,
    "fiscal_year": 1405,
    "years": 2,
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are checked in English, the msgid language, whatever translations exist later."""
    with translation.override("en"):
        yield


def evaluate(kind: str, definition: Mapping[str, Any], context: Mapping[str, Any] = CONTEXT) -> int:
    return fee_rule_evaluate(kind=kind, definition=definition, context=context, rule_code="T-1")


def formula(expression: str, context: Mapping[str, Any] = CONTEXT, **extra: Any) -> int:
    return evaluate("formula", {"expression": expression, **extra}, context)


def with_data(**data: Any) -> dict[str, Any]:
    return {**CONTEXT, "data": data}


# --- fixed ---------------------------------------------------------------------------------------


def test_fixed_charges_its_amount() -> None:
    assert evaluate("fixed", {"amount": 1_250_000}) == 1_250_000


@given(st.dictionaries(st.text(min_size=1), st.integers() | st.text() | st.none()))
def test_fixed_ignores_the_context(context: dict[str, Any]) -> None:
    assert evaluate("fixed", {"amount": 50_000}, context) == 50_000


# --- per_unit -------------------------------------------------------------------------------------


def test_per_unit_is_rate_times_quantity() -> None:
    assert evaluate("per_unit", {"quantity": "data.area_m2", "rate": 15_000}) == 3_600_000


def test_per_unit_free_units_are_not_charged_and_never_go_below_zero() -> None:
    rule = {"quantity": "data.area_m2", "rate": 1_000, "free_units": 100}
    assert evaluate("per_unit", rule) == 140_000
    assert evaluate("per_unit", rule, with_data(area_m2=60)) == 0
    assert evaluate("per_unit", {**rule, "free_units": "99.5"}) == 140_500


@pytest.mark.parametrize(("area", "expected"), [(1, 500_000), (100, 1_000_000), (10_000, 2_000_000)])
def test_per_unit_is_clamped_to_minimum_and_maximum(area: int, expected: int) -> None:
    rule = {"quantity": "data.area_m2", "rate": 10_000, "minimum": 500_000, "maximum": 2_000_000}
    assert evaluate("per_unit", rule, with_data(area_m2=area)) == expected


@pytest.mark.parametrize(
    ("area", "expected"),
    [("12.34", 12_000), ("12.499", 12_000), ("12.5", 13_000), ("12.4995", 13_000)],  # 12499.5 → 12500 → 13000
)
def test_per_unit_rounds_half_up_to_rials_then_to_round_to(area: str, expected: int) -> None:
    rule = {"quantity": "data.area_m2", "rate": 1_000, "round_to": 1_000}
    assert evaluate("per_unit", rule, with_data(area_m2=area)) == expected


def test_per_unit_reads_float_and_persian_digit_quantities_exactly() -> None:
    rule = {"quantity": "data.area_m2", "rate": 10}
    assert evaluate("per_unit", rule, with_data(area_m2=0.15)) == 2  # 1.5 rials, half-up; never 1.4999…
    assert evaluate("per_unit", rule, with_data(area_m2="۲۴۰")) == 2_400


def test_per_unit_refuses_a_quantity_that_is_not_a_number() -> None:
    with pytest.raises(InvalidValue) as caught:
        evaluate("per_unit", {"quantity": "data.use", "rate": 10})
    assert caught.value.code == "fee.input_not_number"
    assert "data.use" in str(caught.value)


@given(
    quantity=st.integers(min_value=-10_000, max_value=10**9),
    more=st.integers(min_value=0, max_value=10**6),
    rate=st.integers(min_value=0, max_value=10**6),
    free=st.integers(min_value=0, max_value=1_000),
    round_to=st.sampled_from([1, 10, 1_000]),
)
def test_per_unit_is_a_non_negative_int_and_monotonic_in_quantity(
    quantity: int, more: int, rate: int, free: int, round_to: int
) -> None:
    rule = {"quantity": "data.q", "rate": rate, "free_units": free, "round_to": round_to}
    low = evaluate("per_unit", rule, with_data(q=quantity))
    high = evaluate("per_unit", rule, with_data(q=quantity + more))
    assert type(low) is int
    assert 0 <= low <= high


@given(quantity=st.decimals(min_value=0, max_value=10**6, places=3), rate=st.integers(0, 10**6))
def test_per_unit_with_decimal_quantities_is_an_int(quantity: Any, rate: int) -> None:
    result = evaluate("per_unit", {"quantity": "data.q", "rate": rate}, with_data(q=str(quantity)))
    assert type(result) is int
    assert result >= 0


# --- table ----------------------------------------------------------------------------------------

BANDS = {
    "rows": [
        {"when": {"data.area_m2": {"max": 100}}, "amount": 1_000_000},
        {"when": {"data.area_m2": {"min": 100, "max": 500}}, "amount": 3_000_000},
        {"when": {"data.area_m2": {"min": 500}}, "rate": 10_000, "quantity": "data.area_m2"},
    ]
}


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        (0, 1_000_000),
        ("99.99", 1_000_000),
        (100, 3_000_000),
        (499, 3_000_000),
        (500, 5_000_000),
        (600, 6_000_000),
    ],
)
def test_table_bands_include_min_and_exclude_max(area: object, expected: int) -> None:
    assert evaluate("table", BANDS, with_data(area_m2=area)) == expected


def test_table_first_matching_row_wins_and_every_condition_must_match() -> None:
    rule = {
        "rows": [
            {"when": {"property.zone": 1, "data.use": "residential"}, "amount": 100},
            {"when": {"property.zone": [2, 3], "data.use": ["commercial", "office"]}, "amount": 200},
            {"when": {"property.zone": ["2", "3"]}, "amount": 300},
            {"when": {}, "amount": 400},
        ]
    }
    assert evaluate("table", rule) == 300  # zone 3 but use residential: the second row fails
    assert evaluate("table", rule, with_data(use="office")) == 200
    assert evaluate("table", rule, {**CONTEXT, "property": {"zone": 7}}) == 400


def test_table_matches_intake_booleans_as_true_and_false() -> None:
    rule = {
        "rows": [
            {"when": {"data.corner": "true"}, "amount": 7},
            {"when": {"data.corner": False}, "amount": 1},
        ]
    }
    assert evaluate("table", rule) == 7
    assert evaluate("table", rule, with_data(corner="False")) == 1


def test_table_compares_numbers_by_value() -> None:
    rule = {"rows": [{"when": {"zone": "3"}, "amount": 9}]}
    assert evaluate("table", rule, {"zone": 3.0}) == 9


def test_table_falls_back_to_default_and_rounds() -> None:
    rule = {"rows": [{"when": {"zone": 9}, "amount": 1}], "default": 12_345, "round_to": 1_000}
    assert evaluate("table", rule) == 12_000


def test_table_without_matching_row_or_default_is_an_error() -> None:
    with pytest.raises(InvalidValue) as caught:
        evaluate("table", {"rows": [{"when": {"zone": 9}, "amount": 1}]})
    assert caught.value.code == "fee.no_tariff_row"
    assert "T-1" in str(caught.value)


def test_table_with_a_missing_input_names_the_path() -> None:
    with pytest.raises(InvalidValue) as caught:
        evaluate("table", BANDS, {"data": {}})
    assert caught.value.code == "fee.input_missing"
    assert caught.value.params["path"] == "data.area_m2"


# --- formula --------------------------------------------------------------------------------------


def test_formula_arithmetic_is_decimal_not_binary_float() -> None:
    assert formula("100 if 0.1 + 0.2 == 0.3 else 0") == 100
    assert formula("data.area_m2 * 1.1 * 10", with_data(area_m2=3)) == 33  # 3.3 exactly, times ten
    assert formula("data.area_m2 * 1.1", with_data(area_m2=3)) == 3  # 3.3 → 3
    assert formula("data.area_m2 * 1.005", with_data(area_m2=100)) == 101  # 100.5 → 101 (float: 100.4999…)
    assert formula("data.area_m2 * 1.15", with_data(area_m2=10.0)) == 12  # 11.5 → 12, half-up


def test_formula_reads_context_names_and_dotted_paths() -> None:
    assert formula("property.built_area_m2 * zone * years") == 2_400
    assert formula("data.items * 10") == 20  # the intake value "items", not dict.items


def test_formula_functions_conditions_and_comparisons() -> None:
    assert formula("max(data.area_m2 * 1000, 500000) if data.use == 'residential' else 0") == 500_000
    assert formula("min(data.area_m2, 100, 7.5) * 2") == 15
    assert formula("ceil(data.area_m2 / 7) + floor(data.area_m2 / 7) + abs(2 - 5)") == 35 + 34 + 3
    assert formula("round_to(data.area_m2 * 1234, 1000)") == 296_000
    assert formula("10 if data.corner and not data.use != 'residential' else 1") == 10
    assert formula("5 if data.flag else 6", with_data(flag="false")) == 6
    assert formula("data.area_m2 ** 2 / 2 % 7 + 3 // 2") == 28_800 % 7 + 1
    assert formula("1 if 100 <= data.area_m2 < 300 else 2") == 1


def test_formula_is_clamped_and_rounded() -> None:
    assert formula("data.area_m2 * 10", minimum=5_000) == 5_000
    assert formula("data.area_m2 * 10", maximum=1_000) == 1_000
    assert formula("data.area_m2 * 10.5", round_to=100) == 2_500  # 2520 → 2500


def test_formula_missing_name_is_reported_with_its_path() -> None:
    with pytest.raises(InvalidValue) as caught:
        formula("business.employees * 1000")
    assert caught.value.code == "fee.input_missing"
    assert "business.employees" in str(caught.value)
    assert "T-1" in str(caught.value)


@pytest.mark.parametrize("expression", ["data.use", "data.corner", "data.area_m2 > 3", "0 - data.area_m2"])
def test_formula_must_give_a_non_negative_number(expression: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        formula(expression)
    assert caught.value.code == "fee.invalid_result"


@pytest.mark.parametrize(
    "expression", ["1 / 0", "data.use + 1", "data.area_m2 < 'x'", "min()", "round_to(5, 0)", "(-8) ** 0.5"]
)
def test_formula_that_cannot_be_computed_is_a_clear_error(expression: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        formula(expression)
    assert caught.value.code == "fee.formula_error"


def test_numbers_beyond_any_fee_are_refused_unless_clamped() -> None:
    with pytest.raises(InvalidValue) as caught:
        formula("data.n ** 10", with_data(n=10**18))
    assert caught.value.code == "fee.formula_error"
    rule = {"quantity": "data.n", "rate": 10}
    with pytest.raises(InvalidValue) as caught:
        evaluate("per_unit", rule, with_data(n=10**18))
    assert caught.value.code == "fee.invalid_result"
    assert evaluate("per_unit", {**rule, "maximum": 5_000}, with_data(n=10**18)) == 5_000


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os')",
        "().__class__",
        "data.__class__",
        "data.__class__.__mro__",
        "'a' * 10**9",
        "9**9**9",
        "2 ** 11",
        "(lambda: 1)()",
        "[x for x in data]",
        "{x: 1 for x in data}",
        "data.keys()",
        "data['area_m2']",
        "f'{data}'",
        "open('/etc/passwd')",
        "eval('1')",
        "min(data.area_m2, key=1)",
        "(1).real",
        "_secret",
        "x := 1",
        "1j",
        "b'x'",
    ],
)
def test_formula_sandbox_escapes_are_refused(expression: str) -> None:
    assert fee_rule_problems(kind="formula", definition={"expression": expression})
    with pytest.raises(InvalidValue) as caught:
        formula(expression)
    assert caught.value.code == "fee.invalid_rule"


def test_formula_problems_name_what_is_wrong() -> None:
    problems = fee_rule_problems(kind="formula", definition={"expression": "data.area_m2 *"})
    assert len(problems) == 1
    assert problems[0].startswith("expression: does not parse")
    assert fee_rule_problems(kind="formula", definition={"expression": "open(1)"}) == [
        "expression: only the functions min, max, ceil, floor, abs, round_to may be called, without keywords"
    ]


# --- definitions ----------------------------------------------------------------------------------


PER_UNIT = {"quantity": "data.a", "rate": 1}
ROW = {"amount": 1}
PATH = "must be a dotted path such as 'data.area_m2'"
FREE = "free_units: must be a number of at least 0"


@pytest.mark.parametrize(
    ("kind", "definition", "problem"),
    [
        ("sliding", {}, "kind: unknown kind 'sliding'; expected one of fixed, per_unit, table, formula"),
        ("fixed", [], "definition: must be a mapping"),
        ("fixed", {}, "amount: required"),
        ("fixed", {"amount": 5, "rate": 1}, "rate: unknown key"),
        ("fixed", {"amount": 1.5}, "amount: must be an int of rials, not float"),
        ("fixed", {"amount": True}, "amount: must be an int of rials, not bool"),
        ("fixed", {"amount": "100"}, "amount: must be an int of rials, not str"),
        ("fixed", {"amount": -1}, "amount: must be at least 0"),
        ("per_unit", {"quantity": "data.a"}, "rate: required"),
        ("per_unit", {**PER_UNIT, "round_to": 0}, "round_to: must be at least 1"),
        ("per_unit", {**PER_UNIT, "minimum": 9, "maximum": 2}, "minimum: must not be above maximum"),
        ("per_unit", {**PER_UNIT, "quantity": "data..a"}, f"quantity: {PATH}, not 'data..a'"),
        ("per_unit", {**PER_UNIT, "free_units": 1.5}, FREE),
        ("per_unit", {**PER_UNIT, "free_units": "-1"}, FREE),
        ("table", {"rows": []}, "rows: must be a non-empty list"),
        ("table", {"rows": [ROW], "default": 0.5}, "default: must be an int of rials, not float"),
        ("table", {"rows": ["x"]}, "rows[0]: must be a mapping"),
        ("table", {"rows": [{"when": {}}]}, "rows[0]: give either amount, or rate with quantity"),
        ("table", {"rows": [{**ROW, "rate": 2, "quantity": "a"}]}, "rows[0]: give either amount"),
        ("table", {"rows": [{"rate": 2}]}, f"rows[0].quantity: {PATH}, not None"),
        ("table", {"rows": [{**ROW, "then": 2}]}, "rows[0].then: unknown key"),
        ("table", {"rows": [{"amount": 1.0}]}, "rows[0].amount: must be an int of rials, not float"),
        ("table", {"rows": [{**ROW, "when": []}]}, "rows[0].when: must be a mapping of path to condition"),
        ("table", {"rows": [{**ROW, "when": {"a b": 1}}]}, f"rows[0].when: {PATH}, not 'a b'"),
        (
            "table",
            {"rows": [{**ROW, "when": {"a": {"min": 5, "max": 5}}}]},
            "rows[0].when.a: min must be below max",
        ),
        (
            "table",
            {"rows": [{**ROW, "when": {"a": {"from": 5}}}]},
            "rows[0].when.a: a band has only min and/or max",
        ),
        (
            "table",
            {"rows": [{**ROW, "when": {"a": {"min": "x"}}}]},
            "rows[0].when.a: min and max must be numbers",
        ),
        ("table", {"rows": [{**ROW, "when": {"a": []}}]}, "rows[0].when.a: a list must hold plain values"),
        (
            "table",
            {"rows": [{**ROW, "when": {"a": None}}]},
            "rows[0].when.a: must be a value, a list of values",
        ),
        ("formula", {"expression": ""}, "expression: must be a non-empty string"),
        ("formula", {"expression": 5}, "expression: must be a non-empty string"),
        ("formula", {"expression": "1 +" * 600 + "1"}, "expression: longer than 1000 characters"),
        ("formula", {"expression": "1", "maximum": 2.5}, "maximum: must be an int of rials, not float"),
    ],
)
def test_fee_rule_problems_reports_each_problem(kind: str, definition: Any, problem: str) -> None:
    problems = fee_rule_problems(kind=kind, definition=definition)
    assert any(found.startswith(problem) for found in problems), problems


def test_fee_rule_problems_reports_every_problem_at_once() -> None:
    problems = fee_rule_problems(kind="per_unit", definition={"quantity": 5, "rate": 1.5, "maxium": 3})
    assert problems == [
        "maxium: unknown key",
        "rate: must be an int of rials, not float",
        "quantity: must be a dotted path such as 'data.area_m2', not 5",
    ]


@pytest.mark.parametrize(
    ("kind", "definition"),
    [
        ("fixed", {"amount": 0}),
        ("per_unit", {**PER_UNIT, "minimum": 1, "maximum": 1, "free_units": "2.5", "round_to": 10}),
        ("table", BANDS),
        ("table", {"rows": [{"when": {"data.use": ["a", 1, True, 2.5]}, "amount": 1}], "default": 0}),
        ("formula", {"expression": "max(data.area_m2, 3) * 1.5", "minimum": 0, "round_to": 1000}),
    ],
)  # fmt: skip
def test_valid_definitions_have_no_problems(kind: str, definition: Mapping[str, Any]) -> None:
    assert fee_rule_problems(kind=kind, definition=definition) == []


def test_evaluating_an_invalid_definition_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        evaluate("fixed", {"amount": 10.5})
    assert caught.value.code == "fee.invalid_rule"
    assert "amount: must be an int of rials, not float" in str(caught.value)


def test_every_kind_is_known() -> None:
    assert RULE_KINDS == ("fixed", "per_unit", "table", "formula")


# --- context_value --------------------------------------------------------------------------------


def test_context_value_follows_dotted_paths() -> None:
    assert context_value(CONTEXT, "property.zone") == 3
    assert context_value(CONTEXT, "years") == 2
    assert context_value(CONTEXT, "data.corner") is True


@pytest.mark.parametrize(
    "path", ["business.name", "data.missing", "data.use.length", "data.blank", "data.none"]
)
def test_context_value_missing_is_an_error_naming_rule_and_path(path: str) -> None:
    context = with_data(use="residential", blank="", none=None)
    with pytest.raises(InvalidValue) as caught:
        context_value(context, path, rule_code="R-9")
    assert caught.value.code == "fee.input_missing"
    assert path in str(caught.value)
    assert "R-9" in str(caught.value)


def test_defaults_fill_an_optional_field_left_blank_and_never_override_an_answer() -> None:
    definition = {
        "expression": "data.area_m2 * 100000 + data.parking_spaces * 2000000",
        "defaults": {"data.parking_spaces": 0},
    }
    blank = {"data": {"area_m2": 120, "parking_spaces": ""}}
    assert fee_rule_evaluate(kind="formula", definition=definition, context=blank) == 12_000_000
    assert blank["data"]["parking_spaces"] == ""  # the case's data is not changed
    answered = {"data": {"area_m2": 120, "parking_spaces": 2}}
    assert fee_rule_evaluate(kind="formula", definition=definition, context=answered) == 16_000_000
    table = {
        "rows": [{"when": {"data.use": "commercial"}, "amount": 9}],
        "default": 1,
        "defaults": {"data.use": "x"},
    }
    assert fee_rule_evaluate(kind="table", definition=table, context={"data": {}}) == 1


def test_defaults_must_name_paths_and_plain_values() -> None:
    assert fee_rule_problems(kind="fixed", definition={"amount": 1, "defaults": {"data.x": 0}}) == [
        "defaults: unknown key"
    ]
    problems = fee_rule_problems(
        kind="formula", definition={"expression": "1", "defaults": {"not a path": 1, "data.y": 1.5}}
    )
    assert any(p.startswith("defaults.not a path") for p in problems)
    assert "defaults.data.y: must be an int, a decimal string, text or true/false" in problems
