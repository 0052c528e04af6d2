"""Fixtures of the fees tests: Tehran's districts, a year of annual fee rules, and small registers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from daftar.billing.models import FeeRule, FiscalPolicy
from daftar.core.jalali import fiscal_year_bounds, fiscal_year_of, local_today
from daftar.fees.models import Business, Property, PropertyOwner, Vehicle
from daftar.offices.models import City, Zone

YEAR = fiscal_year_of(local_today())

# Annual charges, in rials (the shape of Tehran's: by use and area, by guild, by vehicle type).
RULES: dict[str, dict[str, Any]] = {
    "fees.annual_renewal": {
        "title_fa": "عوارض نوسازی",
        "fee_type": "renewal",
        "kind": "table",
        "definition": {
            "rows": [
                {"when": {"property.use": "residential", "zone": [1, 2, 3]}, "rate": 18_000,
                 "quantity": "property.area_m2"},
                {"when": {"property.use": "residential"}, "rate": 12_000, "quantity": "property.area_m2"},
                {"when": {"property.use": "commercial"}, "rate": 45_000, "quantity": "property.area_m2"},
            ],
            "default": 2_000_000,
            "round_to": 1000,
        },
    },
    "fees.annual_waste": {
        "title_fa": "عوارض پسماند",
        "fee_type": "waste",
        "kind": "table",
        "definition": {
            "rows": [
                {"when": {"property.use": "residential"}, "amount": 1_850_000},
                {"when": {"property.use": "commercial"}, "amount": 6_400_000},
            ],
            "default": 2_500_000,
        },
    },
    "fees.annual_business": {
        "title_fa": "عوارض کسب و پیشه",
        "fee_type": "business",
        "kind": "formula",
        "definition": {
            "expression": "business.area_m2 * 180000 + (2500000 if business.guild == 'food' else 1200000)",
            "round_to": 1000,
        },
    },
    "fees.annual_vehicle": {
        "title_fa": "عوارض سالیانه خودرو",
        "fee_type": "vehicle",
        "kind": "table",
        "definition": {
            "rows": [
                {"when": {"vehicle.vehicle_type": "car"}, "amount": 1_200_000},
                {"when": {"vehicle.vehicle_type": "motorcycle"}, "amount": 450_000},
                {"when": {"vehicle.vehicle_type": ["van", "truck"]}, "amount": 3_800_000},
            ],
            "default": 4_500_000,
        },
    },
}  # fmt: skip
ANNUAL_CHARGES = {
    "property": ["fees.annual_renewal", "fees.annual_waste"],
    "business": ["fees.annual_business"],
    "vehicle": ["fees.annual_vehicle"],
}


def tariffs_create(city: City, year: int, *, late_penalty_monthly_bp: int = 0, overdue: bool = False) -> None:
    first, last = fiscal_year_bounds(year)
    for code, rule in RULES.items():
        FeeRule.objects.create(
            city=city, fiscal_year=year, code=code, effective_from=first, effective_to=last, **rule
        )
    FiscalPolicy.objects.create(
        city=city,
        fiscal_year=year,
        annual_due_date=local_today() - timedelta(days=90) if overdue else last,
        late_penalty_monthly_bp=late_penalty_monthly_bp,
        late_penalty_cap_bp=3000,
        annual_charges=ANNUAL_CHARGES,
    )


@pytest.fixture
def districts(city: City, zone: Zone) -> dict[int, Zone]:
    """Tehran's 22 districts (the shared ``zone`` fixture is district 3)."""
    return {
        number: Zone.objects.get_or_create(city=city, number=number, defaults={"name": f"منطقه {number}"})[0]
        for number in range(1, 23)
    }


@pytest.fixture
def tariffs(city: City) -> int:
    """This year's annual charges (and last year's, for arrears); returns this year."""
    tariffs_create(city, YEAR - 1)
    tariffs_create(city, YEAR)
    return YEAR


def property_add(
    city: City, renewal_code: str, *, zone: Zone | None, use: str = "residential", area: int = 120,
    owners: tuple[tuple[str, str, int], ...] = (("0012345679", "سارا احمدی", 100),),
) -> Property:  # fmt: skip
    record = Property.objects.create(
        city=city, renewal_code=renewal_code, zone=zone, area_m2=area, built_area_m2=area * 2, use=use
    )
    for code, name, share in owners:
        PropertyOwner.objects.create(property=record, national_code=code, name=name, share_percent=share)
    return record


def business_add(
    city: City, licence: str, *, zone: Zone | None, guild: str = "retail", area: int = 40
) -> Business:
    return Business.objects.create(
        city=city, licence_number=licence, name="سوپرمارکت ستاره", guild_code=guild, guild_name="سوپرمارکت",
        owner_national_code="0023456787", owner_name="علی کریمی", zone=zone, area_m2=area,
    )  # fmt: skip


def vehicle_add(city: City, plate: str, *, vehicle_type: str = "car") -> Vehicle:
    return Vehicle.objects.create(
        city=city, plate=plate, vehicle_type=vehicle_type, model_year=1398,
        owner_national_code="0012345679", owner_name="سارا احمدی",
    )  # fmt: skip
