"""Numbers printed on bills, payments and refunds.

A bill ID (شناسه قبض) is 13 digits: 12 random digits and a check digit computed the way Iranian
bill IDs are (weights 2–7 repeating from the right, modulo 11; a remainder of 0 or 1 gives 0), so a
mistyped digit at the counter is caught before any lookup. Random rather than sequential so bill IDs
cannot be enumerated.
"""

from __future__ import annotations

import secrets

from daftar.core.text import to_latin_digits

BILL_NUMBER_LENGTH = 13


def check_digit(digits: str) -> int:
    total = sum(int(digit) * (2 + index % 6) for index, digit in enumerate(reversed(digits)))
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


def _random_digits(count: int) -> str:
    first = str(1 + secrets.randbelow(9))  # no leading zero: the number survives spreadsheets
    return first + "".join(str(secrets.randbelow(10)) for _ in range(count - 1))


def bill_number_new() -> str:
    body = _random_digits(BILL_NUMBER_LENGTH - 1)
    return f"{body}{check_digit(body)}"


def bill_number_clean(text: str) -> str | None:
    """A typed bill ID with its check digit verified, or None."""
    digits = "".join(ch for ch in to_latin_digits(text or "") if ch.isdigit())
    if len(digits) != BILL_NUMBER_LENGTH or check_digit(digits[:-1]) != int(digits[-1]):
        return None
    return digits


def order_id_new() -> str:
    return _random_digits(16)


def refund_number_new() -> str:
    return "R" + _random_digits(11)


def receipt_number_new() -> str:
    return "P" + _random_digits(11)
