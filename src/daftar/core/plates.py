"""Iranian car number plates: «۱۲ ب ۳۴۵ ایران ۶۷» — two digits, a letter, three digits, province.

Decisions:

* Letters: the ones on the national two-digit/letter/three-digit/province plate. Private
  (شخصی, white): ب ج د س ص ط ق ل م ن و ه ی. Others in the same format: الف (government),
  پ (police), ت (taxi), ث (IRGC), ز (Ministry of Defence), ژ (disabled drivers and veterans;
  older plates show a wheelchair ♿, read here as ژ), ش (army), ع (public transport),
  ف (armed forces general staff), ک (agriculture), گ (temporary transit), D and S
  (diplomatic and embassy service). «ا» or «آ» typed alone means «الف». Formats that are not
  this shape (motorcycles, free zones, «تشریفات») are out of scope.
* Digits: the two- and three-digit numbers never use 0 (a Persian ۰ is a dot, too easy to
  add or scrape off), so 0 there is refused; the province code is 10–99 and may end in 0.
* Canonical text "12ب345-67" (Latin digits) is what we store; ``display_fa`` gives the
  Persian form. Its parts are in the plate's left-to-right order: show it in an LTR box to
  mirror the physical plate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext_lazy as _

from .errors import InvalidValue
from .text import normalize_persian, to_latin_digits, to_persian_digits

PRIVATE_PLATE_LETTERS: Final = frozenset("بجدسصطقلمنوهی")
PLATE_LETTERS: Final = PRIVATE_PLATE_LETTERS | frozenset({"الف", *"پتثزژشعفکگ", "D", "S"})
_LETTER_ALIASES: Final = {"ا": "الف", "آ": "الف", "♿": "ژ", "d": "D", "s": "S"}

_IRAN_AND_REGION = re.compile(r"ایران\s*[-–|:/]?\s*(\d{2})(?!\d)")
_SEPARATORS = re.compile(r"[\s\-–—|/:_.,\u200c\u200d]+")
_SHAPE = re.compile(r"(\d*)(\D+)(\d*)")
_FORMAT_HINT = _(
    "Write the plate as two digits, a letter, three digits and the province code, e.g. 12 ب 345 ایران 67."
)


@dataclass(frozen=True)
class CarPlate:
    """A plate's four parts, digits in Latin: left "12", letter "ب", middle "345", region "67"."""

    left: str
    letter: str
    middle: str
    region: str

    def __post_init__(self) -> None:
        _check_number(self.left, 2)
        _check_number(self.middle, 3)
        _check_letter(self.letter)
        _check_region(self.region)

    def __str__(self) -> str:
        return f"{self.left}{self.letter}{self.middle}-{self.region}"

    def display_fa(self) -> str:
        """«۱۲ ب ۳۴۵ | ایران ۶۷»."""
        numbers = to_persian_digits(f"{self.left} {self.letter} {self.middle}")
        return f"{numbers} | ایران {to_persian_digits(self.region)}"

    @property
    def is_private(self) -> bool:
        """A private (شخصی) plate, as opposed to government, taxi, police, diplomatic…"""
        return self.letter in PRIVATE_PLATE_LETTERS


def parse_car_plate(value: str) -> CarPlate:
    """Read a plate as people write it: «۱۲ب۳۴۵-۶۷», "12 ب 345 ایران 67", «ایران ۶۷ ۱۲ ب ۳۴۵»…"""
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    text = to_latin_digits(normalize_persian(value))
    if not text:
        raise InvalidValue("car_plate.empty", _("Enter the plate number."))
    region = None
    marked = _IRAN_AND_REGION.search(text)
    if marked:
        region = marked.group(1)
        text = text[: marked.start()] + " " + text[marked.end() :]
    compact = _SEPARATORS.sub("", text.replace("ایران", " "))
    shape = _SHAPE.fullmatch(compact)
    if shape is None:
        raise InvalidValue("car_plate.format", _FORMAT_HINT)
    left, letter, right = shape.groups()
    letter = _LETTER_ALIASES.get(letter, letter)
    if len(letter) > len("الف"):  # not a letter at all: do not echo arbitrary text back
        raise InvalidValue("car_plate.format", _FORMAT_HINT)
    _check_letter(letter)
    if region is None:
        right, region = right[:-2], right[-2:]
    if len(left) != 2 or len(right) != 3 or len(region) != 2:
        raise InvalidValue("car_plate.format", _FORMAT_HINT)
    return CarPlate(left=left, letter=letter, middle=right, region=region)


def validate_car_plate(value: str) -> str:
    """The canonical text of a plate, "12ب345-67"."""
    return str(parse_car_plate(value))


def _check_number(part: str, length: int) -> None:
    if len(part) != length or not part.isascii() or not part.isdigit():
        raise InvalidValue("car_plate.format", _FORMAT_HINT)
    if "0" in part:
        raise InvalidValue(
            "car_plate.zero", _("Plate numbers never use the digit 0 (only the province code may end in 0).")
        )


def _check_letter(letter: str) -> None:
    if letter not in PLATE_LETTERS:
        raise InvalidValue(
            "car_plate.letter",
            _("«%(letter)s» is not one of the letters used on Iranian plates."),
            {"letter": letter},
        )


def _check_region(region: str) -> None:
    if len(region) != 2 or not region.isascii() or not region.isdigit():
        raise InvalidValue("car_plate.format", _FORMAT_HINT)
    if region.startswith("0"):
        raise InvalidValue("car_plate.region", _("The province code of a plate is a number from 10 to 99."))
