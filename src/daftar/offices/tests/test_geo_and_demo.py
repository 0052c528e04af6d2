"""District lookup by point, and the demo city loader (idempotent, offices inside their districts)."""

from __future__ import annotations

from datetime import date, time

import pytest
import yaml
from shapely.geometry import shape

from daftar.core.errors import InvalidValue
from daftar.offices import demo, geo, selectors, services
from daftar.offices.models import City, Holiday, HoursOverride, LicenceStatus, Office, WeeklyHours, Zone

from .conftest import DEMO_YAML, square

pytestmark = pytest.mark.django_db

MODELS = (City, Zone, Office, WeeklyHours, HoursOverride, Holiday)


@pytest.fixture
def demo_city(db: None) -> City:
    return demo.demo_city_load(path=DEMO_YAML)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_file_has_22_non_overlapping_districts() -> None:
    data = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    shapes = {zone["number"]: shape(zone["boundary"]) for zone in data["zones"]}
    assert sorted(shapes) == list(range(1, 23))
    for a, first in shapes.items():
        assert first.is_valid
        for b, second in shapes.items():
            if a < b:
                assert first.intersection(second).area == pytest.approx(0, abs=1e-12), (a, b)


def test_demo_loader_is_idempotent(demo_city: City) -> None:
    before = counts()
    again = demo.demo_city_load(path=DEMO_YAML)
    assert again.pk == demo_city.pk
    assert counts() == before


def test_demo_city_has_its_districts_offices_and_hours(demo_city: City) -> None:
    assert demo_city.code == "tehran"
    assert demo_city.zones.count() == 22
    offices = Office.objects.filter(city=demo_city)
    assert offices.count() >= 14
    assert offices.values("zone").distinct().count() >= 10
    assert offices.filter(licence_status=LicenceStatus.SUSPENDED).count() == 1
    assert offices.filter(licence_status=LicenceStatus.PENDING).count() == 1
    assert all(2 <= office.counters <= 6 for office in offices)
    assert all((office.area_m2 or 0) >= 60 for office in offices)
    assert all(len(office.postal_code) == 10 for office in offices)
    assert all(office.phone.startswith("021") for office in offices)
    assert WeeklyHours.objects.filter(shift="evening").exists()
    assert Holiday.objects.filter(date=date(2025, 3, 21)).exists()  # holidays of 1404–1406 synced


def test_every_demo_office_lies_in_its_own_district(demo_city: City) -> None:
    for office in Office.objects.filter(city=demo_city).select_related("zone"):
        assert office.latitude is not None
        assert office.longitude is not None
        found = selectors.zone_for_point(city=demo_city, latitude=office.latitude, longitude=office.longitude)
        assert found == office.zone, office.name


def test_demo_year_end_hours_cover_the_last_ten_days_of_esfand_except_fridays(demo_city: City) -> None:
    days = set(
        HoursOverride.objects.filter(city=demo_city, office__isnull=True).values_list("date", flat=True)
    )
    # 1404/12/20 … 1404/12/29 = 2026-03-11 … 2026-03-20; 1405/12/20 … 29 = 2027-03-11 … 2027-03-20.
    last_ten = {date(year, 3, d) for year in (2026, 2027) for d in range(11, 21)}
    assert days == {day for day in last_ten if day.weekday() != 4}  # Fridays stay closed
    assert len(days) == 16
    override = HoursOverride.objects.filter(city=demo_city, date=date(2026, 3, 16)).get()
    assert (override.opens, override.closes) == (time(8), time(20))


def test_zone_for_point_finds_a_demo_district_and_nothing_outside_tehran(demo_city: City) -> None:
    tajrish = selectors.zone_for_point(city=demo_city, latitude=35.8045, longitude=51.4336)
    assert tajrish is not None
    assert tajrish.number == 1
    azadi_tower_area = selectors.zone_for_point(city=demo_city, latitude=35.6997, longitude=51.3380)
    assert azadi_tower_area is not None
    assert azadi_tower_area.number == 9
    isfahan = selectors.zone_for_point(city=demo_city, latitude=32.6539, longitude=51.6660)
    assert isfahan is None


def test_prepared_geometries_are_reused_until_the_boundary_changes(tehran: City, district3: Zone) -> None:
    geo.cache_clear()
    first = geo.zone_geometry(district3.pk, district3.boundary)
    assert geo.zone_geometry(district3.pk, district3.boundary) is first
    district3.boundary = square(51.0, 35.0, 51.1, 35.1)
    district3.save()
    assert selectors.zone_for_point(city=tehran, latitude=35.75, longitude=51.42) is None
    assert selectors.zone_for_point(city=tehran, latitude=35.05, longitude=51.05) == district3
    assert geo.cache_size() == 1


def test_office_outside_its_district_is_refused(tehran: City, district3: Zone) -> None:
    with pytest.raises(InvalidValue) as error:
        services.office_create(
            city=tehran,
            zone=district3,
            code="399",
            name="دفتر آزمایشی",
            address="تهران",
            latitude=35.60,
            longitude=51.42,
        )
    assert error.value.code == "office.outside_zone"


def test_invalid_boundary_is_refused(tehran: City) -> None:
    with pytest.raises(InvalidValue) as error:
        services.zone_create(
            city=tehran, number=9, name="منطقه ۹", boundary={"type": "Point", "coordinates": [51, 35]}
        )
    assert error.value.code == "zone.boundary"
