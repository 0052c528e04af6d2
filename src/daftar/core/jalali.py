"""Solar Hijri (Jalali) dates in Asia/Tehran: parse what people type, format what they read.

Storage is Gregorian ``date`` and timezone-aware UTC ``datetime``; Jalali exists only at the
edges. Calendar arithmetic (leap years included) is jdatetime's. Functions that take a date
also accept an aware datetime and use its date *in Tehran*; naive datetimes are refused,
because guessing their zone is how a payment at 01:00 lands on the wrong day.

Parsing accepts years 1200–1700 only: a Gregorian date typed by mistake (2025/03/21) is
refused instead of being read as a date six centuries away.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

import jdatetime
from django.utils.translation import gettext_lazy as _

from .errors import InvalidValue
from .text import normalize_persian, to_latin_digits, to_persian_digits

TEHRAN: Final = ZoneInfo("Asia/Tehran")
UTC: Final = ZoneInfo("UTC")

JALALI_YEAR_MIN: Final = 1200
JALALI_YEAR_MAX: Final = 1700

MONTH_NAMES_FA: Final = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
# Python weekday numbers (Monday=0) in the order of the Persian week, which starts on Saturday.
PERSIAN_WEEK_ORDER: Final = (5, 6, 0, 1, 2, 3, 4)
WEEKDAY_NAMES_FA: Final = ("شنبه", "یک‌شنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه")

_MONTH_NUMBERS: Final = {name: number for number, name in enumerate(MONTH_NAMES_FA, start=1)} | {"امرداد": 5}

DateStyle = Literal["numeric", "long"]

_SEPARATOR = r"\s*[/\-.٫]\s*"
_DATE = re.compile(rf"(\d{{4}}){_SEPARATOR}(\d{{1,2}}){_SEPARATOR}(\d{{1,2}})")
_LONG_DATE = re.compile(r"(\d{1,2})\s*([^\d\s]+)\s*(\d{4})")
_DAY_FIRST = re.compile(rf"\d{{1,2}}{_SEPARATOR}\d{{1,2}}{_SEPARATOR}\d{{4}}")
_DATETIME = re.compile(r"(?P<date>.+?)(?:\s+|\s*T\s*|\s*،\s*(?:ساعت\s*)?)(?P<time>\d{1,2}:\d{2})")


# --- conversion -------------------------------------------------------------------------------


def tehran_date(value: date) -> date:
    """The calendar date in Tehran: a ``date`` as is, an aware ``datetime`` converted first."""
    if isinstance(value, datetime):
        return to_tehran(value).date()
    if not isinstance(value, date):
        raise TypeError(f"expected date or datetime, got {type(value).__name__}")
    return value


def to_tehran(value: datetime) -> datetime:
    """An aware datetime expressed in Tehran time; a naive one is a ValueError."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: store and pass aware datetimes (UTC) only")
    return value.astimezone(TEHRAN)


def to_jalali(value: date) -> jdatetime.date:
    """The Jalali date of a Gregorian date (or of an aware datetime, in Tehran)."""
    return jdatetime.date.fromgregorian(date=tehran_date(value))


def from_jalali(year: int, month: int, day: int) -> date:
    """The Gregorian date of a Jalali one; InvalidValue if that day does not exist."""
    _check_month(month)
    _check_day(year, month, day)
    return jdatetime.date(year, month, day).togregorian()


def is_jalali_leap(year: int) -> bool:
    """Whether Esfand of this Jalali year has 30 days."""
    return bool(jdatetime.date(year, 1, 1).isleap())


def days_in_jalali_month(year: int, month: int) -> int:
    """31 for the first six months, 30 for the next five, 29 or 30 for Esfand."""
    _check_month(month)
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if is_jalali_leap(year) else 29


# --- calendar facts ---------------------------------------------------------------------------


def fiscal_year_of(value: date) -> int:
    """The fiscal year, which is the Jalali year: it starts on 1 Farvardin."""
    return int(to_jalali(value).year)


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    """First and last Gregorian day (both inclusive) of a Jalali fiscal year."""
    first = from_jalali(year, 1, 1)
    last = from_jalali(year + 1, 1, 1) - timedelta(days=1)
    return first, last


