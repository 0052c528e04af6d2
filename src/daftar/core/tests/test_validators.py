"""National code, legal national ID, mobile, postal code and Sheba validators."""

from __future__ import annotations

import phonenumbers
import pytest
import schwifty
from hypothesis import assume, given
from hypothesis import strategies as st
from schwifty.exceptions import InvalidChecksumDigits, InvalidStructure

from daftar.core.errors import InvalidValue
from daftar.core.text import to_persian_digits
from daftar.core.validators import (
    format_postal_code,
    format_sheba,
    legal_national_id_check_digit,
    national_code_check_digit,
    normalize_mobile,
    sheba_bank_code,
    validate_legal_national_id,
    validate_national_code,
    validate_postal_code,
    validate_sheba,
)

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def error_code(function: object, value: object) -> str:
    with pytest.raises(InvalidValue) as info:
        function(value)  # type: ignore[operator]
    return info.value.code


def change_one_digit(digits: str, position: int, new_digit: str) -> str:
    return digits[:position] + new_digit + digits[position + 1 :]


# --- national code -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("0076229645", "0076229645"),
        ("1583250689", "1583250689"),
        ("۰۰۷۶۲۲۹۶۴۵", "0076229645"),
        ("٠٠٧٦٢٢٩٦٤٥", "0076229645"),
        ("007-622964-5", "0076229645"),
        (" 007 622 964 5 ", "0076229645"),
        ("11537027", "0011537027"),  # legacy 8-digit code, padded
        ("076229645", "0076229645"),  # leading zero lost by a spreadsheet
    ],
)
def test_national_code_accepts_common_writings(raw: str, canonical: str) -> None:
    assert validate_national_code(raw) == canonical


@pytest.mark.parametrize("digit", "0123456789")
def test_national_code_rejects_all_same_digits(digit: str) -> None:
    # Several of these (1111111111, 2222222222 …) even pass the check digit.
    assert error_code(validate_national_code, digit * 10) == "national_code.repeated"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "national_code.empty"),
        ("  ", "national_code.empty"),
        ("1234567", "national_code.length"),
        ("12345678901", "national_code.length"),
        ("00762a9645", "national_code.characters"),
        ("1583250688", "national_code.checksum"),
        ("0076229646", "national_code.checksum"),
    ],
)
def test_national_code_says_what_is_wrong(raw: str, code: str) -> None:
    assert error_code(validate_national_code, raw) == code


def test_national_code_refuses_integers_that_lost_their_zeros() -> None:
    with pytest.raises(TypeError):
        validate_national_code(76229645)  # type: ignore[arg-type]


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)


def national_code_remainder(first_nine: str) -> int:
    return sum(int(digit) * (10 - position) for position, digit in enumerate(first_nine)) % 11


@given(nine_digits)
def test_national_code_with_computed_check_digit_validates(first_nine: str) -> None:
    code = first_nine + str(national_code_check_digit(first_nine))
    assert validate_national_code(code) == code
    assert validate_national_code(to_persian_digits(code)) == code


@given(nine_digits, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_national_code_single_digit_change_invalidates(first_nine: str, position: int, shift: int) -> None:
    code = first_nine + str(national_code_check_digit(first_nine))
    changed = change_one_digit(code, position, str((int(code[position]) + shift) % 10))
    try:
        validate_national_code(changed)
    except InvalidValue:
        return
    # The one blind spot of the algorithm: remainders 1 and 10 both give check digit 1.
    assert {national_code_remainder(code[:9]), national_code_remainder(changed[:9])} == {1, 10}


def test_national_code_blind_spot_is_the_known_one() -> None:
    # Remainder 1 and remainder 10 share check digit 1, so this change (7 → 9) goes unnoticed.
    original, changed = "7049996221", "9049996221"
    assert national_code_remainder(original[:9]) == 1
    assert national_code_remainder(changed[:9]) == 10
    assert validate_national_code(original) == original
    assert validate_national_code(changed) == changed


# --- legal national ID ---------------------------------------------------------------------------


def test_legal_national_id_accepts_a_known_valid_id() -> None:
    assert validate_legal_national_id("10380284790") == "10380284790"
    assert validate_legal_national_id("۱۰۳۸۰۲۸۴۷۹۰") == "10380284790"
    assert validate_legal_national_id("103-8028-4790") == "10380284790"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "legal_national_id.empty"),
        ("1038028479", "legal_national_id.length"),
        ("103802847900", "legal_national_id.length"),
        ("1038028479x", "legal_national_id.characters"),
        ("00000000000", "legal_national_id.repeated"),
        ("11111111111", "legal_national_id.repeated"),
        ("10380284792", "legal_national_id.checksum"),
        ("10380285692", "legal_national_id.checksum"),
        ("09748208301", "legal_national_id.checksum"),
    ],
)
def test_legal_national_id_says_what_is_wrong(raw: str, code: str) -> None:
    assert error_code(validate_legal_national_id, raw) == code


