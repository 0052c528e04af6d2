"""Certificate numbers: 12 characters people can read aloud and type back, e.g. ``7KQ4-M9XW-2HRT``.

The alphabet leaves out 0/O, 1/I and L, which are confused on paper and on the phone. Twelve
characters from 31 give about 10^18 numbers, so a number cannot be guessed; uniqueness is still
enforced by the database. Typed numbers are read leniently: Persian digits, lowercase, spaces
and missing or extra dashes are all accepted.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

from daftar.core.text import to_latin_digits

ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH: Final = 12
GROUP: Final = 4
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.\u200c\u200e\u200f]+")


def number_new() -> str:
    """A fresh random number, grouped as XXXX-XXXX-XXXX."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def number_normalize(text: str) -> str | None:
    """The canonical XXXX-XXXX-XXXX form of a typed number, or None when it cannot be one."""
    if not isinstance(text, str):
        return None
    compact = _SEPARATORS.sub("", to_latin_digits(text)).upper()
    if len(compact) != LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return _grouped(compact)


def _grouped(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def national_code_masked(code: str) -> str:
    """The first 3 and last 2 digits, stars between: ``0012345689`` → ``001*****89``."""
    digits = to_latin_digits(code or "").strip()
    if len(digits) <= 5:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"
