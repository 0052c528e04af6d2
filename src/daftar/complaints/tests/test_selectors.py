"""Reads for the reports list and map: what counts as a report, who sees which, the filters,
pagination with a fixed number of queries, duplicate marks and the map's split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import Location, case_act, case_file
from daftar.complaints import selectors
from daftar.complaints.duplicates import possible_duplicates
from daftar.complaints.selectors import (
    STATUS_CLOSED,
    STATUS_IN_PROGRESS,
    STATUS_NEW,
    ReportFilters,
    case_duplicates,
    duplicate_hints,
    report_cities,
    report_services,
    reports_for,
    reports_map,
    reports_page,
)
from daftar.core.jalali import from_jalali
from daftar.offices.models import City, StaffAssignment, Zone
from daftar.offices.services import staff_assign
from daftar.testing import shipped_service

pytestmark = pytest.mark.django_db

HERE = (Decimal("35.760000"), Decimal("51.430000"))  # inside district 3 (conftest's zone)
NEAR = (Decimal("35.760900"), Decimal("51.430000"))  # about 100 m north of HERE
FAR = (Decimal("35.763600"), Decimal("51.430000"))  # about 400 m north of HERE


@pytest.fixture
def excavation(categories: Any) -> Any:
    return shipped_service("citizen_reports.yaml", "report.open_excavation")


@pytest.fixture
def light(categories: Any) -> Any:
    return shipped_service("citizen_reports.yaml", "report.street_light")


@pytest.fixture
def neighbour(categories: Any) -> Any:
    return shipped_service("complaints.yaml", "complaint.neighbour")


def _staff(username: str, role: str, city: City, department: str = "") -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405")
    staff_assign(user=user, role=role, city=city)
    if department:  # a department-scoped assignment (set in the admin)
        StaffAssignment.objects.filter(user=user, role=role, city=city).update(department=department)
    return user


def file(
    service: Any,
    citizen: Any,
    *,
    point: tuple[Decimal, Decimal] | None = None,
    address: str = "",
    data: dict[str, Any] | None = None,
) -> Case:
    if data is None:
        code = service.service_type.code
        if code == "report.open_excavation":
            data = {"hazards": ["no_fence"], "description": "ترانشه بدون حفاظ رها شده است"}
        elif code == "report.street_light":
            data = {"problem": "flickering", "description": "چراغ کوچه چشمک می‌زند"}
        else:
            data = {
                "subject": "construction_damage",
                "respondent_address": "تهران، خیابان ولیعصر، پلاک ۱۰۰",
                "complainant_status": "owner",
                "details": "ترک در دیوار مشترک پس از گودبرداری همسایه",
            }
    location = Location(
        latitude=point[0] if point else None, longitude=point[1] if point else None, address=address
    )
    return case_file(
        service=service,
        applicant=citizen.person,
        office=None,
        channel="online",
        data=data,
        actor=citizen,
        location=location,
    )


def _resolve(case: Case, reviewer: User) -> Case:
    case = case_act(case=case, action="accept", actor=reviewer, expected_version=case.version)
    return case_act(
        case=case, action="resolve", actor=reviewer, expected_version=case.version, reason="رفع شد"
    )


# --- what a report is, and who sees it ------------------------------------------------------------


def test_complaints_and_reports_are_listed_and_other_services_are_not(
    excavation: Any, neighbour: Any, service_version: Any, filed_case: Case, citizen_user: Any, zone: Zone
) -> None:
    reviewer = _staff("rev", "municipal_reviewer", zone.city)
    report = file(excavation, citizen_user, address="تهران، خیابان شریعتی")
    complaint = file(neighbour, citizen_user, point=HERE)
    assert set(reports_for(user=reviewer, city=zone.city)) == {report, complaint}
    assert filed_case not in reports_for(user=reviewer, city=zone.city)
    codes = [code for code, _name in report_services()]
    assert "report.open_excavation" in codes
    assert "complaint.neighbour" in codes
    assert "building.no_violation_certificate" not in codes


@pytest.mark.parametrize(
    "role", ["municipal_reviewer", "technical_inspector", "city_administrator", "auditor"]
)
def test_each_municipal_reports_role_sees_the_citys_reports(
    role: str, excavation: Any, citizen_user: Any, city: City
) -> None:
    report = file(excavation, citizen_user, address="تهران، میدان تجریش")
    user = _staff("someone", role, city)
    assert report_cities(user=user) == [city]
    assert list(reports_for(user=user, city=city)) == [report]


def test_office_staff_other_roles_and_citizens_see_no_reports(
    excavation: Any, citizen_user: Any, operator_user: Any, city: City
) -> None:
    file(excavation, citizen_user, address="تهران، میدان تجریش")
    finance = _staff("fin", "finance_officer", city)
    for user in (operator_user, finance, citizen_user):
        assert report_cities(user=user) == []
        assert not reports_for(user=user, city=city).exists()


def test_a_reviewer_of_another_city_sees_none_of_this_citys_reports(
    excavation: Any, citizen_user: Any, city: City
) -> None:
    file(excavation, citizen_user, address="تهران، میدان تجریش")
    other = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    reviewer = _staff("karaj-rev", "municipal_reviewer", other)
    assert report_cities(user=reviewer) == [other]
    assert not reports_for(user=reviewer, city=city).exists()
    assert not reports_for(user=reviewer, city=other).exists()


def test_a_department_scoped_reviewer_sees_only_their_departments_reports(
    excavation: Any, neighbour: Any, citizen_user: Any, city: City
) -> None:
    report = file(excavation, citizen_user, address="تهران، میدان تجریش")
    complaint = file(neighbour, citizen_user, point=HERE)
    assert (report.department, complaint.department) == ("urban_services", "public_relations")
    urban = _staff("urban", "municipal_reviewer", city, department="urban_services")
    relations = _staff("pr", "technical_inspector", city, department="public_relations")
    assert list(reports_for(user=urban, city=city)) == [report]
    assert list(reports_for(user=relations, city=city)) == [complaint]


# --- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def reviewer(city: City) -> User:
    return _staff("rev", "municipal_reviewer", city)


def test_filters_by_service_status_and_district(
    excavation: Any, light: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    in_district = file(excavation, citizen_user, point=HERE)
    by_address = file(excavation, citizen_user, address="تهران، خیابان شریعتی")
    lamp = file(light, citizen_user, point=FAR)
    lamp = _resolve(lamp, reviewer)

    def found(**filters: Any) -> set[Case]:
        return set(reports_for(user=reviewer, city=zone.city, filters=ReportFilters(**filters)))

    assert found() == {in_district, by_address, lamp}
    assert found(service="report.open_excavation") == {in_district, by_address}
    assert found(service="report.street_light") == {lamp}
    assert found(status="open") == {in_district, by_address}
    assert found(status="closed") == {lamp}
    assert found(district=3) == {in_district, lamp}
    assert found(district=4) == set()


def test_filters_by_the_day_filed_in_tehran_both_ends_included(
    excavation: Any, citizen_user: Any, city: City, reviewer: User
) -> None:
    first = from_jalali(1405, 9, 1)
    cases = [file(excavation, citizen_user, address=f"تهران، کوچه {n}") for n in range(3)]
    # 1405/09/01 00:10, 1405/09/02 23:50 and 1405/09/03 00:10, Tehran time (UTC+3:30).
    stamps = [
        datetime(first.year, first.month, first.day, 20, 40, tzinfo=UTC) - timedelta(days=1),
        datetime(first.year, first.month, first.day, 20, 20, tzinfo=UTC) + timedelta(days=1),
        datetime(first.year, first.month, first.day, 20, 40, tzinfo=UTC) + timedelta(days=1),
    ]
    for case, stamp in zip(cases, stamps, strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=stamp)
    window = ReportFilters(date_from=first, date_to=first + timedelta(days=1))
    assert set(reports_for(user=reviewer, city=city, filters=window)) == set(cases[:2])
    assert set(
        reports_for(user=reviewer, city=city, filters=ReportFilters(date_from=first + timedelta(days=2)))
    ) == {cases[2]}
    assert set(reports_for(user=reviewer, city=city, filters=ReportFilters(date_to=first))) == {cases[0]}


def test_text_finds_a_tracking_code_an_address_a_description_or_the_applicants_name(
    excavation: Any, neighbour: Any, citizen_user: Any, city: City, reviewer: User
) -> None:
    by_address = file(excavation, citizen_user, address="تهران، خیابان پاسداران، کوچه ۱۲")
    described = file(
        excavation,
        citizen_user,
        address="تهران، میدان ونک",
        data={"hazards": ["water"], "description": "آب‌گرفتگی کنار ایستگاه اتوبوس ۴۵"},
    )
    complaint = file(neighbour, citizen_user, point=HERE)

    def found(text: str) -> set[Case]:
        return set(reports_for(user=reviewer, city=city, filters=ReportFilters(text=text)))

    assert found("پاسداران") == {by_address}
    assert found("كوچه 12") == {by_address}  # Arabic kaf and Latin digits meet the stored text
    assert found("ایستگاه اتوبوس 45") == {described}
    assert found("گودبرداری همسایه") == {complaint}  # a complaint's details
    assert found(described.tracking_code.lower()) == {described}
    assert found("احمدی") == {by_address, described, complaint}  # the applicant (conftest's سارا احمدی)
    assert found("هیچ‌چیز") == set()


# --- pages, duplicates and the map ------------------------------------------------------------------


def test_the_list_is_paginated_newest_first_with_a_fixed_number_of_queries(
    excavation: Any, citizen_user: Any, zone: Zone, reviewer: User, django_assert_max_num_queries: Any
) -> None:
    city = zone.city
    cases = [file(excavation, citizen_user, point=HERE) for _ in range(7)]
    for n, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=n))
    with django_assert_max_num_queries(5):
        first = reports_page(user=reviewer, city=city, page=1, page_size=3)
        assert [row.case for row in first.rows] == cases[:3]
        assert [row.status for row in first.rows] == [STATUS_NEW] * 3
        assert [row.case.service_version.name for row in first.rows]
        assert [row.case.zone and row.case.zone.number for row in first.rows] == [3, 3, 3]
    assert first.page.paginator.num_pages == 3
    last = reports_page(user=reviewer, city=city, page=3, page_size=3)
    assert [row.case for row in last.rows] == cases[6:]
    more = [file(excavation, citizen_user, point=FAR) for _ in range(20)]
    assert more
    with django_assert_max_num_queries(5):
        rows = reports_page(user=reviewer, city=city, page=1, page_size=25).rows
        assert len(rows) == 25


def test_status_tells_new_from_in_progress_and_closed(
    excavation: Any, citizen_user: Any, city: City, reviewer: User
) -> None:
    new = file(excavation, citizen_user, address="تهران، کوچه الف")
    taken = file(excavation, citizen_user, address="تهران، کوچه ب")
    case_act(case=taken, action="accept", actor=reviewer, expected_version=taken.version)
    closed = _resolve(file(excavation, citizen_user, address="تهران، کوچه ج"), reviewer)
    statuses = {row.case.pk: row.status for row in reports_page(user=reviewer, city=city).rows}
    assert statuses == {new.pk: STATUS_NEW, taken.pk: STATUS_IN_PROGRESS, closed.pk: STATUS_CLOSED}


def test_a_row_is_marked_exactly_when_the_case_has_possible_duplicates(
    excavation: Any, light: Any, citizen_user: Any, city: City, reviewer: User
) -> None:
    here = file(excavation, citizen_user, point=HERE)
    near = file(excavation, citizen_user, point=NEAR)
    far = file(excavation, citizen_user, point=FAR)
    other_service = file(light, citizen_user, point=HERE)
    address_only = file(excavation, citizen_user, address="تهران، همین حوالی")
    closed_near = _resolve(file(light, citizen_user, point=NEAR), reviewer)
    old = file(light, citizen_user, point=FAR)
    old_near = file(light, citizen_user, point=FAR)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    cases = list(Case.objects.all())
    hinted = duplicate_hints(cases)
    # The hint looks for *open, recent* neighbours: a closed or old case may have one (closed_near
    # has other_service beside it, old has old_near), but is never one itself.
    assert hinted == {here.pk, near.pk, closed_near.pk, old.pk}
    assert {far.pk, other_service.pk, address_only.pk, old_near.pk}.isdisjoint(hinted)
    for case in cases:  # the same rule as the case page's panel
        assert (case.pk in hinted) == bool(possible_duplicates(case=case)), case
    rows = {row.case.pk: row.has_duplicates for row in reports_page(user=reviewer, city=city).rows}
    assert rows[here.pk]
    assert rows[near.pk]
    assert not rows[far.pk]


def test_the_map_splits_reports_with_a_point_from_those_with_an_address_only_each_bounded(
    excavation: Any,
    citizen_user: Any,
    zone: Zone,
    reviewer: User,
    monkeypatch: Any,
    django_assert_max_num_queries: Any,
) -> None:
    placed = [file(excavation, citizen_user, point=HERE) for _ in range(3)]
    addressed = [file(excavation, citizen_user, address=f"تهران، کوچه {n}") for n in range(3)]
    with django_assert_max_num_queries(4):
        found = reports_map(user=reviewer, city=zone.city)
    assert {row.case for row in found.placed} == set(placed)
    assert {row.case for row in found.address_only} == set(addressed)
    assert found.zones == [zone]
    assert not found.more_placed
    assert not found.more_address_only
    monkeypatch.setattr(selectors, "MAP_MAX_DOTS", 2)
    monkeypatch.setattr(selectors, "MAP_MAX_ADDRESSES", 1)
    capped = reports_map(user=reviewer, city=zone.city)
    assert len(capped.placed) == 2
    assert capped.more_placed
    assert len(capped.address_only) == 1
    assert capped.more_address_only


def test_the_case_pages_duplicates_leave_out_cases_the_viewer_may_not_open(
    excavation: Any, citizen_user: Any, city: City
) -> None:
    here = file(excavation, citizen_user, point=HERE)
    near = file(excavation, citizen_user, point=NEAR)
    urban = _staff("urban", "municipal_reviewer", city, department="urban_services")
    assert [c.pk for c in case_duplicates(case=here, user=urban)] == [near.pk]
    Case.objects.filter(pk=near.pk).update(department="public_relations")
    assert case_duplicates(case=here, user=urban) == []