def legal_id_remainder(first_ten: str) -> int:
    shift = int(first_ten[9]) + 2
    weights = (29, 27, 23, 19, 17) * 2
    return sum((int(digit) + shift) * weight for digit, weight in zip(first_ten, weights, strict=True)) % 11


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda s: len(set(s)) > 1)


@given(ten_digits)
def test_legal_national_id_with_computed_check_digit_validates(first_ten: str) -> None:
    legal_id = first_ten + str(legal_national_id_check_digit(first_ten))
    assert validate_legal_national_id(legal_id) == legal_id


@given(ten_digits, st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=9))
def test_legal_national_id_single_digit_change_invalidates(first_ten: str, position: int, shift: int) -> None:
    legal_id = first_ten + str(legal_national_id_check_digit(first_ten))
    changed = change_one_digit(legal_id, position, str((int(legal_id[position]) + shift) % 10))
    try:
        validate_legal_national_id(changed)
    except InvalidValue:
        return
    # Remainder 10 counts as 0: the algorithm cannot tell those two apart.
    assert {legal_id_remainder(legal_id[:10]), legal_id_remainder(changed[:10])} == {0, 10}


# --- mobile --------------------------------------------------------------------------------------

# Prefixes whose whole range phonenumbers knows as mobile (0998/0999 are only partly allocated).
MOBILE_PREFIXES = ["0901", "0905", "0910", "0912", "0919", "0921", "0930", "0935", "0939", "0990", "0994"]


def test_mobile_prefixes_used_in_tests_are_mobile_for_phonenumbers() -> None:
    for prefix in MOBILE_PREFIXES:
        for rest in ("0000000", "1234567", "9999999"):
            number = phonenumbers.parse(prefix + rest, "IR")
            assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def mobile_writings(canonical: str) -> list[str]:
    """Every usual way of writing one mobile number."""
    rest = canonical[1:]  # 9xxxxxxxxx
    spaced = f"{canonical[:4]} {canonical[4:7]} {canonical[7:]}"
    latin = [
        canonical,
        spaced,
        f"{canonical[:4]}-{canonical[4:7]}-{canonical[7:]}",
        f"({canonical[:4]}) {canonical[4:7]}-{canonical[7:]}",
        "+98" + rest,
        f"+98 {rest[:3]} {rest[3:6]} {rest[6:]}",
        "+98 " + canonical,
        "0098" + rest,
        "00 98 " + rest,
        "98" + rest,
        rest,
        f"\u200e{canonical}\u200f",
    ]
    return (
        latin + [to_persian_digits(text) for text in latin] + [text.translate(ARABIC_INDIC) for text in latin]
    )


@given(st.sampled_from(MOBILE_PREFIXES), st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_every_writing_of_a_mobile_number_gives_the_same_canonical_value(prefix: str, rest: str) -> None:
    canonical = prefix + rest
    for writing in mobile_writings(canonical):
        assert normalize_mobile(writing) == canonical, writing


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "mobile.empty"),
        ("  -  ", "mobile.empty"),
        ("02188776655", "mobile.landline"),
        ("021-8877-6655", "mobile.landline"),
        ("+98 21 8877 6655", "mobile.landline"),
        ("+44 7911 123456", "mobile.not_iranian"),
        ("+1 650 253 0000", "mobile.not_iranian"),
        ("0912123456", "mobile.length"),
        ("091212345678", "mobile.length"),
        ("0941 123 4567", "mobile.unknown_prefix"),
        ("0912ABC4567", "mobile.characters"),
        ("0912 123 4567 ext 2", "mobile.characters"),
        ("0912+1234567", "mobile.characters"),
        ("+", "mobile.empty"),
    ],
)
def test_mobile_says_what_is_wrong(raw: str, code: str) -> None:
    assert error_code(normalize_mobile, raw) == code


def test_mobile_unknown_prefix_names_the_prefix() -> None:
    with pytest.raises(InvalidValue) as info:
        normalize_mobile("۰۹۴۱۱۲۳۴۵۶۷")
    assert info.value.params == {"prefix": "0941"}


# --- postal code ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("1991615333", "1991615333"),
        ("1585614311", "1585614311"),
        ("1136914791", "1136914791"),
        ("1193653471", "1193653471"),
        ("11936-53471", "1193653471"),
        ("۱۱۹۳۶ ۵۳۴۷۱", "1193653471"),
        ("1193602020", "1193602020"),  # 0 and 2 are fine in the last five digits
        ("1193650000", "1193650000"),
    ],
)
def test_postal_code_accepts_real_codes(raw: str, canonical: str) -> None:
    assert validate_postal_code(raw) == canonical


