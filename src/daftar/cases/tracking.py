"""Tracking codes: short, human-friendly, with a check character, and not guessable.

Nine random characters from an alphabet without look-alikes (no 0/O, 1/I/L), then one check
character: a weighted sum modulo 31. As 31 is prime, every single wrong character and every swap
of two neighbours is caught before the database is even asked. 31⁹ ≈ 2.6×10¹³ codes, drawn with
``secrets``; uniqueness is the database's unique index (the filer retries on the rare collision).
"""

from __future__ import annotations

import secrets

from daftar.core.text import to_latin_digits

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BODY_LENGTH = 9
LENGTH = BODY_LENGTH + 1
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
assert len(ALPHABET) == 31


def check_character(body: str) -> str:
    total = sum((position + 1) * _INDEX[ch] for position, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def tracking_code_new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def normalize_tracking_code(text: str) -> str:
    """Upper-case, Latin digits, no spaces or dashes."""
    return to_latin_digits(text or "").upper().replace("-", "").replace(" ", "").strip()


def is_well_formed(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(ch in _INDEX for ch in code)
        and check_character(code[:BODY_LENGTH]) == code[BODY_LENGTH]
    )


def display(code: str) -> str:
    """Grouped for reading aloud and printing: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}" if len(code) == LENGTH else code
