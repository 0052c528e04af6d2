"""The form built from a service's intake schema: labels, help, choices, required, digits."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from django import forms

from daftar.catalog.models import ServiceVersion
from daftar.conftest import TEST_SERVICE
from daftar.web.intake_form import DOCUMENT_PREFIX, IDEMPOTENCY_FIELD, LATITUDE, LONGITUDE, intake_form

pytestmark = pytest.mark.django_db


def _version(**changes: Any) -> ServiceVersion:
    """An unsaved version carrying the fixture service's schema (the form reads nothing else)."""
    entry = copy.deepcopy(TEST_SERVICE)
    schema = entry["intake_schema"]
    schema["properties"]["area"] = {"type": "number", "title": "مساحت", "description": "به متر مربع"}
    schema["properties"]["has_parking"] = {"type": "boolean", "title": "پارکینگ دارد"}
    return ServiceVersion(
        intake_schema=schema,
        documents=entry["documents"],
        location=changes.get("location", "none"),
        channels=entry["channels"],
    )


def test_labels_help_and_order_come_from_the_schema() -> None:
    form = intake_form(_version())
    names = list(form.fields)
    assert names[:6] == ["renewal_code", "deed_number", "floors", "use", "area", "has_parking"]
    assert form.fields["renewal_code"].label == "کد نوسازی"
    assert form.fields["area"].help_text == "به متر مربع"
    html = form.as_div()
    assert 'aria-describedby="id_area_help"' in html
    assert 'dir="ltr"' in str(form["renewal_code"])  # a code is typed left to right


def test_enum_becomes_a_choice_with_persian_titles() -> None:
    field = intake_form(_version()).fields["use"]
    assert isinstance(field, forms.ChoiceField)
    assert list(field.choices)[1:] == [("residential", "مسکونی"), ("commercial", "تجاری")]


def test_required_follows_the_schema() -> None:
    form = intake_form(_version())
    assert form.fields["renewal_code"].required
    assert form.fields["deed_number"].required
    assert not form.fields["floors"].required
    assert not form.fields["has_parking"].required  # a boolean is always sent, true or false
    assert form.fields[DOCUMENT_PREFIX + "deed"].required
    assert not form.fields[DOCUMENT_PREFIX + "photo"].required
    assert form.fields[IDEMPOTENCY_FIELD].initial  # a fresh key each time the form is made
    assert intake_form(_version()).fields[IDEMPOTENCY_FIELD].initial != form.fields[IDEMPOTENCY_FIELD].initial


def test_persian_and_arabic_digits_are_read_as_numbers() -> None:
    form = intake_form(
        _version(),
        {
            "renewal_code": "۳-۱۲۳-۴۵-۶",
            "deed_number": "۱۲۳۴۵",
            "floors": "٤",  # Arabic-Indic four
            "use": "commercial",
            "area": "۱۲۰٫۵",  # Persian decimal separator
            "has_parking": "on",
            IDEMPOTENCY_FIELD: "k1",
        },
    )
    form.fields[DOCUMENT_PREFIX + "deed"].required = False
    assert form.is_valid(), form.errors
    data = form.intake_data()
    assert data["floors"] == 4
    assert data["area"] == 120.5
    assert data["has_parking"] is True
    assert data["use"] == "commercial"


def test_integer_limits_and_missing_values_are_field_errors() -> None:
    form = intake_form(_version(), {"floors": "۹۹", "use": "castle", IDEMPOTENCY_FIELD: "k1"})
    assert not form.is_valid()
    assert set(form.errors) >= {"renewal_code", "deed_number", "floors", "use", DOCUMENT_PREFIX + "deed"}


def test_location_fields_appear_when_the_service_asks_for_a_place() -> None:
    assert LATITUDE not in intake_form(_version()).fields
    form = intake_form(_version(location="required"))
    assert form.fields[LATITUDE].required
    assert form.fields[LONGITUDE].required
    optional = intake_form(
        _version(location="optional"),
        {"renewal_code": "1-2", "deed_number": "1", LATITUDE: "۳۵٫۷۵", IDEMPOTENCY_FIELD: "k"},
    )
    optional.fields[DOCUMENT_PREFIX + "deed"].required = False
    assert not optional.is_valid()
    assert LONGITUDE in optional.errors  # half a point is no point
    whole = intake_form(
        _version(location="optional"),
        {
            "renewal_code": "1-2",
            "deed_number": "1",
            LATITUDE: "۳۵٫۷۵",
            LONGITUDE: "51.41",
            IDEMPOTENCY_FIELD: "k",
        },
    )
    whole.fields[DOCUMENT_PREFIX + "deed"].required = False
    assert whole.is_valid(), whole.errors
    location = whole.location()
    assert location is not None
    assert location.latitude == Decimal("35.75")
