"""Forms of the working-hours pages: an office's proposed week, the municipality's decision, and the
out-of-hours flags' filter and review. They check shape only and put the services' domain errors
back on their fields; every write happens in ``licensing.lifecycle``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import DomainError, InvalidValue
from daftar.core.jalali import PERSIAN_WEEK_ORDER, parse_jalali_date
from daftar.core.text import to_latin_digits
from daftar.licensing.lifecycle_selectors import WEEKDAY_NAMES, ActivityKind, WeekRow
from daftar.offices.models import Shift

from .intake_form import DescribedForm

SHIFTS = (Shift.MORNING.value, Shift.EVENING.value)
TIME_ATTRS = {"type": "time", "dir": "ltr", "autocomplete": "off", "step": "60"}


def _time_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=5, widget=forms.TextInput(attrs=TIME_ATTRS)
    )


def _name(weekday: int, shift: str, end: str) -> str:
    return f"w{weekday}_{shift}_{end}"


@dataclass(frozen=True)
class DayFields:
    """The four inputs of one weekday, for the template."""

    name: Any
    morning_opens: forms.BoundField
    morning_closes: forms.BoundField
    evening_opens: forms.BoundField
    evening_closes: forms.BoundField


class WeekForm(DescribedForm):
    """A whole week of hours, Saturday first: each day's morning and evening shift (both times, or
    neither for a shift not worked), and the reason for the change."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: an evening shift for the busy months, or shorter Thursdays."),
    )

    def __init__(self, *args: Any, week: list[WeekRow] | None = None, **kwargs: Any) -> None:
        if week is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                _name(row.weekday, shift, end): f"{getattr(span, end):%H:%M}"
                for row in week
                for shift, span in ((Shift.MORNING.value, row.morning), (Shift.EVENING.value, row.evening))
                if span is not None
                for end in ("opens", "closes")
            }
        super().__init__(*args, **kwargs)
        labels = {
            (Shift.MORNING.value, "opens"): _("Morning opens at"),
            (Shift.MORNING.value, "closes"): _("Morning closes at"),
            (Shift.EVENING.value, "opens"): _("Evening opens at"),
            (Shift.EVENING.value, "closes"): _("Evening closes at"),
        }
        for weekday in PERSIAN_WEEK_ORDER:
            for (shift, end), label in labels.items():
                self.fields[_name(weekday, shift, end)] = _time_field(label)
        self.order_fields([*(n for n in self.fields if n != "reason"), "reason"])

    def days(self) -> list[DayFields]:
        return [
            DayFields(
                name=WEEKDAY_NAMES[weekday],
                morning_opens=self[_name(weekday, Shift.MORNING.value, "opens")],
                morning_closes=self[_name(weekday, Shift.MORNING.value, "closes")],
                evening_opens=self[_name(weekday, Shift.EVENING.value, "opens")],
                evening_closes=self[_name(weekday, Shift.EVENING.value, "closes")],
            )
            for weekday in PERSIAN_WEEK_ORDER
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        schedule: list[dict[str, Any]] = []
        for weekday in PERSIAN_WEEK_ORDER:
            for shift in SHIFTS:
                opens_name, closes_name = _name(weekday, shift, "opens"), _name(weekday, shift, "closes")
                opens = to_latin_digits(data.get(opens_name) or "").strip()
                closes = to_latin_digits(data.get(closes_name) or "").strip()
                if not opens and not closes:
                    continue
                if not opens or not closes:
                    self.add_error(
                        opens_name if not opens else closes_name,
                        _("Give both the opening and the closing time, or leave both empty."),
                    )
                    continue
                schedule.append({"weekday": weekday, "shift": shift, "opens": opens, "closes": closes})
        data["schedule"] = schedule
        return data

    def put_error(self, error: DomainError) -> None:
        """A service's error on the shift it names ("3.morning" → that shift's opening time)."""
        placed = False
        for key, messages in error.field_messages().items():
            weekday, _dot, shift = key.partition(".")
            if key == "reason":
                target: str | None = "reason"
            elif weekday.isdigit() and shift in SHIFTS:
                target = _name(int(weekday), shift, "opens")
            else:
                target = None
            for message in messages:
                self.add_error(target, message)
            placed = True
        if not placed:
            self.add_error(None, str(error))


class DecisionForm(DescribedForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reasons for the decision"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting; the office manager reads it."),
    )


def _jalali_day(text: str) -> date | None:
    if not (text or "").strip():
        return None
    try:
        return parse_jalali_date(text)
    except InvalidValue as exc:
        raise forms.ValidationError(str(exc), code=exc.code) from exc


class FlagFilterForm(DescribedForm):
    day_from = forms.CharField(
        label=_("From day"),
        required=False,
        max_length=20,
        help_text=_("Year/month/day, for example 1405/09/01"),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    day_to = forms.CharField(
        label=_("To day"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    office = forms.CharField(
        label=_("Office code"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric", "autocomplete": "off"}),
    )
    activity = forms.ChoiceField(
        label=_("Activity"),
        required=False,
        choices=[("", _("All")), *((code, ActivityKind.label(code)) for code in ActivityKind.ALL)],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("open", _("Awaiting review")),
            ("dismissed", _("Dismissed")),
            ("violation", _("Recorded as a violation")),
            ("all", _("All")),
        ],
    )

    def clean_day_from(self) -> date | None:
        return _jalali_day(self.cleaned_data.get("day_from", ""))

    def clean_day_to(self) -> date | None:
        return _jalali_day(self.cleaned_data.get("day_to", ""))

    def clean_office(self) -> str:
        return to_latin_digits(self.cleaned_data.get("office", "")).strip()


class FlagReviewForm(DescribedForm):
    action = forms.ChoiceField(choices=[("dismiss", _("Dismiss")), ("violation", _("Record as a violation"))])
    text = forms.CharField(
        label=_("Reason or description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the flag is dismissed, or what the violation was."),
    )
