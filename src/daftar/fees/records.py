"""Reading registered records from CSV: keys in their one stored spelling, the header map (Persian or
English column names) and the check of each field, with a Persian reason per bad field.

Pure functions (no database): ``services.records_import`` does the writing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TextIO, cast

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from daftar.catalog.intake import FORMATS
from daftar.core.errors import InvalidValue
from daftar.core.jalali import parse_jalali_date
from daftar.core.plates import validate_car_plate
from daftar.core.text import (
    digits_only,
    normalize_for_search,
    normalize_persian,
    to_latin_digits,
    to_persian_digits,
)
from daftar.core.validators import validate_legal_national_id, validate_national_code, validate_postal_code

from .models import PropertyUse, VehicleType

LINE_KEY = "#line"  # the file line a row started on, added by csv_rows()
LIST_SEPARATOR = ";"  # several owners in one cell: «۰۰۱۲۳۴۵۶۷۹;۰۰۲۳۴۵۶۷۸۹»
MAX_AREA_M2 = 10_000_000
MIN_MODEL_YEAR, MAX_MODEL_YEAR = 1330, 1420


# --- keys -----------------------------------------------------------------------------------------


def renewal_code_clean(value: str) -> str:
    """«۳-۱۲۳-۴۵-۶» → "3-123-45-6": the catalogue's ``renewal_code`` format."""
    return FORMATS["renewal_code"](normalize_persian(value))


def licence_number_clean(value: str) -> str:
    text = to_latin_digits(normalize_persian(value)).replace(" ", "").replace("-", "")
    if not re.fullmatch(r"[0-9]{4,20}", text):
        raise InvalidValue("business.licence_number", _("A business licence number is 4 to 20 digits."))
    return text


_MOTORCYCLE = re.compile(r"([1-9][0-9]{2})[\s\-–|/]*([0-9]{5})")


def plate_clean(value: str, *, vehicle_type: str | None = None) -> str:
    """A car plate as "12ب345-67"; a motorcycle plate (three digits over five) as "123-45678"."""
    text = to_latin_digits(normalize_persian(value))
    if vehicle_type in (None, VehicleType.MOTORCYCLE) and (match := _MOTORCYCLE.fullmatch(text.strip())):
        return f"{match.group(1)}-{match.group(2)}"
    if vehicle_type == VehicleType.MOTORCYCLE:
        raise InvalidValue(
            "vehicle.motorcycle_plate",
            _("A motorcycle plate is three digits and five digits, e.g. 123-45678."),
        )
    return validate_car_plate(value)


def subject_key_clean(kind: str, value: str) -> str:
    """The stored key of a record of ``kind`` (property, business or vehicle) as typed by someone."""
    cleaners: dict[str, Callable[[str], str]] = {
        "property": renewal_code_clean,
        "business": licence_number_clean,
        "vehicle": plate_clean,
    }
    if kind not in cleaners:
        raise InvalidValue("fees.subject_kind", _("Unknown kind of record."))
    return cleaners[kind](value)


def owner_code_clean(value: str) -> str:
    """A person's national code (10 digits) or a legal entity's national ID (11 digits)."""
    if len(digits_only(value)) == 11:
        return validate_legal_national_id(value)
    return validate_national_code(value)


# --- field parsers -------------------------------------------------------------------------------


