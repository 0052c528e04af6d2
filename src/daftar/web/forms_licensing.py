"""Forms of the office-licensing pages: who may apply, calls for applications, the exam and
interview, the site visit and the public register. They check shape; every write happens in
``daftar.licensing.services``, whose per-field errors are put back on these fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import DomainError, InvalidValue
from daftar.core.i18n import pick
from daftar.core.jalali import format_jalali_datetime, parse_jalali_datetime
from daftar.core.text import to_latin_digits
from daftar.licensing.models import BuildingUse
from daftar.offices.models import Zone

from .intake_form import DescribedForm, PersianDecimalField, PersianIntegerField, describe_help

LTR = {"dir": "ltr", "autocomplete": "off"}
DECIMAL_ATTRS = {**LTR, "inputmode": "decimal"}
DATETIME_HELP = _("Year/month/day hour:minute, for example 1405/02/15 09:30")
EQUIPMENT_PREFIX = "eq_"


def domain_errors_to_form(form: forms.Form, error: DomainError) -> None:
    """A service's per-field messages on the form's fields; messages for fields the form does not
    have, and the error itself when nothing could be placed, above the form."""
    placed = False
    for name, messages in error.field_messages().items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
        placed = placed or target is not None
    if not placed and not form.non_field_errors():
        form.add_error(None, str(error))


def jalali_datetime_text(value: datetime | None) -> str:
    """How a date-time is typed back into a form: «1405/02/15 09:30» (Latin digits, Tehran time)."""
    return format_jalali_datetime(value, persian_digits=False) if value is not None else ""


class JalaliDateTimeField(forms.CharField):
    """A Jalali date and time typed as year/month/day hour:minute, read in Tehran time."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", DATETIME_HELP)
        kwargs.setdefault("widget", forms.TextInput(attrs=LTR))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> datetime | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_jalali_datetime(text)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; each is checked by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        cleaned = single(data, initial)
        return [cleaned] if cleaned else []


# --- who may apply ---------------------------------------------------------------------------------


def _schema_choices(schema: Mapping[str, Any], name: str) -> list[tuple[str, str]]:
    """The choices of one enum property of the intake schema, titled as the catalogue titles them."""
    spec = (schema.get("properties") or {}).get(name) or {}
    values = [str(v) for v in spec.get("enum") or []]
    titles = [str(t) for t in spec.get("x-enum-titles") or []]
    if len(titles) != len(values):
        titles = values
    return list(zip(values, titles, strict=True))


def _schema_label(schema: Mapping[str, Any], name: str) -> str:
    spec = (schema.get("properties") or {}).get(name) or {}
    return pick(str(spec.get("title") or name), str(spec.get("x-title-en") or ""))


class ApplicantKindForm(DescribedForm):
    """Person type and nationality, as the national portal asks before showing the apply button."""

    person_type = forms.ChoiceField(widget=forms.RadioSelect)
    nationality = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args: Any, schema: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("person_type", "nationality"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = _schema_choices(schema, name)
            field.label = _schema_label(schema, name)
        describe_help(self)


# --- calls for applications ------------------------------------------------------------------------


class CallForm(DescribedForm):
    """A new call: its title and window, and the places each district offers (blank: none)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    opens_at = JalaliDateTimeField(label=_("Opens at"))
    closes_at = JalaliDateTimeField(label=_("Closes at"))

    def __init__(self, *args: Any, zones: Iterable[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone_names: list[str] = []
        for zone in zones:
            name = f"places_{zone.number}"
            self.fields[name] = PersianIntegerField(
                label=zone.name,
                required=False,
                min_value=0,
                max_value=1000,
                widget=forms.TextInput(attrs={**LTR, "inputmode": "numeric"}),
            )
            self.zone_names.append(name)
        describe_help(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.zone_names and not any(cleaned.get(name) for name in self.zone_names):
            self.add_error(None, _("Give at least one district with its number of places."))
        return cleaned

    def quotas(self) -> dict[int, int]:
        """District number → places, for the districts given a number above zero."""
        return {
            int(name.removeprefix("places_")): int(self.cleaned_data[name])
            for name in self.zone_names
            if self.cleaned_data.get(name)
        }

    def zone_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.zone_names]

    def add_domain_errors(self, error: DomainError) -> None:
        domain_errors_to_form(self, error)


class CallCancelForm(DescribedForm):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- exam and interview ----------------------------------------------------------------------------


class AssessmentScheduleForm(DescribedForm):
    scheduled_at = JalaliDateTimeField(label=_("Date and time"))
    place = forms.CharField(label=_("Place"), max_length=200)
    panel = forms.CharField(
        label=_("Examiners"),
        max_length=300,
        required=False,
        help_text=_("Names of the examiners or the panel, if known."),
    )


class AssessmentRecordForm(DescribedForm):
    score = forms.CharField(
        label=_("Score (0 to 100)"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
    )
    absent = forms.BooleanField(label=_("The applicant did not attend"), required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("absent") and not str(cleaned.get("score") or "").strip():
            self.add_error("score", _("Enter the score, or tick that the applicant did not attend."))
        return cleaned

    def score_text(self) -> str:
        """The score as typed, with Persian digits and the Persian decimal mark read as Latin."""
        return to_latin_digits(str(self.cleaned_data.get("score") or "")).strip().replace("٫", ".")


# --- the site visit --------------------------------------------------------------------------------


class SiteVisitForm(DescribedForm):
    """What the inspector finds at the premises; the equipment items are the application's own."""

    measured_area_m2 = PersianDecimalField(
        label=_("Measured useful area (m²)"),
        min_value=1,
        max_value=100000,
        max_digits=8,
        decimal_places=2,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
    )
    building_use = forms.ChoiceField(label=_("Use of the building"), widget=forms.RadioSelect)
    latitude = PersianDecimalField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        max_digits=9,
        decimal_places=6,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
    )
    longitude = PersianDecimalField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        max_digits=9,
        decimal_places=6,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(
        label=_("Photos of the premises"),
        required=False,
        help_text=_("JPEG or PNG; several may be chosen at once."),
    )

    def __init__(self, *args: Any, equipment: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use = self.fields["building_use"]
        assert isinstance(use, forms.ChoiceField)
        use.choices = list(BuildingUse.choices)
        self.equipment_names: list[str] = []
        for name, title in equipment:
            self.fields[EQUIPMENT_PREFIX + name] = forms.BooleanField(label=title, required=False)
            self.equipment_names.append(name)
        describe_help(self)

    def equipment_found(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(EQUIPMENT_PREFIX + name)) for name in self.equipment_names}

    def equipment_fields(self) -> list[forms.BoundField]:
        return [self[EQUIPMENT_PREFIX + name] for name in self.equipment_names]

    def photo_files(self) -> list[tuple[str, bytes]]:
        return [(upload.name or "photo", upload.read()) for upload in self.cleaned_data.get("photos") or []]

    def add_domain_errors(self, error: DomainError) -> None:
        domain_errors_to_form(self, error)


# --- the public register ---------------------------------------------------------------------------


class RegisterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Office name, office code or licence number"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
    )
