"""Iranian identifiers: each function returns the canonical value or raises InvalidValue.

Input may use Persian, Arabic-Indic or Latin digits and the spaces, dashes and invisible marks
that copying from forms and messengers adds. The canonical value is plain Latin digits (and
"IR" for Sheba), the form stored in the database and compared.

Rules and their sources:

* National code (کد ملی): 10 digits; legacy 8- and 9-digit codes are left-padded with zeros,
  as the registry itself does. One digit repeated (0000000000, 1111111111…) is refused: such
  codes pass the check digit but are placeholders. Check digit: s = Σ d[i]·(10−i) for i < 9,
  r = s mod 11, check = r if r < 2 else 11 − r.
* Legal national ID (شناسه ملی): 11 digits. With t = d[9] + 2 and weights 29 27 23 19 17
  repeated, s = Σ (d[i] + t)·w[i] for i < 10, r = s mod 11 (10 counts as 0), and d[10] = r.
  Agrees with the published persian-tools implementation and its sample 10380284790.
* Mobile: parsed by phonenumbers as region IR and accepted only when it is of type MOBILE;
  canonical 09xxxxxxxxx.
* Postal code: 10 digits; the first five (the routing part) never contain 0 or 2, which the
  post avoids because ۰ and ۲ are mistaken for ۵ and ۳ in handwriting. The last five may be
  any digits. The stricter regex that circulates (5th digit not 5, no 2 in the last five) is
  not documented by the post, so we do not enforce it. One digit repeated is refused.
* Sheba: "IR" + 24 digits, mod-97 checked by schwifty; the bank code is digits 5–7.
* Car plates live in ``daftar.core.plates`` and are re-exported here.
"""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from phonenumbers import PhoneNumberType
from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException

from .errors import InvalidValue
from .plates import PLATE_LETTERS, PRIVATE_PLATE_LETTERS, CarPlate, parse_car_plate, validate_car_plate
from .text import to_latin_digits, to_persian_digits

__all__ = [
    "PLATE_LETTERS",
    "PRIVATE_PLATE_LETTERS",
    "CarPlate",
    "format_postal_code",
    "format_sheba",
    "legal_national_id_check_digit",
    "national_code_check_digit",
    "normalize_mobile",
    "parse_car_plate",
    "sheba_bank_code",
    "validate_car_plate",
    "validate_legal_national_id",
    "validate_national_code",
    "validate_postal_code",
    "validate_sheba",
]

# Separators people type or paste between digit groups: spaces, dashes, dots, invisible marks.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015._\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]+")
_LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def _compact(value: str) -> str:
    if not isinstance(value, str):
        # An int would already have lost the leading zeros these codes are full of.
        raise TypeError(f"expected str, got {type(value).__name__}")
    return _SEPARATORS.sub("", to_latin_digits(value))


def _is_one_digit_repeated(digits: str) -> bool:
    return len(set(digits)) == 1


# --- national code (کد ملی) -----------------------------------------------------------------


def national_code_check_digit(first_nine: str) -> int:
    """The check digit that completes nine digits into a national code."""
    total = sum(int(digit) * (10 - position) for position, digit in enumerate(first_nine))
    remainder = total % 11
    return remainder if remainder < 2 else 11 - remainder


def validate_national_code(value: str) -> str:
    """A person's national code as 10 Latin digits."""
    digits = _compact(value)
    if not digits:
        raise InvalidValue("national_code.empty", _("Enter the national code."))
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue("national_code.characters", _("A national code is made of digits only."))
    if not 8 <= len(digits) <= 10:
        raise InvalidValue(
            "national_code.length",
            ngettext_lazy(
                "A national code has 10 digits; %(count)d digit was entered.",
                "A national code has 10 digits; %(count)d digits were entered.",
                "count",
            ),
            {"count": len(digits)},
        )
    digits = digits.zfill(10)
    if _is_one_digit_repeated(digits):
        raise InvalidValue("national_code.repeated", _("A national code cannot be one digit repeated."))
    if national_code_check_digit(digits[:9]) != int(digits[9]):
        raise InvalidValue(
            "national_code.checksum",
            _("The check digit of this national code is wrong; one of the digits is mistyped."),
        )
    return digits


# --- legal national ID (شناسه ملی) ----------------------------------------------------------


