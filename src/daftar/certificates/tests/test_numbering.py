"""Certificate numbers people can read and type back, and the masked national code."""

from __future__ import annotations

import re

from daftar.certificates.numbering import ALPHABET, national_code_masked, number_new, number_normalize


def test_a_new_number_is_twelve_unambiguous_characters_in_three_groups() -> None:
    numbers = {number_new() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", number)
    assert not set("01OIL") & set(ALPHABET)


def test_typed_numbers_are_read_with_persian_digits_lowercase_and_missing_dashes() -> None:
    assert number_normalize("abcd-efgh-2345") == "ABCD-EFGH-2345"
    assert number_normalize("ABCDEFGH۲۳۴۵") == "ABCD-EFGH-2345"
    assert number_normalize(" abcd efgh 2345 ") == "ABCD-EFGH-2345"


def test_a_number_of_the_wrong_length_or_alphabet_is_not_a_number() -> None:
    assert number_normalize("ABCD-EFGH-234") is None
    assert number_normalize("ABCD-EFGH-2340") is None  # 0 is never used
    assert number_normalize("") is None
    assert number_normalize("<script>") is None


def test_national_code_keeps_first_three_and_last_two_digits() -> None:
    assert national_code_masked("0012345679") == "001*****79"
    assert national_code_masked("۰۰۱۲۳۴۵۶۷۹") == "001*****79"
    assert national_code_masked("10320587403") == "103******03"
