"""Fixtures for the offices tests: a small Tehran with two districts and offices built by services."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from daftar.offices import services
from daftar.offices.models import City, LicenceStatus, Office, Zone

DEMO_YAML = Path(__file__).resolve().parents[4] / "catalog" / "demo" / "tehran.yaml"

WORKWEEK = (5, 6, 0, 1, 2)  # Saturday to Wednesday
THURSDAY = 3


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, object]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def standard_hours(office: Office, *, evening: bool = False) -> None:
    for weekday in WORKWEEK:
        services.hours_set_weekly(
            office=office, weekday=weekday, shift="morning", opens=time(8), closes=time(15)
        )
        if evening:
            services.hours_set_weekly(
                office=office, weekday=weekday, shift="evening", opens=time(16), closes=time(19)
            )
    services.hours_set_weekly(
        office=office, weekday=THURSDAY, shift="morning", opens=time(8), closes=time(13)
    )


@pytest.fixture
def tehran(db: None) -> City:
    return services.city_create(
        code="tehran", name_fa="تهران", name_en="Tehran", center_latitude=35.6892, center_longitude=51.389
    )


@pytest.fixture
def district3(tehran: City) -> Zone:
    return services.zone_create(
        city=tehran, number=3, name="منطقه ۳ (ونک)", boundary=square(51.40, 35.74, 51.46, 35.79)
    )


@pytest.fixture
def district12(tehran: City) -> Zone:
    return services.zone_create(
        city=tehran, number=12, name="منطقه ۱۲ (بازار)", boundary=square(51.40, 35.66, 51.45, 35.70)
    )


def make_office(
    city: City,
    zone: Zone,
    code: str,
    *,
    status: str = LicenceStatus.ACTIVE,
    evening: bool = False,
    hours: bool = True,
) -> Office:
    office = services.office_create(
        city=city,
        zone=zone,
        code=code,
        name=f"دفتر خدمات الکترونیک شهر کد {code}",
        address="تهران، خیابان نمونه، پلاک ۱",
        licence_status=status,
        counters=3,
        area_m2=80,
    )
    if hours:
        standard_hours(office, evening=evening)
    return office


@pytest.fixture
def vanak(tehran: City, district3: Zone) -> Office:
    """Open Sat–Wed 08–15 with an evening shift 16–19, Thursday 08–13."""
    return make_office(tehran, district3, "301", evening=True)


@pytest.fixture
def bazaar(tehran: City, district12: Zone) -> Office:
    """Open Sat–Wed 08–15, Thursday 08–13, no evening shift."""
    return make_office(tehran, district12, "1201")
