"""Intake data: check a service's intake schema, and validate and normalise what an applicant sent.

The schema is standard JSON Schema (jsonschema does the validating) plus Daftar's own formats,
checked by the same validators used everywhere else. Text is normalised before it is checked
and stored, so a renewal code typed with Persian digits and one typed with Latin digits match.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from daftar.core.errors import InvalidValue
from daftar.core.jalali import TEHRAN, format_jalali_date, parse_jalali_date, parse_jalali_datetime
from daftar.core.plates import validate_car_plate
from daftar.core.text import digits_only, normalize_persian, to_latin_digits
from daftar.core.validators import (
    normalize_mobile,
    validate_legal_national_id,
    validate_national_code,
    validate_postal_code,
    validate_sheba,
)

FIELD_TYPES = ("string", "integer", "number", "boolean", "array")


def _renewal_code(value: str) -> str:
    text = to_latin_digits(value).replace(" ", "").replace("/", "-")
    if not text or any(ch not in "0123456789-" for ch in text) or not digits_only(text):
        raise InvalidValue("renewal_code.invalid", _("A renewal code is digits separated by dashes."))
    return text.strip("-")


def _jalali_date(value: str) -> str:
    return format_jalali_date(parse_jalali_date(value), persian_digits=False)


def _datetime(value: str) -> str:
    """A moment, typed in Jalali («1405/09/01 14:30», Tehran time) or ISO-8601 with an offset (as
    Open311 clients send it); stored as ISO-8601 with Tehran's offset, to the minute."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = parse_jalali_datetime(text)
    if moment.tzinfo is None:
        raise InvalidValue("datetime.offset", _("Give the time with its time zone offset, e.g. +03:30."))
    return moment.astimezone(TEHRAN).replace(second=0, microsecond=0).isoformat()


# Each format normalises a value to its stored form, or raises InvalidValue with a Persian message.
FORMATS: dict[str, Callable[[str], str]] = {
    "national_code": validate_national_code,
    "legal_national_id": validate_legal_national_id,
    "mobile": normalize_mobile,
    "postal_code": validate_postal_code,
    "sheba": validate_sheba,
    "car_plate": validate_car_plate,
    "jalali_date": _jalali_date,
    "datetime": _datetime,
    "renewal_code": _renewal_code,
}

_format_checker = FormatChecker(formats=())
for _name in FORMATS:
    # Normalisation already ran; by the time jsonschema looks, a value in a known format is valid.
    _format_checker.checks(_name)(lambda value: True)


def schema_problems(schema: Any) -> list[str]:
    """Everything wrong with an intake schema, as messages for the catalogue's author."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        return ["intake_schema must be a JSON Schema of type object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"intake_schema is not valid JSON Schema: {exc.message}"]
    problems: list[str] = []
    properties = schema.get("properties") or {}
    if not properties:
        problems.append("intake_schema has no properties")
    for name in schema.get("required") or []:
        if name not in properties:
            problems.append(f"required field {name!r} is not among the properties")
    for name, spec in properties.items():
        if not isinstance(spec, Mapping):
            problems.append(f"field {name!r} must be a mapping")
            continue
        if spec.get("type") not in FIELD_TYPES:
            problems.append(f"field {name!r}: type must be one of {', '.join(FIELD_TYPES)}")
        if not spec.get("title"):
            problems.append(f"field {name!r} has no Persian title")
        fmt = spec.get("format")
        if fmt is not None and fmt not in FORMATS and fmt not in ("email",):
            problems.append(f"field {name!r}: unknown format {fmt!r}")
        if spec.get("type") == "array":
            # Only a choice of several listed values (a multi-select): items are strings from an enum.
            items = spec.get("items") or {}
            if items.get("type") != "string" or not items.get("enum"):
                problems.append(f"field {name!r}: an array's items must be strings from an enum")
        choices = spec.get("enum") or (spec.get("items") or {}).get("enum") or []
        if (spec.get("type") in ("string", "array")) and any(not isinstance(c, str) for c in choices):
            # YAML reads a bare off/no/yes as a boolean: such a choice could never be picked.
            problems.append(f"field {name!r}: every choice must be text (quote values such as 'off')")
        titles = spec.get("x-enum-titles")
        if titles is not None and len(titles) != len(choices):
            problems.append(f"field {name!r}: x-enum-titles must give one title per enum value")
    return problems


def field_order(schema: Mapping[str, Any]) -> list[str]:
    """The form order. Stored explicitly because PostgreSQL's jsonb does not keep key order."""
    order = [name for name in schema.get("x-order") or [] if name in (schema.get("properties") or {})]
    rest = [name for name in schema.get("properties") or {} if name not in order]
    return order + rest


