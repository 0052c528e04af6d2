"""Persian text normalisation, search keys and digit conversion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from persiantools import characters as pt_characters
from persiantools import digits as pt_digits

from daftar.core.text import (
    ARABIC_INDIC_DIGITS,
    LATIN_DIGITS,
    PERSIAN_DIGITS,
    ZWJ,
    ZWNJ,
    digits_only,
    normalize_for_search,
    normalize_persian,
    to_latin_digits,
    to_persian_digits,
)

# Text drawn mostly from the characters that make Persian normalisation hard.
PERSIANISH = st.text(
    alphabet=st.sampled_from(
        list("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآأإؤئءةۀ")
        + list("يىكڪ")
        + list(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS + LATIN_DIGITS)
        + ["\u064b", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0654", "\u0640", "\u0670"]
        + [ZWNJ, ZWJ, "\u200b", "\u200e", "\u200f", "\u00ad", "\ufeff", "\u202b", "\u202c"]
        + [" ", "\t", "\n", "\u00a0", "\u2009", "a", "B", "-", "؟", "،", "ﻻ", "ﮐ", "ﯾ", "😀"]
    ),
    max_size=40,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي كريمي", "علی کریمی"),
        ("موسى", "موسی"),
        ("ڪتاب", "کتاب"),
        ("مُحَمَّد", "محمد"),
        ("قرآنٰ", "قرآن"),
        ("ســـلام", "سلام"),
        ("مسئله", "مسئله"),
        ("مثلاً", "مثلاً"),
        ("خانهٔ من", "خانهٔ من"),
        ("یٔ", "ئ"),
        ("دایرةالمعارف", "دایرةالمعارف"),
        ("ﻻ ﮐﺘﺎﺏ", "لا کتاب"),
    ],
)
def test_normalize_persian_fixes_letters_and_removes_vowel_marks(raw: str, expected: str) -> None:
    assert normalize_persian(raw) == expected


def test_normalize_persian_turns_arabic_indic_digits_persian_and_keeps_latin_ones() -> None:
    assert normalize_persian("١٢٣٤٥٦ ۷۸۹ 10") == "۱۲۳۴۵۶ ۷۸۹ 10"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("می\u200c\u200cروم", "می\u200cروم"),  # repeated ZWNJ collapses
        ("\u200cسلام\u200c", "سلام"),  # at the ends it does nothing
        ("می\u200c روم", "می روم"),  # next to a space the space wins
        ("می \u200c روم", "می روم"),
        ("کتاب\u200bها", "کتاب\u200cها"),  # zero-width space used as a ZWNJ
        ("کتاب\u00adها", "کتاب\u200cها"),  # soft hyphen used as a ZWNJ
        ("کتاب\u200fها", "کتاب\u200cها"),  # RLM used as a ZWNJ
        ("کتاب\u200e\u200cها", "کتاب\u200cها"),  # mixed run becomes one ZWNJ
        ("\u200f۰۹۱۲۱۲۳۴۵۶۷\u200e", "۰۹۱۲۱۲۳۴۵۶۷"),  # directional marks around digits vanish
        ("۱۲\u200c۳۴", "۱۲۳۴"),  # ZWNJ means nothing between digits
        ("سلام\u200d", "سلام"),  # ZWJ at a word edge is dropped
        ("ه\u200dا", "ه\u200dا"),  # ZWJ inside a word is kept
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # and inside emoji sequences
        ("\u202bمتن\u202c\ufeff", "متن"),  # bidi embeddings and BOM are removed
    ],
)
def test_normalize_persian_unifies_zero_width_characters(raw: str, expected: str) -> None:
    assert normalize_persian(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  علی   رضایی  ", "علی رضایی"),
        ("علی\u00a0\u2009رضایی", "علی رضایی"),
        ("خط\tاول\nخط دوم", "خط اول خط دوم"),
        ("", ""),
        (" \u200c ", ""),
    ],
)
def test_normalize_persian_collapses_whitespace(raw: str, expected: str) -> None:
    assert normalize_persian(raw) == expected


def test_normalize_persian_multiline_keeps_line_breaks_and_one_blank_line() -> None:
    raw = "  سطر   اول \r\n\n\n\n سطر دوم\n\n"
    assert normalize_persian(raw, multiline=True) == "سطر اول\n\nسطر دوم"


def test_normalize_persian_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        normalize_persian(None)  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_normalize_persian_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_persian(text)
    assert normalize_persian(once) == once


@given(PERSIANISH)
def test_normalize_persian_is_idempotent_on_persian_like_text(text: str) -> None:
    once = normalize_persian(text)
    assert normalize_persian(once) == once
    assert normalize_persian(once, multiline=True) == once
    lines = normalize_persian(text, multiline=True)
    assert normalize_persian(lines, multiline=True) == lines
    assert "\n\n\n" not in lines


@given(PERSIANISH)
def test_normalize_persian_leaves_zwnj_only_between_letters(text: str) -> None:
    result = normalize_persian(text)
    assert "  " not in result
    assert result == result.strip()
    assert not set("يىكڪ\u0640\u200b\u200e\u200f\u00ad\ufeff") & set(result)
    for index, char in enumerate(result):
        if char == ZWNJ:
            assert 0 < index < len(result) - 1
            assert result[index + 1].isalpha()
            assert not result[index - 1].isspace()


@given(st.text(alphabet="يىكڪابت ", max_size=30))
def test_normalize_persian_agrees_with_persiantools_on_arabic_letters(text: str) -> None:
    # persiantools maps ي ى ك but not ڪ; with ڪ mapped first both must agree.
    expected = pt_characters.ar_to_fa(text.replace("ڪ", "ک"))
    assert normalize_persian(text) == " ".join(expected.split())


@pytest.mark.parametrize(
    ("raw", "latin", "persian"),
    [
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789", "۰۱۲۳۴۵۶۷۸۹"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789", "۰۱۲۳۴۵۶۷۸۹"),
        ("0123456789", "0123456789", "۰۱۲۳۴۵۶۷۸۹"),
        ("پلاک ۱۲ و 34", "پلاک 12 و 34", "پلاک ۱۲ و ۳۴"),
    ],
)
def test_digit_conversion(raw: str, latin: str, persian: str) -> None:
    assert to_latin_digits(raw) == latin
    assert to_persian_digits(raw) == persian


@given(st.text(alphabet=PERSIAN_DIGITS))
def test_to_persian_digits_undoes_to_latin_digits(digits: str) -> None:
    assert to_persian_digits(to_latin_digits(digits)) == digits


@given(st.text(alphabet=LATIN_DIGITS))
def test_to_latin_digits_undoes_to_persian_digits(digits: str) -> None:
    assert to_latin_digits(to_persian_digits(digits)) == digits


@given(st.text(alphabet=PERSIAN_DIGITS + ARABIC_INDIC_DIGITS + LATIN_DIGITS + "abc ابپ"))
def test_digit_conversion_agrees_with_persiantools(text: str) -> None:
    assert to_latin_digits(text) == pt_digits.fa_to_en(pt_digits.ar_to_fa(text))
    assert to_persian_digits(text) == pt_digits.en_to_fa(pt_digits.ar_to_fa(text))


def test_digits_only_keeps_digits_of_any_script_as_latin() -> None:
    assert digits_only("۰۹۱۲-۱۲۳ (٤٥) x7") == "0912123457"
    assert digits_only("بدون رقم") == ""


@pytest.mark.parametrize(
    "variants",
    [
        ("می\u200cروم", "میروم", "می روم", "مي‌روم"),
        ("نمی\u200cخواهم", "نمیخواهم", "نمی خواهم"),
        ("کتاب\u200cها", "کتابها", "کتاب ها", "كتاب‌ها"),
        ("علی", "علي", "عَلی"),
        ("آب", "اب"),
        ("مثلاً", "مثلا"),
        ("مسئله", "مسیله"),
        ("خانهٔ", "خانه", "خانۀ"),
        ("۱۲۳", "123", "١٢٣"),
        ("Tehran", "TEHRAN", "tehran"),
    ],
)
def test_search_key_makes_spelling_variants_meet(variants: tuple[str, ...]) -> None:
    keys = {normalize_for_search(variant) for variant in variants}
    assert len(keys) == 1


@pytest.mark.parametrize(
    ("one", "other"), [("کتاب", "کتیبه"), ("می", "مو"), ("۱۲۳", "۱۲۴"), ("علی رضا", "علیرضا")]
)
def test_search_key_keeps_different_words_apart(one: str, other: str) -> None:
    assert normalize_for_search(one) != normalize_for_search(other)


@given(st.one_of(PERSIANISH, st.text(max_size=40)))
def test_search_key_is_idempotent(text: str) -> None:
    key = normalize_for_search(text)
    assert normalize_for_search(key) == key
    assert ZWNJ not in key
