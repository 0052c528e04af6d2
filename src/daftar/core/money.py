"""Money: whole rials as ``int``, shown in rials or tomans, never a float anywhere.

Every amount in the system is an ``int`` of rials. ``float`` (and ``bool``, and ``Decimal``)
are refused with TypeError wherever an amount enters, so a binary fraction can never creep in.

Decisions:

* Display: «۱٬۲۵۰٬۰۰۰ ریال» with the Arabic thousands separator U+066C; with Latin digits
  "1,250,000 ریال". The unit word stays Persian: it is part of the figure people read.
* Tomans (1 toman = 10 rials): an amount that is not a whole number of tomans is shown with
  its one exact decimal, «۱۲۵٬۰۰۰٫۵ تومان» (Arabic decimal separator U+066B), never rounded.
* Parsing accepts Persian/Arabic/Latin digits, the separators people type (٬ , ، ' and
  spaces) and a unit word in the text; a unit written in the text («۱۲۵ تومان») wins over the
  ``unit`` argument, which is only the default for a bare number.
* Negative amounts may be formatted (balances, refunds) but never parsed from input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Literal

from django.utils.translation import gettext_lazy as _

from .errors import InvalidValue
from .text import normalize_persian, to_latin_digits, to_persian_digits

Unit = Literal["rial", "toman"]

RIALS_PER_TOMAN: Final = 10
MAX_RIALS: Final = 2**63 - 1  # the largest value a BigIntegerField holds
THOUSANDS_SEPARATOR_FA: Final = "\u066c"  # ٬
DECIMAL_SEPARATOR_FA: Final = "\u066b"  # ٫
_PERSIAN_SEPARATORS: Final = str.maketrans(",.", THOUSANDS_SEPARATOR_FA + DECIMAL_SEPARATOR_FA)
UNIT_NAMES_FA: Final[dict[Unit, str]] = {"rial": "ریال", "toman": "تومان"}

_UNIT_WORDS: Final[dict[str, Unit]] = {
    "ریال": "rial",
    "rial": "rial",
    "rials": "rial",
    "irr": "rial",
    "تومان": "toman",
    "toman": "toman",
    "tomans": "toman",
}
_UNIT_IN_TEXT = re.compile(r"\s*(" + "|".join(_UNIT_WORDS) + r")\s*$", re.IGNORECASE)
_GROUPING = re.compile(r"[\s,'\u066c\u060c\u2019_]+")
_NUMBER = re.compile(r"(\d+)(?:[.\u066b](\d+))?")
_NEGATIVE = re.compile(r"^\s*(?:[-\u2212\u2013]|منفی)")


def check_rials(amount: object) -> int:
    """Return ``amount`` if it is an int of rials; TypeError for float, bool, Decimal, str…"""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"money is an int of rials, not {type(amount).__name__}")
    return amount


def tomans_to_rials(tomans: int) -> int:
    """Whole tomans → rials."""
    return check_rials(tomans) * RIALS_PER_TOMAN


def format_rials(amount: int, *, unit: Unit = "rial", persian_digits: bool = True) -> str:
    """«۱٬۲۵۰٬۰۰۰ ریال», or in tomans «۱۲۵٬۰۰۰ تومان» (one decimal only when needed)."""
    amount = check_rials(amount)
    if unit not in UNIT_NAMES_FA:
        raise ValueError(f"unknown unit: {unit!r}")
    sign = "-" if amount < 0 else ""
    whole, fraction = abs(amount), ""
    if unit == "toman":
        whole, tenth = divmod(whole, RIALS_PER_TOMAN)
        fraction = f".{tenth}" if tenth else ""
    text = f"{sign}{whole:,}{fraction}"
    if persian_digits:
        text = to_persian_digits(text.translate(_PERSIAN_SEPARATORS))
    return f"{text} {UNIT_NAMES_FA[unit]}"


def parse_amount(text: str, *, unit: Unit = "rial") -> int:
    """Read an amount typed by a person into whole rials.

    ``unit`` says what a bare number means; "۱۲۵٬۰۰۰ تومان" is tomans whatever ``unit`` is.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if unit not in UNIT_NAMES_FA:
        raise ValueError(f"unknown unit: {unit!r}")
    cleaned = to_latin_digits(normalize_persian(text))
    if _NEGATIVE.match(cleaned):
        raise InvalidValue("amount.negative", _("An amount cannot be negative."))
    named = _UNIT_IN_TEXT.search(cleaned)
    if named:
        unit = _UNIT_WORDS[named.group(1).casefold()]
        cleaned = cleaned[: named.start()]
    cleaned = _GROUPING.sub("", cleaned)
    if not cleaned:
        raise InvalidValue("amount.empty", _("Enter an amount."))
    number = _NUMBER.fullmatch(cleaned)
    if number is None:
        raise InvalidValue("amount.format", _("Write the amount in digits, for example 1,250,000."))
    rials = _to_rials(number.group(1), (number.group(2) or "").rstrip("0"), unit)
    if rials > MAX_RIALS:
        raise InvalidValue("amount.too_large", _("This amount is too large."))
    return rials


def _to_rials(whole: str, fraction: str, unit: Unit) -> int:
    if unit == "rial":
        if fraction:
            raise InvalidValue(
                "amount.fraction", _("Rials have no fractions; enter a whole number of rials.")
            )
        return int(whole)
    if len(fraction) > 1:
        raise InvalidValue(
            "amount.toman_fraction",
            _("An amount in tomans can have at most one decimal digit (1 toman = 10 rials)."),
        )
    return int(whole) * RIALS_PER_TOMAN + int(fraction or "0")


def split_amount(total: int, parts: int | Sequence[int]) -> list[int]:
    """Split whole rials exactly: into ``parts`` near-equal shares, or in proportion to weights.

    The shares always add up to ``total``. Rials left over by rounding go one each to the
    shares with the largest remainders (earlier shares first on ties), so ``split_amount(100, 3)``
    is ``[34, 33, 33]`` and ``split_amount(1000, [1, 1, 1])`` is ``[334, 333, 333]``.
    """
    total = check_rials(total)
    if total < 0:
        raise ValueError("total must not be negative")
    weights = [1] * _count(parts) if isinstance(parts, int) else [check_rials(w) for w in parts]
    if not weights or any(weight < 0 for weight in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative with a positive sum")
    weight_sum = sum(weights)
    shares = [total * weight // weight_sum for weight in weights]
    remainders = [total * weight % weight_sum for weight in weights]
    leftover = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return shares


def _count(parts: int) -> int:
    if isinstance(parts, bool) or parts < 1:
        raise ValueError("parts must be a positive int")
    return parts
