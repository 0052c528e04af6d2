"""Iranian car plates: the forms people type, the letters in use, the digits that are not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daftar.core.errors import InvalidValue
from daftar.core.plates import PLATE_LETTERS, PRIVATE_PLATE_LETTERS, CarPlate, parse_car_plate
from daftar.core.text import to_persian_digits
from daftar.core.validators import validate_car_plate

PLATE = CarPlate(left="12", letter="ب", middle="345", region="67")


@pytest.mark.parametrize(
    "raw",
    [
        "۱۲ ب ۳۴۵ ایران ۶۷",
        "۱۲ب۳۴۵ایران۶۷",
        "12ب345-67",
        "12 ب 345 - 67",
        "12 ب 345 | ایران 67",
        "١٢ ب ٣٤٥ ايران ٦٧",
        "ایران ۶۷ ۱۲ ب ۳۴۵",
        "۱۲ ب ۳۴۵ ۶۷ ایران",
        "۱۲ ب ۳۴۵ ۶۷",
        "  ۱۲\u200cب\u200c۳۴۵\u200f  ایران:۶۷ ",
    ],
)
def test_parse_car_plate_accepts_common_forms(raw: str) -> None:
    assert parse_car_plate(raw) == PLATE


@pytest.mark.parametrize(
    ("raw", "letter"),
    [
        ("12 الف 345 67", "الف"),
        ("12 ا 345 67", "الف"),
        ("12 ي 345 67", "ی"),
        ("12 ك 345 67", "ک"),
        ("12 هـ 345 67", "ه"),
        ("12 ♿ 345 67", "ژ"),
        ("12 d 345 67", "D"),
        ("12S34567", "S"),
    ],
)
def test_parse_car_plate_normalises_the_letter(raw: str, letter: str) -> None:
    assert parse_car_plate(raw).letter == letter


@pytest.mark.parametrize("letter", sorted(PLATE_LETTERS))
def test_every_plate_letter_is_accepted(letter: str) -> None:
    assert validate_car_plate(f"12 {letter} 345 67") == f"12{letter}345-67"


def test_private_plates_use_their_own_letters() -> None:
    assert PLATE.is_private
    assert not parse_car_plate("12 ت 345 67").is_private  # taxi
    assert not parse_car_plate("12 الف 345 67").is_private  # government
    assert PRIVATE_PLATE_LETTERS < PLATE_LETTERS


def test_canonical_and_display_forms() -> None:
    assert str(PLATE) == "12ب345-67"
    assert PLATE.display_fa() == "۱۲ ب ۳۴۵ | ایران ۶۷"
    assert validate_car_plate("۱۲ ب ۳۴۵ ایران ۶۷") == "12ب345-67"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "car_plate.empty"),
        ("12 X 345 67", "car_plate.letter"),
        ("12 چ 345 67", "car_plate.letter"),
        ("12 345 67", "car_plate.format"),
        ("12 ب 3456 67", "car_plate.format"),
        ("1 ب 345 67", "car_plate.format"),
        ("12 ب 345", "car_plate.format"),
        ("12 ب 345 ب 67", "car_plate.format"),
        ("12 تهران 345 67", "car_plate.format"),
        ("10 ب 345 67", "car_plate.zero"),
        ("12 ب 305 67", "car_plate.zero"),
        ("12 ب 345 07", "car_plate.region"),
        ("12 ب 345 ایران 00", "car_plate.region"),
    ],
)
def test_parse_car_plate_says_what_is_wrong(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_car_plate(raw)
    assert info.value.code == code


def test_region_may_end_in_zero() -> None:
    assert parse_car_plate("۱۲ ب ۳۴۵ ایران ۱۰").region == "10"


def test_car_plate_checks_its_parts_when_built_directly() -> None:
    with pytest.raises(InvalidValue):
        CarPlate(left="12", letter="X", middle="345", region="67")
    with pytest.raises(InvalidValue):
        CarPlate(left="۱۲", letter="ب", middle="345", region="67")


nonzero_digits = st.text(alphabet="123456789", min_size=1, max_size=1)
plates = st.builds(
    CarPlate,
    left=st.text(alphabet="123456789", min_size=2, max_size=2),
    letter=st.sampled_from(sorted(PLATE_LETTERS)),
    middle=st.text(alphabet="123456789", min_size=3, max_size=3),
    region=st.builds(lambda first, second: first + second, nonzero_digits, st.sampled_from("0123456789")),
)


@given(plates)
def test_plate_round_trips_through_its_text_forms(plate: CarPlate) -> None:
    assert parse_car_plate(str(plate)) == plate
    assert parse_car_plate(plate.display_fa()) == plate
    assert (
        parse_car_plate(to_persian_digits(f"{plate.left} {plate.letter} {plate.middle} ایران {plate.region}"))
        == plate
    )
