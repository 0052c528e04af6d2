"""Django forms built from the catalogue's JSON Schemas: a service's intake (with its documents and
location) and, with ``SchemaForm`` alone, any other object schema (an inquiry type's answer).

The schema is the catalogue's JSON Schema: ``title`` is the label, ``description`` the help text,
``enum`` with ``x-enum-titles`` a choice list, ``type`` the field kind and ``required`` what must be
given. The form checks shape only (types, choices, required, file sizes) so the person sees errors
at once; ``case_file`` validates and normalises the data again with the catalogue's own formats,
and its per-field messages are put back on these fields (``add_domain_errors``).

Digits may be typed Persian, Arabic-Indic or Latin everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from daftar.cases.services import Location
from daftar.catalog.intake import enum_choices, field_order
from daftar.catalog.models import ServiceVersion
from daftar.core.errors import DomainError
from daftar.core.i18n import pick
from daftar.core.text import to_latin_digits

IDEMPOTENCY_FIELD = "idempotency_key"
DOCUMENT_PREFIX = "doc_"
LATITUDE, LONGITUDE, ADDRESS = "loc_latitude", "loc_longitude", "loc_address"
# Formats typed left to right (codes, numbers) and how a phone keyboard should offer them.
LTR_FORMATS = {
    "national_code",
    "legal_national_id",
    "mobile",
    "postal_code",
    "sheba",
    "renewal_code",
    "jalali_date",
    "email",
}
NUMERIC_FORMATS = {"national_code", "legal_national_id", "mobile", "postal_code"}
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def _latin_number_text(value: Any) -> Any:
    """Persian/Arabic digits and separators to Latin, so int() and Decimal() read them."""
    if not isinstance(value, str):
        return value
    text = to_latin_digits(value).strip()
    return text.replace("٫", ".").replace("،", "").replace("٬", "").replace(",", "").replace(" ", "")


class PersianIntegerField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        return super().to_python(_latin_number_text(value))


class PersianDecimalField(forms.DecimalField):
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # the stubs say int
        result: Decimal | None = super().to_python(_latin_number_text(value))
        return result


def describe_help(form: forms.Form) -> None:
    """Point each input that has help text (and errors, when bound) at them, for screen readers."""
    errors = getattr(form, "_errors", None) or {}  # never form.errors: that would validate the form
    for name, field in form.fields.items():
        bound = form[name]
        ids = []
        if field.help_text:
            ids.append(f"{bound.auto_id}_help")
        if name in errors:
            ids.append(f"{bound.auto_id}_errors")
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)


class DescribedForm(forms.Form):
    """A form whose inputs name their help text and errors (``aria-describedby``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        describe_help(self)

    def full_clean(self) -> None:
        super().full_clean()
        describe_help(self)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        describe_help(self)


def _text_attrs(spec: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"autocomplete": "off"}
    fmt = spec.get("format")
    if fmt in LTR_FORMATS:
        attrs["dir"] = "ltr"
    if fmt in NUMERIC_FORMATS:
        attrs["inputmode"] = "numeric"
    return attrs


def schema_field(name: str, spec: Mapping[str, Any], *, required: bool) -> forms.Field:
    """One form field for one property of an intake schema."""
    label = pick(str(spec.get("title") or name), str(spec.get("x-title-en") or ""))
    help_text = str(spec.get("description") or "")
    kind = spec.get("type", "string")
    common: dict[str, Any] = {"label": label, "help_text": help_text, "required": required}
    if kind == "array":  # a multi-select: one checkbox per listed value
        values = enum_choices(spec)
        titles = list(spec.get("x-enum-titles") or [])
        if len(titles) != len(values):
            titles = [str(value) for value in values]
        return forms.MultipleChoiceField(
            choices=[(str(v), str(t)) for v, t in zip(values, titles, strict=True)],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if spec.get("enum"):
        values = list(spec["enum"])
        titles = list(spec.get("x-enum-titles") or [])
        if len(titles) != len(values):
            titles = [str(value) for value in values]
        choices = [("", _("— choose —")), *((str(v), str(t)) for v, t in zip(values, titles, strict=True))]
        return forms.ChoiceField(choices=choices, widget=forms.Select, **common)
    numeric_attrs = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}
    if kind == "integer":
        return PersianIntegerField(
            min_value=spec.get("minimum"),
            max_value=spec.get("maximum"),
            widget=forms.TextInput(attrs=numeric_attrs),
            **common,
        )
    if kind == "number":
        return PersianDecimalField(
            min_value=_decimal_or_none(spec.get("minimum")),
            max_value=_decimal_or_none(spec.get("maximum")),
            widget=forms.TextInput(attrs={**numeric_attrs, "inputmode": "decimal"}),
            **common,
        )
    if kind == "boolean":
        # A boolean is always sent (true or false), so "required" in the schema is met unticked.
        return forms.BooleanField(label=label, help_text=help_text, required=False)
    widget: forms.Widget
    if spec.get("x-multiline"):
        widget = forms.Textarea(attrs={**_text_attrs(spec), "rows": 3})
    else:
        widget = forms.TextInput(attrs=_text_attrs(spec))
    return forms.CharField(
        max_length=spec.get("maxLength"),
        min_length=spec.get("minLength"),
        strip=True,
        widget=widget,
        **common,
    )


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def document_specs(service: ServiceVersion) -> list[Mapping[str, Any]]:
    return [spec for spec in service.documents or [] if isinstance(spec, Mapping) and spec.get("code")]


class SchemaForm(DescribedForm):
    """The fields of one object schema, in the schema's order, and their values back as data the
    schema's validator accepts (``schema_data``). Checks shape only; the service checks again."""

    schema: Mapping[str, Any]
    schema_names: list[str]

    def __init__(self, *args: Any, schema: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema or {}
        properties: Mapping[str, Any] = self.schema.get("properties") or {}
        required = set(self.schema.get("required") or [])
        self.schema_names = field_order(self.schema)
        for name in self.schema_names:
            self.fields[name] = schema_field(name, properties[name], required=name in required)
        describe_help(self)

    def schema_data(self) -> dict[str, Any]:
        """The values for the service: empty optional fields left out, numbers as numbers."""
        data: dict[str, Any] = {}
        for name in self.schema_names:
            value = self.cleaned_data.get(name)
            field = self.fields[name]
            if isinstance(field, forms.BooleanField):
                data[name] = bool(value)
                continue
            if value is None or value == "":
                continue
            if isinstance(field, forms.MultipleChoiceField):
                data[name] = list(value)
            elif isinstance(field, forms.ChoiceField):
                data[name] = self._enum_value(name, value)
            elif isinstance(value, Decimal):
                data[name] = int(value) if value == value.to_integral_value() else float(value)
            else:
                data[name] = value
        return data

    def _enum_value(self, name: str, text: str) -> Any:
        """The schema's own enum value (which may be a number) for the submitted text."""
        spec = (self.schema.get("properties") or {}).get(name) or {}
        for value in spec.get("enum") or []:
            if str(value) == text:
                return value
        return text

    def schema_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.schema_names]

    def add_schema_errors(self, error: DomainError) -> bool:
        """Put a service's per-field messages on the schema's fields; whether any was placed."""
        placed = False
        for key, messages in error.field_messages().items():
            if key in self.schema_names:
                for message in messages:
                    self.add_error(key, message)
                placed = True
        return placed


class IntakeForm(SchemaForm):
    """The whole filing form of one service version. Build it with ``intake_form(...)``."""

    service: ServiceVersion
    intake_names: list[str]
    document_codes: list[str]
    has_location: bool

    def __init__(self, *args: Any, service: ServiceVersion, **kwargs: Any) -> None:
        super().__init__(*args, schema=service.intake_schema or {}, **kwargs)
        self.service = service
        self.intake_names = self.schema_names
        self.document_codes = []
        for spec in document_specs(service):
            code = str(spec["code"])
            self.document_codes.append(code)
            self.fields[DOCUMENT_PREFIX + code] = self._document_field(spec)
        self.has_location = service.location in ("optional", "required", "point_or_address")
        if self.has_location:
            needed = service.location == "required"
            self.fields[LATITUDE] = PersianDecimalField(
                label=_("Latitude"),
                required=needed,
                min_value=Decimal(-90),
                max_value=Decimal(90),
                max_digits=9,
                decimal_places=6,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}),
            )
            self.fields[LONGITUDE] = PersianDecimalField(
                label=_("Longitude"),
                required=needed,
                min_value=Decimal(-180),
                max_value=Decimal(180),
                max_digits=9,
                decimal_places=6,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}),
            )
            self.fields[ADDRESS] = forms.CharField(
                label=_("Address"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
            )
        self.fields[IDEMPOTENCY_FIELD] = forms.CharField(
            widget=forms.HiddenInput, max_length=100, required=True, initial=uuid.uuid4().hex
        )
        describe_help(self)

    @staticmethod
    def _document_field(spec: Mapping[str, Any]) -> forms.FileField:
        names = spec.get("name") or {}
        if not isinstance(names, Mapping):
            names = {"fa": str(names)}
        types = [str(t) for t in spec.get("types") or []]
        max_mb = float(spec.get("max_mb", 10))
        help_text = _("Allowed: %(types)s, at most %(max_mb)s MB.") % {
            "types": " / ".join(TYPE_LABELS.get(t, t) for t in types),
            "max_mb": f"{max_mb:g}",
        }
        field = forms.FileField(
            label=pick(str(names.get("fa") or spec["code"]), str(names.get("en") or "")),
            required=bool(spec.get("required", True)),
            help_text=help_text,
            widget=forms.ClearableFileInput(attrs={"accept": ",".join(types)}),
        )
        field.max_bytes = int(max_mb * 1024 * 1024)  # type: ignore[attr-defined]
        return field

    # --- checks ------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for code in self.document_codes:
            name = DOCUMENT_PREFIX + code
            upload = cleaned.get(name)
            limit = getattr(self.fields[name], "max_bytes", None)
            if isinstance(upload, UploadedFile) and limit is not None and upload.size and upload.size > limit:
                self.add_error(
                    name,
                    _("The file is larger than the limit of %(max_mb)s MB.")
                    % {"max_mb": f"{limit / 1024 / 1024:g}"},
                )
        if self.has_location:
            lat, lon = cleaned.get(LATITUDE), cleaned.get(LONGITUDE)
            if (
                (lat is None) != (lon is None)
                and LATITUDE not in self.errors
                and LONGITUDE not in self.errors
            ):
                missing = LATITUDE if lat is None else LONGITUDE
                self.add_error(missing, _("Give both latitude and longitude, or neither."))
        return cleaned

    # --- what the services get ----------------------------------------------------------------

    def intake_data(self) -> dict[str, Any]:
        """The intake values for ``case_file``: empty optional fields left out, numbers as numbers."""
        return self.schema_data()

    def location(self) -> Location | None:
        if not self.has_location:
            return None
        lat, lon = self.cleaned_data.get(LATITUDE), self.cleaned_data.get(LONGITUDE)
        address = self.cleaned_data.get(ADDRESS) or ""
        if lat is None or lon is None:
            # A report may give its address alone; the service says whether that is enough.
            if self.service.location == "point_or_address" and address.strip():
                return Location(latitude=None, longitude=None, address=address)
            return None
        return Location(latitude=lat, longitude=lon, address=address)

    def uploads(self) -> list[tuple[str, UploadedFile]]:
        """(requirement code, file) for each document chosen, in catalogue order."""
        chosen = []
        for code in self.document_codes:
            upload = self.cleaned_data.get(DOCUMENT_PREFIX + code)
            if isinstance(upload, UploadedFile):
                chosen.append((code, upload))
        return chosen

    def idempotency_key(self) -> str:
        return str(self.cleaned_data.get(IDEMPOTENCY_FIELD) or "")

    # --- groups for the template -------------------------------------------------------------

    def intake_fields(self) -> list[forms.BoundField]:
        return self.schema_fields()

    def document_fields(self) -> list[forms.BoundField]:
        return [self[DOCUMENT_PREFIX + code] for code in self.document_codes]

    def location_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (LATITUDE, LONGITUDE, ADDRESS)] if self.has_location else []

    # --- errors from the services ------------------------------------------------------------

    def add_domain_errors(self, error: DomainError, *, document: str | None = None) -> None:
        """Put a service's error on the fields it names (or on the document that was refused)."""
        if document is not None:
            self.add_error(DOCUMENT_PREFIX + document, str(error))
            return
        placed = False
        for key, messages in error.field_messages().items():
            target = LATITUDE if key == "location" and self.has_location else key
            if target in self.fields and target != IDEMPOTENCY_FIELD:
                for message in messages:
                    self.add_error(target, message)
                placed = True
        if not placed or error.code != "intake.invalid":
            self.add_error(None, str(error))


def intake_form(service: ServiceVersion, data: Any = None, files: Any = None) -> IntakeForm:
    return IntakeForm(data, files, service=service)
