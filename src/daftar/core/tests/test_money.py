"""Money in whole rials: formatting, parsing, splitting, and no floats anywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daftar.core.errors import InvalidValue
from daftar.core.money import (
    MAX_RIALS,
    check_rials,
    format_rials,
    parse_amount,
    split_amount,
    tomans_to_rials,
)

amounts = st.integers(min_value=0, max_value=MAX_RIALS)


@pytest.mark.parametrize(
    ("amount", "kwargs", "expected"),
    [
        (1_250_000, {}, "۱٬۲۵۰٬۰۰۰ ریال"),
        (0, {}, "۰ ریال"),
        (999, {}, "۹۹۹ ریال"),
        (1_250_000, {"unit": "toman"}, "۱۲۵٬۰۰۰ تومان"),
        (1_250_005, {"unit": "toman"}, "۱۲۵٬۰۰۰٫۵ تومان"),
        (5, {"unit": "toman"}, "۰٫۵ تومان"),
        (1_250_000, {"persian_digits": False}, "1,250,000 ریال"),
        (1_250_005, {"unit": "toman", "persian_digits": False}, "125,000.5 تومان"),
        (-5_000, {}, "-۵٬۰۰۰ ریال"),
    ],
)
def test_format_rials(amount: int, kwargs: dict[str, object], expected: str) -> None:
    assert format_rials(amount, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("not_rials", [1.0, 1250.5, True, Decimal("1250"), "1250", None])
def test_money_is_never_a_float_or_anything_but_int(not_rials: object) -> None:
    with pytest.raises(TypeError):
        format_rials(not_rials)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        check_rials(not_rials)
    with pytest.raises(TypeError):
        split_amount(not_rials, 2)  # type: ignore[arg-type]


def test_parse_amount_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_amount(1250.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_amount(1250)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "unit", "rials"),
    [
        ("1250000", "rial", 1_250_000),
        ("۱٬۲۵۰٬۰۰۰", "rial", 1_250_000),
        ("١٬٢٥٠٬٠٠٠", "rial", 1_250_000),
        ("1,250,000 ریال", "rial", 1_250_000),
        ("1 250 000", "rial", 1_250_000),
        ("۱۲۵٬۰۰۰", "toman", 1_250_000),
        ("۱۲۵٬۰۰۰ تومان", "rial", 1_250_000),  # the unit written in the text wins
        ("1,250,000 ریال", "toman", 1_250_000),
        ("125.5", "toman", 1_255),
        ("۱۲۵٫۵ تومان", "rial", 1_255),
        ("125.50", "toman", 1_255),
        ("1250.0", "rial", 1_250),
        ("0", "rial", 0),
        ("500 Tomans", "rial", 5_000),
    ],
)
def test_parse_amount_reads_what_people_type(text: str, unit: str, rials: int) -> None:
    assert parse_amount(text, unit=unit) == rials  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "unit", "code"),
    [
        ("", "rial", "amount.empty"),
        ("ریال", "rial", "amount.empty"),
        ("-5000", "rial", "amount.negative"),
        ("منفی ۵۰۰۰", "rial", "amount.negative"),
        ("12.5", "rial", "amount.fraction"),
        ("12.55", "toman", "amount.toman_fraction"),
        ("1.250.000", "rial", "amount.format"),
        ("دوازده هزار", "rial", "amount.format"),
        ("1e6", "rial", "amount.format"),
        (str(MAX_RIALS + 1), "rial", "amount.too_large"),
    ],
)
def test_parse_amount_says_what_is_wrong(text: str, unit: str, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_amount(text, unit=unit)  # type: ignore[arg-type]
    assert info.value.code == code


@given(amounts, st.sampled_from(["rial", "toman"]), st.booleans())
def test_format_then_parse_gives_the_same_rials(amount: int, unit: str, persian_digits: bool) -> None:
    text = format_rials(amount, unit=unit, persian_digits=persian_digits)  # type: ignore[arg-type]
    assert parse_amount(text) == amount


@given(st.integers(min_value=0, max_value=MAX_RIALS // 10))
def test_parse_bare_tomans(tomans: int) -> None:
    assert parse_amount(str(tomans), unit="toman") == tomans_to_rials(tomans)


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=50))
def test_equal_split_adds_up_and_differs_by_at_most_one_rial(total: int, parts: int) -> None:
    shares = split_amount(total, parts)
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


@given(
    st.integers(min_value=0, max_value=10**15),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=10).filter(lambda w: sum(w) > 0),
)
def test_weighted_split_adds_up_and_stays_within_a_rial_of_exact(total: int, weights: list[int]) -> None:
    shares = split_amount(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        exact_numerator = total * weight  # exact share = exact_numerator / sum(weights)
        assert abs(share * sum(weights) - exact_numerator) < sum(weights)


def test_split_examples() -> None:
    assert split_amount(100, 3) == [34, 33, 33]
    assert split_amount(1000, [1, 1, 1]) == [334, 333, 333]
    assert split_amount(1_000_000, [70, 30]) == [700_000, 300_000]
    assert split_amount(0, 2) == [0, 0]


@pytest.mark.parametrize(("total", "parts"), [(100, 0), (100, []), (100, [0, 0]), (100, [1, -1]), (-1, 2)])
def test_split_refuses_impossible_requests(total: int, parts: object) -> None:
    with pytest.raises(ValueError, match="must"):
        split_amount(total, parts)  # type: ignore[arg-type]
