"""Duplicate hints: open reports of the same service within a radius, recent, nearest first."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from daftar.cases.models import Case
from daftar.cases.services import Location, case_file
from daftar.complaints.duplicates import METRES_PER_DEGREE_LATITUDE, distance_m, possible_duplicates
from daftar.offices.models import City
from daftar.testing import shipped_service

pytestmark = pytest.mark.django_db

HERE = (35.760000, 51.430000)


def north_of_here(metres: float) -> Location:
    """A point ``metres`` due north of HERE (inside district 3)."""
    latitude = HERE[0] + metres / METRES_PER_DEGREE_LATITUDE
    return Location(latitude=Decimal(f"{latitude:.6f}"), longitude=Decimal(f"{HERE[1]:.6f}"))


def east_of_here(metres: float) -> Location:
    longitude = HERE[1] + metres / (METRES_PER_DEGREE_LATITUDE * math.cos(math.radians(HERE[0])))
    return Location(latitude=Decimal(f"{HERE[0]:.6f}"), longitude=Decimal(f"{longitude:.6f}"))


@pytest.fixture
def pothole(categories: None, city: City, zone: Any) -> Any:
    return shipped_service("citizen_reports.yaml", "report.pothole")


@pytest.fixture
def file(pothole: Any, citizen_user: Any) -> Any:
    def file_one(location: Location, service: Any = None) -> Case:
        return case_file(
            service=service or pothole,
            applicant=citizen_user.person,
            office=None,
            channel="online",
            data={"surface": "roadway", "size": "medium", "description": "چاله عمیق وسط خیابان"},
            actor=citizen_user,
            location=location,
        )

    return file_one


def test_the_haversine_distance_matches_a_known_length() -> None:
    # One minute of latitude is one nautical mile, 1852 m, to within a few metres.
    assert abs(distance_m(35.0, 51.0, 35.0 + 1 / 60, 51.0) - 1852) < 10
    assert distance_m(*HERE, *HERE) == 0


def test_a_report_100_metres_away_is_a_possible_duplicate_and_one_400_metres_away_is_not(file: Any) -> None:
    here = file(north_of_here(0))
    near = file(north_of_here(100))
    far = file(north_of_here(400))
    found = possible_duplicates(case=here)
    assert found == [near]
    assert 95 <= found[0].distance_m <= 105  # type: ignore[attr-defined]
    assert far not in found


def test_the_radius_is_in_metres_in_every_direction(file: Any) -> None:
    here = file(north_of_here(0))
    east = file(east_of_here(140))
    file(east_of_here(170))
    assert possible_duplicates(case=here) == [east]
    assert len(possible_duplicates(case=here, radius_m=200)) == 2


def test_only_the_same_service_counts(file: Any, categories: None) -> None:
    light = shipped_service("citizen_reports.yaml", "report.street_light")
    here = file(north_of_here(0))
    other = case_file(
        service=light,
        applicant=here.applicant,
        office=None,
        channel="online",
        data={"problem": "flickering", "description": "چراغ چشمک می‌زند"},
        actor=here.filed_by,
        location=north_of_here(20),
    )
    assert possible_duplicates(case=here) == []
    assert possible_duplicates(case=other) == []


def test_a_closed_report_is_not_a_duplicate(file: Any) -> None:
    here = file(north_of_here(0))
    closed = file(north_of_here(50))
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now(), state="resolved")
    assert possible_duplicates(case=here) == []


def test_a_report_older_than_the_window_is_not_a_duplicate(file: Any) -> None:
    here = file(north_of_here(0))
    old = file(north_of_here(50))
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert possible_duplicates(case=here) == []
    assert possible_duplicates(case=here, days=45) == [Case.objects.get(pk=old.pk)]


def test_a_report_without_a_map_point_neither_has_nor_is_a_duplicate(file: Any) -> None:
    here = file(north_of_here(0))
    address_only = file(Location(latitude=None, longitude=None, address="تهران، ونک، همین نزدیکی"))
    assert possible_duplicates(case=address_only) == []
    assert possible_duplicates(case=here) == []


def test_another_citys_report_at_the_same_point_is_not_a_duplicate(file: Any) -> None:
    here = file(north_of_here(0))
    twin = file(north_of_here(10))
    shiraz = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    Case.objects.filter(pk=twin.pk).update(city=shiraz)
    assert possible_duplicates(case=here) == []


def test_duplicates_come_nearest_first_without_the_case_itself_and_up_to_the_limit(file: Any) -> None:
    here = file(north_of_here(0))
    at_120, at_30, at_80 = file(north_of_here(120)), file(north_of_here(30)), file(east_of_here(80))
    assert possible_duplicates(case=here) == [at_30, at_80, at_120]
    assert possible_duplicates(case=here, limit=2) == [at_30, at_80]
    assert possible_duplicates(case=at_30) == [here, at_80, at_120]  # 30 m, about 85 m, 90 m


def test_finding_duplicates_costs_one_query_however_many_reports_are_near(
    file: Any, django_assert_num_queries: Any
) -> None:
    here = file(north_of_here(0))
    for metres in range(10, 150, 10):
        file(north_of_here(metres))
    with django_assert_num_queries(1):
        found = possible_duplicates(case=here, limit=5)
        assert [round(c.distance_m, -1) for c in found] == [10, 20, 30, 40, 50]  # type: ignore[attr-defined]
        assert all(c.service_type.code == "report.pothole" for c in found)  # loaded with the cases
