"""What a certificate states, as the signed payload, and how its parts are shown to a reader.

The payload holds codes and texts only (no floats, no objects), version ``"v": 1``:
number, kind, title {fa, en}, service {code, version}, tracking_code, applicant {name,
national_code_masked}, office (code or null), city (code), fields [[Persian label, value]...],
issued_at (ISO-8601 UTC) and valid_until (ISO date or null).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case
from daftar.core.errors import InvalidValue
from daftar.core.jalali import UTC, tehran_date
from daftar.core.plates import parse_car_plate

from .numbering import national_code_masked

PAYLOAD_VERSION: Final = 1
YES_NO_FA: Final = ("بله", "خیر")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_PLATE = re.compile(r"\d{2}(?:\S|الف)\d{3}-\d{2}")


def output_of(case: Case) -> dict[str, Any]:
    """The output the case's service version issues, or InvalidValue when it issues none."""
    output = case.service_version.output or {}
    if not isinstance(output, dict) or not output.get("kind"):
        raise InvalidValue("certificate.no_output", _("This service does not issue a document."))
    return output


def valid_until_of(issued_at: datetime, valid_days: object) -> date | None:
    """The issue day (in Tehran) plus ``valid_days``; None when the output does not expire."""
    if valid_days is None or isinstance(valid_days, bool) or not isinstance(valid_days, int):
        return None
    return tehran_date(issued_at) + timedelta(days=valid_days)


def payload_build(
    *,
    case: Case,
    number: str,
    issued_at: datetime,
    extra_fields: list[list[str]] | None = None,
    valid_until: date | None = None,
) -> dict[str, Any]:
    """The payload to sign for ``case`` under ``number`` (see the module docstring).

    A domain that issues facts not in the intake (an office licence's number and office) passes them
    as ``extra_fields``, printed after the intake's; ``valid_until`` overrides the output's validity.
    """
    output = output_of(case)
    version = case.service_version
    title = output.get("title") or {}
    if valid_until is None:
        valid_until = valid_until_of(issued_at, output.get("valid_days"))
    return {
        "v": PAYLOAD_VERSION,
        "number": number,
        "kind": str(output["kind"]),
        "title": {
            "fa": str(title.get("fa") or version.name_fa),
            "en": str(title.get("en") or version.name_en),
        },
        "service": {"code": version.service_type.code, "version": version.number},
        "tracking_code": case.tracking_code,
        "applicant": {
            "name": case.applicant.display_name,
            "national_code_masked": national_code_masked(case.applicant.national_code),
        },
        "office": case.office.code if case.office_id and case.office else None,
        "city": case.city.code,
        "fields": printed_fields(
            schema=version.intake_schema or {}, data=case.data or {}, keys=output.get("fields") or []
        )
        + [[str(label), str(value)] for label, value in extra_fields or []],
        "issued_at": iso_utc(issued_at),
        "valid_until": valid_until.isoformat() if valid_until else None,
    }


def iso_utc(moment: datetime) -> str:
    """``2026-03-20T08:30:00Z``: the moment in UTC, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def printed_fields(*, schema: dict[str, Any], data: dict[str, Any], keys: list[str]) -> list[list[str]]:
    """[[Persian label, value as text], ...] for the output's fields, in order; unanswered ones left out."""
    properties = schema.get("properties") or {}
    rows = []
    for key in keys:
        value = data.get(key)
        if value is None or value == "" or value == []:
            continue
        spec = properties.get(key) or {}
        rows.append([str(spec.get("title") or key), field_text(spec, value)])
    return rows


def field_text(spec: dict[str, Any], value: Any) -> str:
    """A value as printed: an enum by its Persian title, yes/no in Persian, numbers without floats."""
    if isinstance(value, list):
        return "، ".join(field_text(spec, item) for item in value)
    enum = spec.get("enum") or (spec.get("items") or {}).get("enum")
    titles = spec.get("x-enum-titles")
    if isinstance(enum, list) and isinstance(titles, list) and value in enum:
        index = enum.index(value)
        if index < len(titles):
            return str(titles[index])
    if isinstance(value, bool):
        return YES_NO_FA[0] if value else YES_NO_FA[1]
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    label: str
    value: str  # as shown (a plate in its Persian form); digits are the template's to convert
    ltr: bool  # a left-to-right run (codes, numbers, plates, Latin text), isolated when shown


def payload_parse(text: str) -> dict[str, Any]:
    """The stored payload as a dict ({} if it is not a JSON object)."""
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def field_rows(payload: dict[str, Any]) -> list[FieldRow]:
    rows = []
    for item in payload.get("fields") or []:
        if isinstance(item, list) and len(item) == 2:
            label, value = str(item[0]), str(item[1])
            rows.append(FieldRow(label=label, value=_shown(value), ltr=is_ltr(value)))
    return rows


def is_ltr(value: str) -> bool:
    """Whether a value reads left to right: no Persian letters, or a car plate."""
    return bool(_PLATE.fullmatch(value)) or not _ARABIC_SCRIPT.search(value)


def _shown(value: str) -> str:
    if _PLATE.fullmatch(value):
        try:
            return parse_car_plate(value).display_fa()
        except InvalidValue:
            pass
    return value


def issued_at_of(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(payload["issued_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


def valid_until_in(payload: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(payload["valid_until"])) if payload.get("valid_until") else None
    except ValueError:
        return None