def _text(limit: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        text = normalize_persian(value)
        if len(text) > limit:
            raise InvalidValue("fees.too_long", _("At most %(limit)s characters."), {"limit": limit})
        return text

    return parse


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        text = to_latin_digits(normalize_persian(value)).replace(",", "").replace("٬", "")
        if not re.fullmatch(r"[0-9]+", text):
            raise InvalidValue("fees.not_whole", _("Enter a whole number."))
        number = int(text)
        if not low <= number <= high:
            raise InvalidValue(
                "fees.out_of_range", _("Must be between %(low)s and %(high)s."), {"low": low, "high": high}
            )
        return number

    return parse


def area_clean(value: str) -> int:
    """Square metres, rounded half-up to whole metres («۱۲۰٫۵» → 121)."""
    text = to_latin_digits(normalize_persian(value)).replace(",", "").replace("٬", "").replace("٫", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number < 0 or number > MAX_AREA_M2:
        raise InvalidValue("fees.area", _("Enter the area in square metres, e.g. 120 or 120.5."))
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _choice(choices: type[PropertyUse] | type[VehicleType]) -> Callable[[str], str]:
    by_name = {normalize_for_search(str(value)): value for value in choices.values}

    def parse(value: str) -> str:
        key = normalize_for_search(value)
        found = by_name.get(key) or _CHOICE_ALIASES.get(key)
        if found is None or found not in choices.values:
            raise InvalidValue(
                "fees.choice",
                _("Unknown value «%(value)s»; use one of: %(options)s."),
                {"value": value[:40], "options": "، ".join(str(label) for label in choices.labels)},
            )
        return found

    return parse


# Persian words people write in the use and vehicle-type columns.
_CHOICE_ALIASES = {
    normalize_for_search(word): value
    for word, value in {
        "مسکونی": "residential",
        "تجاری": "commercial",
        "اداری": "administrative",
        "صنعتی": "industrial",
        "سایر": "other",
        "سواری": "car",
        "خودرو سواری": "car",
        "موتورسیکلت": "motorcycle",
        "موتور سیکلت": "motorcycle",
        "وانت": "van",
        "کامیون": "truck",
        "کامیونت": "truck",
        "اتوبوس": "bus",
        "مینی‌بوس": "bus",
        "مینی بوس": "bus",
    }.items()
}


def _guild_code(value: str) -> str:
    """The guild group fee rules read as ``business.guild`` (retail, food, workshop…), in lower case."""
    text = to_latin_digits(normalize_persian(value)).replace(" ", "").casefold()
    if not re.fullmatch(r"[a-z0-9_\-]{1,16}", text):
        raise InvalidValue("business.guild_code", _("A guild code is up to 16 Latin letters and digits."))
    return text


def _vin(value: str) -> str:
    text = to_latin_digits(normalize_persian(value)).replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z0-9]{5,25}", text):
        raise InvalidValue("vehicle.vin", _("A chassis number is 5 to 25 Latin letters and digits."))
    return text


def _jalali(value: str) -> date:
    return parse_jalali_date(value)


def share_clean(value: str) -> Decimal:
    text = to_latin_digits(normalize_persian(value)).replace("%", "").replace("٪", "").replace("٫", ".")
    try:
        share = Decimal(text.strip())
    except InvalidOperation:
        share = Decimal(-1)
    if not share.is_finite() or not 0 < share <= 100:
        raise InvalidValue("fees.share", _("A share is a percentage above 0 and at most 100."))
    return share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the columns of each kind ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    label_fa: str  # the Persian column name, also the field's name in rejection reasons
    headers: tuple[str, ...]  # every accepted column name (Persian and English)
    parse: Callable[[str], Any]
    required: bool = False
    empty: Any = ""  # what a blank cell stores (an optional column given blank clears the field)


_OWNER_COLUMNS = (
    Column("owner_national_code", "کد ملی مالک", ("owner_national_code", "کد ملی مالک", "شناسه ملی مالک"),
           str, required=True),
    Column("owner_name", "نام مالک", ("owner_name", "نام مالک"), str, required=True),
)  # fmt: skip
_ZONE = Column("zone", "منطقه", ("zone", "district", "منطقه", "منطقه شهرداری"), _whole(1, 99), empty=None)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "property": (
        Column("renewal_code", "کد نوسازی", ("renewal_code", "کد نوسازی"), renewal_code_clean, required=True),
        _ZONE,
        Column("address", "نشانی", ("address", "نشانی", "آدرس"), _text(500)),
        Column("postal_code", "کد پستی", ("postal_code", "کد پستی"), validate_postal_code),
        Column("area_m2", "مساحت عرصه", ("area_m2", "land_area_m2", "مساحت عرصه", "مساحت زمین"), area_clean,
               required=True),
        Column("built_area_m2", "مساحت اعیان", ("built_area_m2", "مساحت اعیان", "زیربنا"), area_clean,
               empty=0),
        Column("use", "کاربری", ("use", "کاربری"), _choice(PropertyUse), required=True),
        *_OWNER_COLUMNS,
        Column("owner_share", "سهم مالک", ("owner_share", "سهم مالک", "سهم"), str),
    ),
    "business": (
        Column("licence_number", "شماره پروانه کسب",
               ("licence_number", "license_number", "شماره پروانه کسب", "شماره پروانه"), licence_number_clean,
               required=True),
        Column("name", "نام واحد صنفی", ("name", "business_name", "نام واحد صنفی"), _text(200),
               required=True),
        Column("guild_code", "کد صنف", ("guild_code", "کد صنف"), _guild_code, required=True),
        Column("guild_name", "عنوان صنف", ("guild_name", "guild", "عنوان صنف", "صنف"), _text(100)),
        *_OWNER_COLUMNS,
        Column("renewal_code", "کد نوسازی محل کسب",
               ("renewal_code", "کد نوسازی", "کد نوسازی محل کسب"), renewal_code_clean),
        _ZONE,
        Column("area_m2", "مساحت", ("area_m2", "مساحت", "مساحت واحد"), area_clean, required=True),
        Column("licence_valid_until", "اعتبار پروانه تا",
               ("licence_valid_until", "اعتبار پروانه تا", "تاریخ اعتبار پروانه"), _jalali, empty=None),
    ),
    "vehicle": (
        Column("plate", "شماره پلاک", ("plate", "پلاک", "شماره پلاک"), str, required=True),
        Column("vehicle_type", "نوع وسیله نقلیه", ("vehicle_type", "نوع وسیله نقلیه", "نوع خودرو"),
               _choice(VehicleType), required=True),
        Column("model_year", "سال ساخت", ("model_year", "سال ساخت"), _whole(MIN_MODEL_YEAR, MAX_MODEL_YEAR),
               required=True),
        Column("vin", "شماره شاسی", ("vin", "شماره شاسی"), _vin),
        *_OWNER_COLUMNS,
    ),
}  # fmt: skip
KEY_FIELD = {"property": "renewal_code", "business": "licence_number", "vehicle": "plate"}


