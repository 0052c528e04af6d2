"""Persian error messages (needs Django settings for i18n).

The catalogue is compiled from django.po when the .mo is missing or older, so these tests
check the translation in the tree, not a stale build.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from daftar.core.errors import InvalidValue
from daftar.core.jalali import parse_jalali_date, parse_jalali_datetime
from daftar.core.money import parse_amount
from daftar.core.plates import parse_car_plate
from daftar.core.text import normalize_persian
from daftar.core.validators import (
    normalize_mobile,
    validate_legal_national_id,
    validate_national_code,
    validate_postal_code,
    validate_sheba,
)

CORE_DIR = Path(__file__).resolve().parent.parent
PO_PATH = CORE_DIR / "locale" / "fa" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
LATIN_DIGIT = re.compile(r"[0-9]")
TRANSLATION_CALLS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> None:
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        polib.pofile(str(PO_PATH)).save_as_mofile(str(MO_PATH))
        translation_file_changed(None, MO_PATH)  # Django caches catalogues per process


def raised(function: Callable[[str], object], value: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as info:
        function(value)
    return info.value


def source_messages() -> set[str | tuple[str, str]]:
    """Every msgid the core code passes to a translation function."""
    found: set[str | tuple[str, str]] = set()
    for path in CORE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in TRANSLATION_CALLS
            ):
                texts = [
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ]
                found.add(
                    texts[0] if node.func.id in {"_", "gettext", "gettext_lazy"} else (texts[0], texts[1])
                )
    return found


def test_po_file_has_a_proper_header() -> None:
    po = polib.pofile(str(PO_PATH))
    assert po.metadata["Language"] == "fa"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


def test_every_message_in_core_has_a_persian_translation() -> None:
    po = polib.pofile(str(PO_PATH))
    translated = {(e.msgid, e.msgid_plural) if e.msgid_plural else e.msgid for e in po.translated_entries()}
    assert not po.fuzzy_entries()
    assert source_messages() - translated == set()


def test_translations_keep_placeholders_and_are_normalised_persian() -> None:
    for entry in polib.pofile(str(PO_PATH)):
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(entry.msgid)), entry.msgid
            assert normalize_persian(text) == text, entry.msgid  # no ي/ك, stray ZWNJ or double spaces
            assert not LATIN_DIGIT.search(PLACEHOLDER.sub("", text)), entry.msgid  # numbers in Persian digits


@pytest.mark.parametrize(
    ("function", "value", "persian"),
    [
        (validate_national_code, "123", "کد ملی باید ۱۰ رقم باشد؛ ۳ رقم وارد شده است."),
        (
            validate_national_code,
            "1583250688",
            "رقم کنترل کد ملی درست نیست؛ یکی از رقم‌ها اشتباه وارد شده است.",
        ),
        (validate_national_code, "1111111111", "کد ملی نمی‌تواند از تکرار یک رقم تشکیل شده باشد."),
        (
            validate_legal_national_id,
            "10380284792",
            "رقم کنترل شناسه ملی درست نیست؛ یکی از رقم‌ها اشتباه وارد شده است.",
        ),
        (
            normalize_mobile,
            "02188776655",
            "این شماره تلفن ثابت است، نه تلفن همراه؛ شماره‌های تلفن همراه با ۰۹ شروع می‌شوند.",
        ),
        (
            normalize_mobile,
            "09411234567",
            "پیش‌شماره ۰۹۴۱ به هیچ‌یک از اپراتورهای تلفن همراه ایران تعلق ندارد؛ رقم‌های اول را بررسی کنید.",
        ),
        (validate_postal_code, "0423437584", "در پنج رقم اول کد پستی رقم‌های ۰ و ۲ به کار نمی‌رود."),
        (
            validate_sheba,
            "IR0629600000001003242000",
            "شماره شبا پس از IR باید ۲۴ رقم داشته باشد؛ ۲۲ رقم وارد شده است.",
        ),
        (parse_jalali_date, "1404/12/30", "سال ۱۴۰۴ کبیسه نیست و اسفند آن ۲۹ روز دارد."),
        (parse_jalali_date, "1404/07/31", "ماه ۷ (مهر) سال ۱۴۰۴ فقط ۳۰ روز دارد؛ روز ۳۱ در این ماه نیست."),
        (parse_jalali_date, "2025/03/21", "سال ۲۰۲۵ پذیرفته نیست؛ سال شمسی باید بین ۱۲۰۰ و ۱۷۰۰ باشد."),
        (parse_car_plate, "12 X 345 67", "«X» از حروف پلاک‌های ایران نیست."),
        (parse_amount, "12.5", "ریال کسر ندارد؛ مبلغ را به ریال و بدون اعشار وارد کنید."),
    ],
)
def test_error_messages_in_persian(function: Callable[[str], object], value: str, persian: str) -> None:
    with translation.override("fa"):
        assert str(raised(function, value)) == persian


# One bad value for every error code the validators can raise.
EVERY_ERROR: list[tuple[Callable[[str], object], list[str]]] = [
    (validate_national_code, ["", "12a", "123", "0000000000", "1583250688"]),
    (validate_legal_national_id, ["", "1x", "123", "00000000000", "10380284792"]),
    (
        normalize_mobile,
        ["", "0912x", "0", "+44 7911 123456", "02188776655", "0123456789", "0912123", "09411234567"],
    ),
    (validate_postal_code, ["", "12x", "123", "1111111111", "0423437584"]),
    (validate_sheba, ["", "DE12", "IRxx", "IR12", "IR072960000000100324200001"]),
    (parse_jalali_date, ["", "1404", "29/12/1404", "2025/01/01", "1404/13/01", "1404/07/31", "1404/12/30"]),
    (parse_jalali_datetime, ["", "1404/12/29", "1404/12/29 25:00", "1399/01/02 00:30"]),
    (parse_car_plate, ["", "12 ب", "12 X 345 67", "10 ب 345 67", "12 ب 345 07"]),
    (parse_amount, ["", "-1", "x", "1.5", "1.55 تومان", "9" * 20]),
]


@pytest.mark.parametrize(("function", "values"), EVERY_ERROR)
def test_every_error_is_translated(function: Callable[[str], object], values: list[str]) -> None:
    for value in values:
        error = raised(function, value)
        with translation.override("en"):
            english = str(error)
        with translation.override("fa"):
            persian = str(error)
        assert persian != english, error.code
        assert not LATIN_DIGIT.search(persian.replace(value, "")), persian


def test_every_error_code_is_exercised() -> None:
    raised_codes = {raised(function, value).code for function, values in EVERY_ERROR for value in values}
    source = "\n".join(path.read_text(encoding="utf-8") for path in CORE_DIR.glob("*.py"))
    source_codes = set(re.findall(r'InvalidValue\(\s*"([a-z_.]+)"', source))
    unreachable_by_input = {"sheba.invalid"}  # a guard for schwifty errors our own checks pre-empt
    assert source_codes - raised_codes == unreachable_by_input  # a new code needs a bad value above


def test_english_messages_use_plurals_and_latin_digits() -> None:
    with translation.override("en"):
        assert (
            str(raised(validate_national_code, "1")) == "A national code has 10 digits; 1 digit was entered."
        )
        assert (
            str(raised(validate_national_code, "123"))
            == "A national code has 10 digits; 3 digits were entered."
        )


def test_message_speaks_the_language_active_when_it_is_shown() -> None:
    with translation.override("en"):
        error = raised(validate_postal_code, "")
    with translation.override("fa"):
        assert str(error) == "کد پستی را وارد کنید."
    with translation.override("en"):
        assert str(error) == "Enter the postal code."