def with_field_order(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {**schema, "x-order": field_order(schema)}


def enum_choices(spec: Mapping[str, Any]) -> list[Any]:
    """The values a field may take: its enum, or its items' enum for a multi-select (array)."""
    return list(spec.get("enum") or (spec.get("items") or {}).get("enum") or [])


def enum_title(spec: Mapping[str, Any], value: Any) -> str:
    """The Persian label of an enum value (the value itself when the schema gives none); a
    multi-select's values joined with the Persian comma."""
    if isinstance(value, list):
        return "، ".join(enum_title(spec, item) for item in value)
    values, titles = enum_choices(spec), spec.get("x-enum-titles") or []
    if value in values and len(titles) == len(values):
        return str(titles[values.index(value)])
    return str(value)


def _normalise(spec: Mapping[str, Any], value: Any) -> Any:
    if spec.get("type") == "array":
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list | tuple):
            # The same choice twice is one choice; an empty selection is no answer.
            chosen = [str(item).strip() for item in items if str(item).strip()]
            return list(dict.fromkeys(chosen)) or None
        return value
    if isinstance(value, str):
        # Digits are stored Latin so "۱۲۳" typed at one office and "123" at another match in search.
        value = to_latin_digits(normalize_persian(value, multiline=spec.get("x-multiline", False) is True))
        kind = spec.get("type")
        if value == "":
            return None
        if kind == "integer" and to_latin_digits(value).lstrip("-").isdigit():
            return int(to_latin_digits(value))
        if kind == "number":
            try:
                return float(to_latin_digits(value)) if "." in value else int(to_latin_digits(value))
            except ValueError:
                return value
        if kind == "boolean" and value in ("true", "false", "on", "1", "0"):
            return value in ("true", "on", "1")
        fmt = spec.get("format")
        if isinstance(fmt, str) and fmt in FORMATS:
            return FORMATS[fmt](value)
    return value


_MESSAGES = {
    "required": _("This field is required."),
    "type": _("This value has the wrong type."),
    "minimum": _("The value is too small (at least %(limit)s)."),
    "exclusiveMinimum": _("The value must be greater than %(limit)s."),
    "maximum": _("The value is too large (at most %(limit)s)."),
    "exclusiveMaximum": _("The value must be less than %(limit)s."),
    "minLength": _("The text is too short (at least %(limit)s characters)."),
    "maxLength": _("The text is too long (at most %(limit)s characters)."),
    "enum": _("Choose one of the listed options."),
    "pattern": _("The value is not in the expected form."),
    "format": _("The value is not in the expected form."),
    "additionalProperties": _("Unknown field."),
}


def _message(error: ValidationError) -> Any:
    template = _MESSAGES.get(str(error.validator), _("The value is not valid."))
    if "%(limit)s" in str(template):
        return template % {"limit": error.validator_value}
    return template


def intake_validate(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise and validate intake data; returns what is stored.

    Raises InvalidValue("intake.invalid") with one message per field; unknown fields are refused
    so nothing the applicant typed disappears silently.
    """
    properties: Mapping[str, Any] = schema.get("properties") or {}
    fields: dict[str, list[Any]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name not in properties:
            fields.setdefault(name, []).append(_MESSAGES["additionalProperties"])
            continue
        try:
            normalised = _normalise(properties[name], value)
        except InvalidValue as exc:
            fields.setdefault(name, []).append(exc.message % exc.params if exc.params else exc.message)
            continue
        if normalised is not None:
            cleaned[name] = normalised
    validator = Draft202012Validator(schema, format_checker=_format_checker)
    for error in validator.iter_errors(cleaned):
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in cleaned]
            for name in missing:
                if name not in fields:
                    fields.setdefault(name, []).append(_MESSAGES["required"])
            continue
        name = str(error.absolute_path[0]) if error.absolute_path else "__all__"
        fields.setdefault(name, []).append(_message(error))
    if fields:
        raise InvalidValue("intake.invalid", _("Some of the form's fields need correcting."), fields=fields)
    return cleaned