def header_key(text: str) -> str:
    return normalize_for_search(text.replace("_", " "))


def header_map(kind: str, headers: list[str]) -> dict[str, Column]:
    """Each column of the file → what it holds; refuses unknown, repeated and missing columns."""
    known = {header_key(name): column for column in COLUMNS[kind] for name in column.headers}
    found: dict[str, Column] = {}
    unknown, repeated = [], []
    for header in headers:
        column = known.get(header_key(header or ""))
        if column is None:
            unknown.append(header or "?")
        elif column.field in {c.field for c in found.values()}:
            repeated.append(header)
        else:
            found[header] = column
    missing = [c.label_fa for c in COLUMNS[kind] if c.required and c not in found.values()]
    problems = []
    if unknown:
        problems.append(gettext("unknown columns: %(names)s") % {"names": "، ".join(unknown)})
    if repeated:
        problems.append(gettext("columns given twice: %(names)s") % {"names": "، ".join(repeated)})
    if missing:
        problems.append(gettext("missing columns: %(names)s") % {"names": "، ".join(missing)})
    if problems:
        raise InvalidValue("fees.csv_headers", "%(problems)s", {"problems": "؛ ".join(problems)})
    return found


# --- one row -------------------------------------------------------------------------------------


def reason(label: str, message: object) -> str:
    """One reason of a rejected row: the field's Persian column name, then what is wrong with it."""
    return f"{label}: {message}"


