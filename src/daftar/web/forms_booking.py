"""Forms of the appointment pages (نوبت‌دهی): finding an office, the steps of choosing a time
(read from the query string), confirming, cancelling, the desk's check-in and its day picker.

They check shape and turn what was typed (Persian digits, Jalali dates) into values; every write
happens in ``daftar.appointments.services``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.appointments.models import CODE_LENGTH
from daftar.appointments.selectors import normalize_booking_code
from daftar.core.errors import DomainError, InvalidValue
from daftar.core.jalali import JALALI_YEAR_MAX, JALALI_YEAR_MIN, parse_jalali_date
from daftar.core.text import normalize_for_search, to_latin_digits
from daftar.offices.models import LicenceStatus, Office, Zone

from .intake_form import DescribedForm

MAX_OFFICES_SHOWN = 50
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_KEY = re.compile(r"[0-9a-f]{32}")
LTR_CODE = {"dir": "ltr", "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}


# --- step 1: the office -----------------------------------------------------------------------------


def offices_taking_bookings(*, city_id: int | None) -> list[Office]:
    """The city's offices that can serve (active licence), by district and code: one query.

    A city has at most a few hundred offices; the search below filters them in Python so that
    Persian spelling variants (ی/ي، ک/ك، ZWNJ) meet, as ``normalize_for_search`` promises.
    """
    if city_id is None:
        return []
    return list(
        Office.objects.filter(city_id=city_id, licence_status=LicenceStatus.ACTIVE)
        .select_related("zone", "city")
        .order_by("zone__number", "code")
    )


class OfficeSearchForm(DescribedForm):
    """Offices by (part of) their name or code, and by district."""

    q = forms.CharField(label=_("Office name or code"), max_length=100, required=False)
    district = forms.TypedChoiceField(label=_("District"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("All districts")), *((z.number, z.name) for z in zones)]

    def filter(self, offices: list[Office]) -> list[Office]:
        data = self.cleaned_data if self.is_valid() else {}
        needle = normalize_for_search(data.get("q") or "")
        district = data.get("district")
        found = [
            office
            for office in offices
            if (district is None or office.zone.number == district)
            and (not needle or needle in normalize_for_search(office.name) or needle == office.code)
        ]
        return found[:MAX_OFFICES_SHOWN]


# --- steps 2 and 3: the day and the time, from the query string ----------------------------------


class BookingPickForm(forms.Form):
    """Where the citizen is in the steps: ``?office=1102&service=<code>&month=1405-09&day=…&time=…``.

    Every value is optional and a malformed one is simply dropped: the page then asks for it.
    ``day`` is the ISO (Gregorian) date, ``time`` the office's local wall-clock time.
    """

    office = forms.CharField(max_length=16, required=False)
    service = forms.CharField(max_length=80, required=False)
    month = forms.CharField(max_length=7, required=False)
    day = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    time = forms.CharField(max_length=5, required=False)

    def values(self) -> dict[str, Any]:
        """The valid values; ``month`` as (year, month) and ``time`` as a ``time``."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        result: dict[str, Any] = {
            "office": to_latin_digits(data.get("office") or "").strip(),
            "service": (data.get("service") or "").strip(),
            "day": data.get("day"),
            "month": None,
            "time": None,
        }
        month = _MONTH.fullmatch(to_latin_digits(data.get("month") or ""))
        if (
            month
            and JALALI_YEAR_MIN <= int(month.group(1)) <= JALALI_YEAR_MAX
            and 1 <= int(month.group(2)) <= 12
        ):
            result["month"] = (int(month.group(1)), int(month.group(2)))
        clock = _CLOCK.fullmatch(to_latin_digits(data.get("time") or ""))
        if clock:
            result["time"] = time(int(clock.group(1)), int(clock.group(2)))
        return result


# --- step 4: confirm --------------------------------------------------------------------------------


def _starts(value: str) -> datetime:
    """A slot's start as posted back: ISO 8601 with its UTC offset (aware)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise forms.ValidationError(_("Choose one of the free times."), code="starts") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise forms.ValidationError(_("Choose one of the free times."), code="starts")
    return moment


class BookingConfirmForm(forms.Form):
    """The chosen slot, posted from the confirmation step. ``key`` makes a double submit harmless."""

    office = forms.CharField(max_length=16, widget=forms.HiddenInput)
    service = forms.CharField(max_length=80, widget=forms.HiddenInput)
    starts = forms.CharField(max_length=40, widget=forms.HiddenInput)
    key = forms.CharField(max_length=32, widget=forms.HiddenInput)

    def clean_starts(self) -> datetime:
        return _starts(self.cleaned_data["starts"])

    def clean_key(self) -> str:
        key = str(self.cleaned_data["key"])
        if not _KEY.fullmatch(key):
            raise forms.ValidationError(_("The form has expired; please choose the time again."), code="key")
        return key


class BookingMoveForm(forms.Form):
    """The new slot of a booking being moved (the booking itself is in the URL)."""

    starts = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def clean_starts(self) -> datetime:
        return _starts(self.cleaned_data["starts"])


class BookingCancelForm(DescribedForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


# --- the desk ---------------------------------------------------------------------------------------


class BookingCheckInForm(DescribedForm):
    """A booking code read out or shown by the citizen at the counter."""

    code = forms.CharField(
        label=_("Booking code"),
        max_length=20,
        help_text=_("8 letters and digits, as in the booking SMS"),
        widget=forms.TextInput(attrs=LTR_CODE),
    )

    def clean_code(self) -> str:
        code = normalize_booking_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH:
            raise forms.ValidationError(
                _("A booking code has %(count)d letters and digits."),
                code="booking_code",
                params={"count": CODE_LENGTH},
            )
        return code

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error("code" if error.code.startswith("booking.") else None, str(error))


class DeskDayForm(DescribedForm):
    """The day whose bookings the desk lists, typed as a Jalali date."""

    day = forms.CharField(
        label=_("Day"),
        max_length=20,
        required=False,
        help_text=_("year/month/day, for example 1405/09/12"),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_day(self) -> date | None:
        text = self.cleaned_data["day"]
        if not text.strip():
            return None
        try:
            return parse_jalali_date(text)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc
