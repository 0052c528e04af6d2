"""Choosing between the Persian and English copies of catalogue data for the active language."""

from __future__ import annotations

from django.utils.translation import get_language


def is_english() -> bool:
    return (get_language() or "fa").startswith("en")


def pick(fa: str, en: str) -> str:
    """Persian is the default; English where the reader chose it and the data has it."""
    return en if is_english() and en else fa