@pytest.mark.parametrize("position", range(5))
@pytest.mark.parametrize("digit", "02")
def test_postal_code_rejects_0_or_2_in_first_five_digits(position: int, digit: str) -> None:
    code = change_one_digit("1193653471", position, digit)
    assert error_code(validate_postal_code, code) == "postal_code.routing"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "postal_code.empty"),
        ("119365347", "postal_code.length"),
        ("11936534711", "postal_code.length"),
        ("11936-5347x", "postal_code.characters"),
        ("1111111111", "postal_code.repeated"),
        ("0423437584", "postal_code.routing"),
    ],
)
def test_postal_code_says_what_is_wrong(raw: str, code: str) -> None:
    assert error_code(validate_postal_code, raw) == code


def test_format_postal_code_splits_the_halves() -> None:
    assert format_postal_code("1193653471") == "۱۱۹۳۶-۵۳۴۷۱"
    assert format_postal_code("۱۱۹۳۶۵۳۴۷۱", persian_digits=False) == "11936-53471"


# --- Sheba ---------------------------------------------------------------------------------------

VALID_SHEBA = "IR820540102680020817909002"


def sheba_from_bban(bban: str) -> str:
    """ISO 13616 check digits computed independently of schwifty: I=18, R=27."""
    check = 98 - int(bban + "182700") % 97
    return f"IR{check:02d}{bban}"


def test_schwifty_itself_rejects_a_bad_checksum() -> None:
    with pytest.raises(InvalidChecksumDigits):
        schwifty.IBAN("IR830540102680020817909002")


@pytest.mark.parametrize(
    "raw",
    [
        VALID_SHEBA,
        "ir820540102680020817909002",
        "IR82 0540 1026 8002 0817 9090 02",
        "IR82-0540-1026-8002-0817-9090-02",
        "IR۸۲۰۵۴۰۱۰۲۶۸۰۰۲۰۸۱۷۹۰۹۰۰۲",
        "820540102680020817909002",  # the IR left out
        "۸۲ ۰۵۴۰ ۱۰۲۶ ۸۰۰۲ ۰۸۱۷ ۹۰۹۰ ۰۲",
    ],
)
def test_sheba_accepts_common_writings(raw: str) -> None:
    assert validate_sheba(raw) == VALID_SHEBA


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "sheba.empty"),
        ("DE89370400440532013000", "sheba.country"),
        ("IR82054010268002081790900", "sheba.length"),
        ("82054010268002081790900", "sheba.country"),  # 23 digits: not a Sheba without IR either
        ("IR82054010268002081790900X", "sheba.characters"),
        ("IR830540102680020817909002", "sheba.checksum"),
        ("IR820540102680020817909003", "sheba.checksum"),
    ],
)
def test_sheba_says_what_is_wrong(raw: str, code: str) -> None:
    assert error_code(validate_sheba, raw) == code


@given(st.text(alphabet="0123456789", min_size=22, max_size=22))
def test_sheba_with_correct_check_digits_validates(bban: str) -> None:
    sheba = sheba_from_bban(bban)
    assert validate_sheba(sheba) == sheba


@given(
    st.text(alphabet="0123456789", min_size=22, max_size=22),
    st.integers(min_value=2, max_value=25),
    st.integers(min_value=1, max_value=9),
)
def test_sheba_single_digit_change_invalidates(bban: str, position: int, shift: int) -> None:
    sheba = sheba_from_bban(bban)
    changed = change_one_digit(sheba, position, str((int(sheba[position]) + shift) % 10))
    assume(changed[2:4] not in {"00", "01", "99"})  # check digits outside 02–98 are a format error
    assert error_code(validate_sheba, changed) == "sheba.checksum"


def test_sheba_turns_any_other_schwifty_complaint_into_invalid_value(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: str) -> None:
        raise InvalidStructure("structure")

    monkeypatch.setattr("daftar.core.validators.IBAN", refuse)
    assert error_code(validate_sheba, VALID_SHEBA) == "sheba.invalid"


def test_sheba_bank_code_is_the_three_digits_after_the_check_digits() -> None:
    assert sheba_bank_code(VALID_SHEBA) == "054"
    assert sheba_bank_code(sheba_from_bban("0170000000123456789012")) == "017"


def test_format_sheba_groups_by_four() -> None:
    assert format_sheba(VALID_SHEBA.lower()) == "IR82 0540 1026 8002 0817 9090 02"
