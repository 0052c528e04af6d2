"""Forms of the supervision pages: filtering the city's offices, recording an inspection with its
checklist and violations, issuing a sanction, and filing or deciding an appeal.

They check shape and read what was typed (Persian digits, Jalali dates); every rule and every
write lives in ``daftar.licensing.supervision``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import DomainError, InvalidValue
from daftar.core.jalali import (
    format_jalali_date,
    format_jalali_datetime,
    parse_jalali_date,
    parse_jalali_datetime,
)
from daftar.core.text import normalize_persian, to_latin_digits
from daftar.licensing.models import InspectionKind, SanctionKind, Violation, ViolationType
from daftar.licensing.supervision_selectors import CHECKLIST_ITEMS
from daftar.offices.models import LicenceStatus, Zone

from .intake_form import DescribedForm
from .templatetags.daftar import fa_digits

CHECK_PREFIX = "check_"
TEXT_MAX = 4000
LTR = {"dir": "ltr", "autocomplete": "off"}


def error_to_form(form: forms.Form, error: DomainError, rename: Mapping[str, str] | None = None) -> None:
    """Put a domain error's field messages on the form's fields (service names renamed to the
    form's), the rest above the form."""
    placed = False
    for name, messages in error.field_messages().items():
        target = (rename or {}).get(name, name)
        if target in form.fields:
            for message in messages:
                form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, str(error))


def _text(label: Any, *, required: bool = True, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _jalali_date(text: str) -> date | None:
    if not (text or "").strip():
        return None
    try:
        return parse_jalali_date(text)
    except InvalidValue as exc:
        raise forms.ValidationError(str(exc), code=exc.code) from exc


def jalali_date_text(value: date) -> str:
    return format_jalali_date(value, persian_digits=False)


def violation_label(violation: Violation) -> str:
    """«type — when: what was seen» for ticking it in a list."""
    text = violation.description if len(violation.description) <= 80 else violation.description[:79] + "…"
    return fa_digits(f"{violation.type.name_fa} — {format_jalali_datetime(violation.observed_at)}: {text}")


# --- the city's offices --------------------------------------------------------------------------


class OfficesFilterForm(DescribedForm):
    q = forms.CharField(label=_("Office name, code or licence number"), max_length=100, required=False)
    district = forms.TypedChoiceField(label=_("District"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label=_("Standing"), required=False)

    def __init__(self, *args: Any, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = self.fields["district"]
        assert isinstance(district, forms.TypedChoiceField)
        district.choices = [("", _("All districts")), *((z.number, z.name) for z in zones)]
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", _("Any standing")), *LicenceStatus.choices]

    def clean_q(self) -> str:
        return to_latin_digits(normalize_persian(self.cleaned_data.get("q") or ""))


# --- an inspection -------------------------------------------------------------------------------


class InspectionForm(DescribedForm):
    """The inspector's form, on a phone at the office: when, what kind, the checklist (ticked when
    as it should be), findings, and any violations found."""

    kind = forms.ChoiceField(
        label=_("Kind of inspection"),
        choices=InspectionKind.choices,
        initial=InspectionKind.ROUTINE,
        widget=forms.RadioSelect,
    )
    inspected_at = forms.CharField(
        label=_("Date and time of the inspection"),
        max_length=20,
        help_text=_("Year/month/day hour:minute, for example 1405/02/14 10:30"),
        widget=forms.TextInput(attrs=LTR),
    )
    complaint = forms.CharField(
        label=_("Tracking code of the complaint it follows"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={**LTR, "inputmode": "numeric"}),
    )
    findings = _text(_("Findings"), required=False, rows=4)
    violation_types = forms.MultipleChoiceField(
        label=_("Violations found"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    violation_description = _text(
        _("What was observed"),
        required=False,
        help_text=_("Required when a violation is ticked; recorded with each violation."),
    )

    def __init__(self, *args: Any, types: list[ViolationType], now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in CHECKLIST_ITEMS.items():
            self.fields[CHECK_PREFIX + key] = forms.BooleanField(label=label, required=False, initial=True)
        field = self.fields["violation_types"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(t.code, t.name_fa) for t in types]
        self.fields["inspected_at"].initial = format_jalali_datetime(now, persian_digits=False)
        self.order_fields(
            [
                "kind",
                "inspected_at",
                "complaint",
                *(CHECK_PREFIX + key for key in CHECKLIST_ITEMS),
                "findings",
            ]
        )

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[CHECK_PREFIX + key] for key in CHECKLIST_ITEMS]

    def clean_inspected_at(self) -> datetime:
        try:
            return parse_jalali_datetime(self.cleaned_data.get("inspected_at") or "")
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc

    def clean_complaint(self) -> str:
        return to_latin_digits(normalize_persian(self.cleaned_data.get("complaint") or "")).replace("-", "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("violation_types") and not normalize_persian(
            data.get("violation_description") or "", multiline=True
        ):
            self.add_error("violation_description", _("Describe what was observed."))
        return data

    def checklist(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(CHECK_PREFIX + key)) for key in CHECKLIST_ITEMS}


# Service field names → this form's.
INSPECTION_RENAME = {
    "type_code": "violation_types",
    "description": "violation_description",
    "observed_at": "inspected_at",
}


# --- a sanction ----------------------------------------------------------------------------------


class SanctionForm(DescribedForm):
    kind = forms.ChoiceField(label=_("Sanction"), choices=SanctionKind.choices, widget=forms.RadioSelect)
    violations = forms.TypedMultipleChoiceField(
        label=_("Violations it is for"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    reason = _text(_("Reasons"), rows=4, help_text=_("The office reads these in the notice."))
    starts_on = forms.CharField(
        label=_("Suspension starts on"),
        max_length=12,
        required=False,
        help_text=_("Year/month/day; empty for today. Suspensions only."),
        widget=forms.TextInput(attrs=LTR),
    )
    ends_on = forms.CharField(
        label=_("Suspension ends on"),
        max_length=12,
        required=False,
        help_text=_("The office serves again from this day. Suspensions only."),
        widget=forms.TextInput(attrs=LTR),
    )

    def __init__(self, *args: Any, violations: list[Violation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["violations"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(v.pk, violation_label(v)) for v in violations]

    def clean_starts_on(self) -> date | None:
        return _jalali_date(self.cleaned_data.get("starts_on") or "")

    def clean_ends_on(self) -> date | None:
        return _jalali_date(self.cleaned_data.get("ends_on") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") != SanctionKind.SUSPENSION:
            data["starts_on"] = data["ends_on"] = None  # only a suspension has dates of its own
        return data


SANCTION_RENAME = {"violation_ids": "violations"}


# --- appeals -------------------------------------------------------------------------------------


class AppealFileForm(DescribedForm):
    statement = _text(_("Grounds of the appeal"), rows=5)


class AppealDecideForm(DescribedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("uphold", _("Uphold the sanction")), ("overturn", _("Overturn the sanction"))],
        widget=forms.RadioSelect,
    )
    reason = _text(_("Reasons for the decision"), rows=3)
