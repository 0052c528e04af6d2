"""Template filters for what a person reads: Persian digits, Jalali dates, times, rials.

In Persian every digit shown is Persian; in English the same values show Latin digits and
Gregorian-independent Jalali dates, since Jalali dates are the law of the land either way.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django import template
from django.utils import timezone

from daftar.cases.tracking import display
from daftar.core.i18n import is_english
from daftar.core.jalali import format_jalali_date, format_jalali_datetime
from daftar.core.money import format_rials
from daftar.core.text import to_persian_digits

register = template.Library()


@register.filter
def fa_digits(value: object) -> str:
    text = "" if value is None else str(value)
    return text if is_english() else to_persian_digits(text)


@register.filter
def jdate(value: date | datetime | None, style: str = "numeric") -> str:
    if value is None or value == "":
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return format_jalali_date(
        day, persian_digits=not is_english(), style="long" if style == "long" else "numeric"
    )


@register.filter
def jdatetime(value: datetime | None) -> str:
    if value is None or value == "":
        return ""
    return format_jalali_datetime(value, persian_digits=not is_english())


@register.filter
def hm(value: time | datetime | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return fa_digits(value.strftime("%H:%M"))


@register.filter
def rials(value: int | None, unit: str = "rial") -> str:
    if value is None or value == "":
        return ""
    return format_rials(
        int(value), unit="toman" if unit == "toman" else "rial", persian_digits=not is_english()
    )


@register.filter
def absolute(value: int | None) -> int | str:
    """The size of a number without its sign (days late shown as a positive count)."""
    if value is None or value == "":
        return ""
    return abs(int(value))


@register.filter
def tracking(value: str | None) -> str:
    """A tracking code grouped for reading: ABCDE-FGHJK (always Latin, shown left to right)."""
    return display(value or "")
