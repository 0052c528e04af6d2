"""The registers as fee rules see them: a case's linked property, business or vehicle."""

from __future__ import annotations

from datetime import date

from daftar.billing.fee_rules import fee_rule_evaluate
from daftar.billing.selectors import fee_context, record_contexts
from daftar.offices.models import City, Zone

from .conftest import business_add, property_add, vehicle_add


def test_a_property_is_found_by_its_renewal_code_however_it_is_typed(city: City, zone: Zone) -> None:
    property_add(city, "3-123-45-6", zone=zone, use="commercial", area=150)
    context = record_contexts.get("property")(city, "۳-۱۲۳-۴۵-۶")
    assert context == {
        "renewal_code": "3-123-45-6",
        "area_m2": 150,
        "built_area_m2": 300,
        "use": "commercial",
        "zone": 3,
    }


def test_a_business_and_a_vehicle_have_their_own_context(city: City, zone: Zone) -> None:
    business_add(city, "1234567890", zone=zone, guild="food", area=60)
    vehicle_add(city, "12ب345-67", vehicle_type="van")
    assert record_contexts.get("business")(city, "۱۲۳۴۵۶۷۸۹۰") == {
        "licence_number": "1234567890", "area_m2": 60, "guild": "food", "zone": 3,
    }  # fmt: skip
    assert record_contexts.get("vehicle")(city, "۱۲ ب ۳۴۵ ایران ۶۷") == {
        "plate": "12ب345-67", "vehicle_type": "van", "model_year": 1398,
    }  # fmt: skip


def test_a_record_not_on_file_or_a_malformed_key_gives_none(city: City) -> None:
    assert record_contexts.get("property")(city, "9-999-99") is None
    assert record_contexts.get("property")(city, "not a code") is None
    assert record_contexts.get("vehicle")(city, "12X345") is None


def test_a_case_fee_reads_the_linked_property_and_its_district(city: City, zone: Zone) -> None:
    property_add(city, "3-123-45-6", zone=zone, area=200)
    context = fee_context(
        city=city, data={}, links={"property": "3-123-45-6"}, zone=None, on=date(2026, 6, 1)
    )
    assert context["zone"] == 3
    amount = fee_rule_evaluate(
        kind="per_unit", definition={"quantity": "property.built_area_m2", "rate": 25_000}, context=context
    )
    assert amount == 10_000_000