def legal_national_id_check_digit(first_ten: str) -> int:
    """The check digit that completes ten digits into a legal entity's national ID."""
    shift = int(first_ten[9]) + 2
    total = sum(
        (int(digit) + shift) * weight for digit, weight in zip(first_ten, _LEGAL_ID_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return 0 if remainder == 10 else remainder


def validate_legal_national_id(value: str) -> str:
    """A legal entity's national ID (شناسه ملی) as 11 Latin digits."""
    digits = _compact(value)
    if not digits:
        raise InvalidValue("legal_national_id.empty", _("Enter the national ID of the legal entity."))
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue(
            "legal_national_id.characters", _("A national ID of a legal entity is made of digits only.")
        )
    if len(digits) != 11:
        raise InvalidValue(
            "legal_national_id.length",
            ngettext_lazy(
                "A national ID of a legal entity has 11 digits; %(count)d digit was entered.",
                "A national ID of a legal entity has 11 digits; %(count)d digits were entered.",
                "count",
            ),
            {"count": len(digits)},
        )
    if _is_one_digit_repeated(digits):
        raise InvalidValue(
            "legal_national_id.repeated", _("A national ID of a legal entity cannot be one digit repeated.")
        )
    if legal_national_id_check_digit(digits[:10]) != int(digits[10]):
        raise InvalidValue(
            "legal_national_id.checksum",
            _("The check digit of this national ID is wrong; one of the digits is mistyped."),
        )
    return digits


# --- mobile ------------------------------------------------------------------------------------

_PHONE_CHARACTERS = re.compile(r"\+?[\d()]*")
_MOBILE_TYPES = {PhoneNumberType.MOBILE}
_LANDLINE_TYPES = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(value: str) -> str:
    """An Iranian mobile number as 09xxxxxxxxx, from any usual way of writing it.

    "0912 123 4567", "+98 912 123 4567", "0098…", "98…", "912…", in any digits.
    """
    text = _compact(value)
    if not any(ch.isdigit() for ch in text):
        raise InvalidValue("mobile.empty", _("Enter the mobile number."))
    # Letters are refused here: phonenumbers would read them as keypad letters (0912ABC…).
    if not _PHONE_CHARACTERS.fullmatch(text):
        raise InvalidValue(
            "mobile.characters",
            _("A mobile number may contain only digits, spaces, dashes, parentheses and a leading +."),
        )
    try:
        number = phonenumbers.parse(text, "IR")
    except phonenumbers.NumberParseException as error:
        raise InvalidValue(
            "mobile.format", _("This is not a mobile number; write it as 11 digits starting with 09.")
        ) from error
    national = str(number.national_number)
    if number.country_code != 98:
        raise InvalidValue(
            "mobile.not_iranian", _("Only Iranian mobile numbers (starting with 09) are accepted.")
        )
    if not national.startswith("9"):
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _LANDLINE_TYPES:
            raise InvalidValue(
                "mobile.landline",
                _("This is a landline number, not a mobile number; mobile numbers start with 09."),
            )
        raise InvalidValue(
            "mobile.prefix", _("This is not a mobile number; Iranian mobile numbers start with 09.")
        )
    if len(national) != 10:
        raise InvalidValue(
            "mobile.length",
            ngettext_lazy(
                "A mobile number has 11 digits starting with 09; this one has %(count)d digit.",
                "A mobile number has 11 digits starting with 09; this one has %(count)d digits.",
                "count",
            ),
            {"count": len(national) + 1},
        )
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidValue(
            "mobile.unknown_prefix",
            _("No Iranian mobile operator uses the prefix %(prefix)s; check the first digits."),
            {"prefix": "0" + national[:3]},
        )
    return "0" + national


# --- postal code -------------------------------------------------------------------------------

_ROUTING_FORBIDDEN = {"0", "2"}


def validate_postal_code(value: str) -> str:
    """An Iranian postal code as 10 Latin digits."""
    digits = _compact(value)
    if not digits:
        raise InvalidValue("postal_code.empty", _("Enter the postal code."))
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue("postal_code.characters", _("A postal code is made of digits only."))
    if len(digits) != 10:
        raise InvalidValue(
            "postal_code.length",
            ngettext_lazy(
                "A postal code has 10 digits; %(count)d digit was entered.",
                "A postal code has 10 digits; %(count)d digits were entered.",
                "count",
            ),
            {"count": len(digits)},
        )
    if _is_one_digit_repeated(digits):
        raise InvalidValue("postal_code.repeated", _("A postal code cannot be one digit repeated."))
    if _ROUTING_FORBIDDEN & set(digits[:5]):
        raise InvalidValue(
            "postal_code.routing", _("The first five digits of a postal code never include 0 or 2.")
        )
    return digits


def format_postal_code(value: str, *, persian_digits: bool = True) -> str:
    """«۱۱۹۳۶-۵۳۴۷۱»: the two halves as printed on the post's plates."""
    digits = validate_postal_code(value)
    text = f"{digits[:5]}-{digits[5:]}"
    return to_persian_digits(text) if persian_digits else text


# --- Sheba (IBAN) ------------------------------------------------------------------------------

_SHEBA_DIGITS = 24


def validate_sheba(value: str) -> str:
    """A Sheba number as "IR" + 24 digits; the "IR" may be left out when all 24 digits are given."""
    text = _compact(value).upper()
    if not text:
        raise InvalidValue("sheba.empty", _("Enter the Sheba number."))
    if text.isascii() and text.isdigit() and len(text) == _SHEBA_DIGITS:
        text = "IR" + text
    if not text.startswith("IR"):
        raise InvalidValue("sheba.country", _("A Sheba number starts with IR followed by 24 digits."))
    body = text[2:]
    if not body.isascii() or not body.isdigit():
        raise InvalidValue("sheba.characters", _("After IR, a Sheba number is made of digits only."))
    if len(body) != _SHEBA_DIGITS:
        raise InvalidValue(
            "sheba.length",
            ngettext_lazy(
                "A Sheba number has 24 digits after IR; %(count)d digit was entered.",
                "A Sheba number has 24 digits after IR; %(count)d digits were entered.",
                "count",
            ),
            {"count": len(body)},
        )
    try:
        IBAN(text)
    except InvalidChecksumDigits as error:
        raise InvalidValue(
            "sheba.checksum",
            _("The check digits of this Sheba number are wrong; one of the digits is mistyped."),
        ) from error
    except SchwiftyException as error:
        raise InvalidValue("sheba.invalid", _("This is not a valid Sheba number.")) from error
    return text


def sheba_bank_code(value: str) -> str:
    """The three-digit bank code inside a Sheba number (e.g. "017" for Bank Melli)."""
    return validate_sheba(value)[4:7]


def format_sheba(value: str) -> str:
    """Groups of four as banks print it, in Latin digits: "IR06 2960 0000 0010 0324 2000 01"."""
    sheba = validate_sheba(value)
    return " ".join(sheba[start : start + 4] for start in range(0, len(sheba), 4))