def row_parse(
    kind: str, columns: Mapping[str, Column], row: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The row's values by field, and a reason per bad field (empty when the row is good)."""
    values: dict[str, Any] = {}
    reasons: list[str] = []
    if cast(Mapping[Any, Any], row).get(None):  # csv.DictReader puts extra cells under None
        reasons.append(gettext("the row has more cells than the header has columns"))
    for header, column in columns.items():
        raw = row.get(header)
        if raw is None:
            reasons.append(gettext("the row has fewer cells than the header has columns"))
            break
        text = raw.strip()
        if not text:
            if column.required:
                reasons.append(reason(column.label_fa, gettext("This field is required.")))
            else:
                values[column.field] = column.empty
            continue
        try:
            values[column.field] = column.parse(text)
        except InvalidValue as error:
            reasons.append(f"{column.label_fa}: {error}")
    if kind == "property" and not reasons:
        values, reasons = _owners(values)
    if kind == "vehicle" and "plate" in values:
        try:
            values["plate"] = plate_clean(values["plate"], vehicle_type=values.get("vehicle_type"))
        except InvalidValue as error:
            reasons.append(f"شماره پلاک: {error}")
    if kind != "property" and "owner_national_code" in values:
        try:
            values["owner_national_code"] = owner_code_clean(values["owner_national_code"])
        except InvalidValue as error:
            reasons.append(f"کد ملی مالک: {error}")
        try:
            values["owner_name"] = _text(200)(values.get("owner_name", ""))
        except InvalidValue as error:
            reasons.append(f"نام مالک: {error}")
    return values, reasons


def _owners(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Owners from the ``;``-separated owner columns: codes, names and (optional) shares."""
    codes = [c.strip() for c in values.pop("owner_national_code").split(LIST_SEPARATOR)]
    names = [normalize_persian(n) for n in values.pop("owner_name").split(LIST_SEPARATOR)]
    raw_shares = values.pop("owner_share", "")
    reasons = []
    if len(names) != len(codes):
        counts = {"codes": len(codes), "names": len(names)}
        reasons.append(
            reason("کد ملی مالک", gettext("%(codes)s national codes but %(names)s names") % counts)
        )
    clean_codes = []
    for index, code in enumerate(codes):
        try:
            clean_codes.append(owner_code_clean(code))
        except InvalidValue as error:
            label = f"کد ملی مالک {to_persian_digits(str(index + 1))}" if len(codes) > 1 else "کد ملی مالک"
            reasons.append(f"{label}: {error}")
    if any(not name or len(name) > 200 for name in names):
        reasons.append(reason("نام مالک", gettext("Every owner needs a name of at most 200 characters.")))
    if len(set(clean_codes)) != len(clean_codes):
        reasons.append(reason("کد ملی مالک", gettext("An owner is listed twice.")))
    shares = [(Decimal(100) / len(codes)).quantize(Decimal("0.01"))] * len(codes)
    if raw_shares:
        cells = raw_shares.split(LIST_SEPARATOR)
        try:
            shares = [share_clean(cell) for cell in cells]
        except InvalidValue as error:
            reasons.append(f"سهم مالک: {error}")
        else:
            if len(cells) != len(codes):
                reasons.append(reason("سهم مالک", gettext("Give one share per owner.")))
            elif abs(sum(shares, Decimal(0)) - 100) > Decimal("0.1"):
                reasons.append(reason("سهم مالک", gettext("The shares must add up to 100.")))
    if not reasons:
        values["owners"] = list(zip(clean_codes, names, shares, strict=True))
    return values, reasons


# --- files ---------------------------------------------------------------------------------------


def csv_rows(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Rows of a CSV file as dicts by header, each with the line it started on under LINE_KEY.

    Streams: one row in memory at a time. Open the file with ``encoding="utf-8-sig"`` so a byte
    order mark (Excel writes one) is not read as part of the first header.
    """
    reader = csv.DictReader(stream)
    _header = reader.fieldnames  # reads the header row
    line = reader.line_num + 1
    for row in reader:
        row[LINE_KEY] = line
        yield row
        line = reader.line_num + 1


def csv_headers(stream: TextIO) -> list[str]:
    return next(csv.reader(stream), [])