def jalali_month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last Gregorian day (both inclusive) of a Jalali month."""
    first = from_jalali(year, month, 1)
    return first, first + timedelta(days=days_in_jalali_month(year, month) - 1)


def weekday_name_fa(value: date) -> str:
    """«شنبه» … «جمعه» for a date (an aware datetime counts in Tehran)."""
    return WEEKDAY_NAMES_FA[PERSIAN_WEEK_ORDER.index(tehran_date(value).weekday())]


def local_now() -> datetime:
    """Now, as an aware datetime in Tehran time."""
    return datetime.now(TEHRAN)


def local_today() -> date:
    """Today's date in Tehran (which differs from UTC's for 3½ hours every night)."""
    return local_now().date()


# --- formatting -------------------------------------------------------------------------------


def format_jalali_date(value: date, *, persian_digits: bool = True, style: DateStyle = "numeric") -> str:
    """«۱۴۰۴/۰۱/۰۵» (numeric) or «۵ فروردین ۱۴۰۴» (long)."""
    jd = to_jalali(value)
    if style == "numeric":
        text = f"{jd.year:04d}/{jd.month:02d}/{jd.day:02d}"
    elif style == "long":
        text = f"{jd.day} {MONTH_NAMES_FA[jd.month - 1]} {jd.year}"
    else:
        raise ValueError(f"unknown date style: {style!r}")
    return to_persian_digits(text) if persian_digits else text


def format_jalali_datetime(
    value: datetime, *, persian_digits: bool = True, style: DateStyle = "numeric"
) -> str:
    """«۱۴۰۴/۱۲/۲۹ ۱۴:۳۰» or «۲۹ اسفند ۱۴۰۴، ساعت ۱۴:۳۰», in Tehran time. Naive → ValueError."""
    local = to_tehran(value)
    day = format_jalali_date(local.date(), persian_digits=persian_digits, style=style)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if persian_digits:
        clock = to_persian_digits(clock)
    return f"{day}، ساعت {clock}" if style == "long" else f"{day} {clock}"


# --- parsing ----------------------------------------------------------------------------------


def parse_jalali_date(text: str) -> date:
    """Read a Jalali date typed as year/month/day (or «۲۹ اسفند ۱۴۰۴») into a Gregorian ``date``.

    Accepts Persian, Arabic-Indic or Latin digits; ``/``, ``-``, ``.`` or ``٫`` between the
    parts; one- or two-digit months and days ("1404-1-5"). The year has four digits.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    cleaned = to_latin_digits(normalize_persian(text))
    if not cleaned:
        raise InvalidValue("jalali_date.empty", _("Enter a date."))
    match = _DATE.fullmatch(cleaned)
    if match is None:
        long_match = _LONG_DATE.fullmatch(cleaned)
        if long_match and long_match.group(2) in _MONTH_NUMBERS:
            day_text, month_name, year_text = long_match.groups()
            _check_year(int(year_text))
            return from_jalali(int(year_text), _MONTH_NUMBERS[month_name], int(day_text))
        if _DAY_FIRST.fullmatch(cleaned):
            raise InvalidValue(
                "jalali_date.order", _("Write the year first: year/month/day, for example 1404/12/29.")
            )
        raise InvalidValue(
            "jalali_date.format", _("Write the date as year/month/day, for example 1404/12/29.")
        )
    year, month, day = (int(part) for part in match.groups())
    _check_year(year)
    return from_jalali(year, month, day)


def parse_jalali_datetime(text: str) -> datetime:
    """Read «1404/12/29 14:30» (Tehran wall-clock time) into an aware datetime in Tehran.

    The date part is read as by ``parse_jalali_date``; the time is HH:MM, 24-hour clock.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    cleaned = to_latin_digits(normalize_persian(text))
    match = _DATETIME.fullmatch(cleaned)
    if match is None:
        if not cleaned:
            raise InvalidValue("jalali_datetime.empty", _("Enter a date and time."))
        raise InvalidValue(
            "jalali_datetime.format",
            _("Write the date and time as year/month/day hour:minute, for example 1404/12/29 14:30."),
        )
    day = parse_jalali_date(match.group("date"))
    return _tehran_datetime(day, _parse_clock(match.group("time")))


def _parse_clock(text: str) -> time:
    hour, minute = (int(part) for part in text.split(":"))
    if hour > 23 or minute > 59:
        raise InvalidValue(
            "jalali_datetime.time", _("%(time)s is not a time of day; use 00:00 to 23:59."), {"time": text}
        )
    return time(hour, minute)


def _tehran_datetime(day: date, clock: time) -> datetime:
    aware = datetime.combine(day, clock, tzinfo=TEHRAN)
    # Until 1401 Tehran moved its clocks; an hour skipped in spring never existed there.
    round_trip = aware.astimezone(UTC).astimezone(TEHRAN)
    if round_trip.replace(tzinfo=None) != aware.replace(tzinfo=None):
        raise InvalidValue(
            "jalali_datetime.skipped_hour",
            _("That time did not exist in Tehran: the clocks were moved forward an hour."),
        )
    return aware


# --- checks -----------------------------------------------------------------------------------


def _check_year(year: int) -> None:
    if not JALALI_YEAR_MIN <= year <= JALALI_YEAR_MAX:
        raise InvalidValue(
            "jalali_date.year",
            _("The year %(year)d is out of range; enter a Solar Hijri year between %(min)d and %(max)d."),
            {"year": year, "min": JALALI_YEAR_MIN, "max": JALALI_YEAR_MAX},
        )


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise InvalidValue(
            "jalali_date.month",
            _("There is no month %(month)d; months run from 1 to 12."),
            {"month": month},
        )


def _check_day(year: int, month: int, day: int) -> None:
    days = days_in_jalali_month(year, month)
    if 1 <= day <= days:
        return
    if month == 12 and day == 30:
        raise InvalidValue(
            "jalali_date.not_leap",
            _("%(year)d is not a leap year: Esfand %(year)d has 29 days."),
            {"year": year},
        )
    raise InvalidValue(
        "jalali_date.day",
        _("Month %(month)d (%(month_name)s) of %(year)d has %(days)d days; there is no day %(day)d."),
        {"day": day, "month": month, "month_name": MONTH_NAMES_FA[month - 1], "year": year, "days": days},
    )
