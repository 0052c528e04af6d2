"""Routing rules: which rule wins (order, each condition alone, active flag), which services are
routed, validation of a rule, moving rules and who may change them."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import Location, case_file
from daftar.complaints.models import RoutingRule, in_window
from daftar.complaints.routing import (
    is_routed,
    route_for,
    routing_rule_create,
    routing_rule_deactivate,
    routing_rule_move,
    routing_rule_update,
)
from daftar.core.errors import Forbidden, InvalidValue
from daftar.offices.models import City, StaffAssignment, Zone
from daftar.offices.services import staff_assign
from daftar.testing import shipped_service

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# 21 November 2026 is a Saturday (Python weekday 5); the 20th a Friday (4).
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=TEHRAN)
IN_ZONE_3 = Location(latitude=Decimal("35.760000"), longitude=Decimal("51.430000"), address="ونک")
IN_ZONE_6 = Location(latitude=Decimal("35.700000"), longitude=Decimal("51.380000"), address="انقلاب")
ADDRESS_ONLY = Location(latitude=None, longitude=None, address="تهران، خیابان شریعتی، کوچه ۵")


# --- fixtures ---------------------------------------------------------------------------------------


def make_user(username: str, **extra: Any) -> User:
    return User.objects.create_user(username=username, password="x-test-password-1405", **extra)


def municipal(user: User, city: City, role: str = "municipal_reviewer", department: str = "") -> User:
    staff_assign(user=user, role=role, city=city)
    if department:
        StaffAssignment.objects.filter(user=user, role=role, city=city).update(department=department)
    return user


@pytest.fixture
def zone6(city: City) -> Zone:
    return Zone.objects.create(
        city=city,
        number=6,
        name="منطقه ۶",
        boundary={
            "type": "Polygon",
            "coordinates": [[[51.34, 35.68], [51.40, 35.68], [51.40, 35.73], [51.34, 35.73], [51.34, 35.68]]],
        },
    )


@pytest.fixture
def street_light(categories: None) -> Any:
    return shipped_service("citizen_reports.yaml", "report.street_light")


@pytest.fixture
def pothole(categories: None) -> Any:
    return shipped_service("citizen_reports.yaml", "report.pothole")


@pytest.fixture
def city_admin(city: City) -> User:
    return municipal(
        make_user("cityadmin", is_staff=True, first_name="سارا", last_name="اکبری"),
        city,
        role="city_administrator",
    )


@pytest.fixture
def lighting_reviewer(city: City) -> User:
    """A reviewer of the «lighting» department: also makes the department known in the city."""
    return municipal(make_user("lighting1", first_name="رضا", last_name="نوری"), city, department="lighting")


@pytest.fixture
def roads_reviewer(city: City) -> User:
    return municipal(make_user("roads1", first_name="مینا", last_name="صادقی"), city, department="roads")


@pytest.fixture
def file_report(street_light: Any, city: City, zone: Zone, citizen_user: Any) -> Any:
    """File a street-light report online; ``service``, ``location`` or ``data`` may be overridden."""

    def file(**overrides: Any) -> Case:
        arguments: dict[str, Any] = {
            "service": street_light,
            "applicant": citizen_user.person,
            "office": None,
            "channel": "online",
            "data": {"problem": "flickering", "description": "چراغ کوچه سه شب است خاموش است"},
            "actor": citizen_user,
            "location": IN_ZONE_3,
        }
        arguments.update(overrides)
        return case_file(**arguments)

    return file


def rule(city: City, name: str, **fields: Any) -> RoutingRule:
    fields.setdefault("department", "lighting")
    return routing_rule_create(city=city, name=name, actor=None, **fields)


# --- which rule wins ------------------------------------------------------------------------------


def test_the_first_matching_active_rule_in_position_order_wins(
    file_report: Any, city: City, lighting_reviewer: User, roads_reviewer: User
) -> None:
    case = file_report()
    second = rule(city, "همه گزارش‌ها به راه‌ها", department="roads")
    first = rule(city, "روشنایی به واحد روشنایی", service_codes=["report.street_light"], position=1)
    assert route_for(case=case, at=SATURDAY_NOON) == first
    routing_rule_move(rule=second, position=1)
    assert route_for(case=case, at=SATURDAY_NOON) == second


def test_a_rule_naming_services_matches_only_those_services(
    file_report: Any, pothole: Any, city: City, lighting_reviewer: User
) -> None:
    light = file_report()
    hole = file_report(
        service=pothole, data={"surface": "roadway", "size": "small", "description": "چاله بزرگ"}
    )
    only_potholes = rule(city, "چاله‌ها", service_codes=["report.pothole"])
    assert route_for(case=hole, at=SATURDAY_NOON) == only_potholes
    assert route_for(case=light, at=SATURDAY_NOON) is None


def test_a_rule_with_districts_matches_only_cases_in_those_districts(
    file_report: Any, city: City, zone: Zone, zone6: Zone, lighting_reviewer: User
) -> None:
    in_3, in_6 = file_report(), file_report(location=IN_ZONE_6)
    assert (in_3.zone, in_6.zone) == (zone, zone6)
    district_6 = rule(city, "منطقه ۶", zones=[zone6])
    assert route_for(case=in_6, at=SATURDAY_NOON) == district_6
    assert route_for(case=in_3, at=SATURDAY_NOON) is None


def test_an_address_only_report_matches_only_rules_without_districts(
    file_report: Any, city: City, zone: Zone, lighting_reviewer: User, roads_reviewer: User
) -> None:
    case = file_report(location=ADDRESS_ONLY)
    assert case.zone is None
    rule(city, "منطقه ۳", zones=[zone], department="roads")
    anywhere = rule(city, "هر جا")
    assert route_for(case=case, at=SATURDAY_NOON) == anywhere


def test_a_weekday_rule_matches_on_its_days_in_tehran_time(
    file_report: Any, city: City, lighting_reviewer: User
) -> None:
    case = file_report()
    fridays = rule(city, "جمعه‌ها", weekdays=[4])
    assert route_for(case=case, at=datetime(2026, 11, 20, 10, 0, tzinfo=TEHRAN)) == fridays
    assert route_for(case=case, at=SATURDAY_NOON) is None
    # 21:00 UTC on Friday is already 00:30 on Saturday in Tehran: not a Friday.
    assert route_for(case=case, at=datetime(2026, 11, 20, 21, 0, tzinfo=ZoneInfo("UTC"))) is None
    assert route_for(case=case, at=datetime(2026, 11, 20, 20, 0, tzinfo=ZoneInfo("UTC"))) == fridays


def test_a_time_window_matches_from_its_start_until_just_before_its_end(
    file_report: Any, city: City, lighting_reviewer: User
) -> None:
    case = file_report()
    office_hours = rule(city, "ساعت اداری", time_from=time(8), time_until=time(14))
    assert route_for(case=case, at=datetime(2026, 11, 21, 8, 0, tzinfo=TEHRAN)) == office_hours
    assert route_for(case=case, at=datetime(2026, 11, 21, 13, 59, tzinfo=TEHRAN)) == office_hours
    assert route_for(case=case, at=datetime(2026, 11, 21, 14, 0, tzinfo=TEHRAN)) is None
    assert route_for(case=case, at=datetime(2026, 11, 21, 7, 59, tzinfo=TEHRAN)) is None


def test_a_night_window_wraps_past_midnight(
    file_report: Any, city: City, lighting_reviewer: User, roads_reviewer: User
) -> None:
    case = file_report()
    night = rule(city, "شیفت شب", time_from=time(22), time_until=time(6), department="roads")
    day = rule(city, "روز")
    for hour, expected in ((22, night), (23, night), (0, night), (5, night), (6, day), (12, day), (21, day)):
        at = datetime(2026, 11, 21, hour, 30 if hour == 5 else 0, tzinfo=TEHRAN)
        assert route_for(case=case, at=at) == expected, hour


def test_the_window_arithmetic_includes_the_start_and_excludes_the_end() -> None:
    assert in_window(time(22), time(22), time(6))
    assert in_window(time(5, 59), time(22), time(6))
    assert not in_window(time(6), time(22), time(6))
    assert not in_window(time(21, 59), time(22), time(6))
    assert in_window(time(3), None, None)


def test_inactive_rules_are_ignored(file_report: Any, city: City, lighting_reviewer: User) -> None:
    case = file_report()
    switched_off = rule(city, "خاموش")
    fallback = rule(city, "پشتیبان")
    routing_rule_deactivate(rule=switched_off)
    assert route_for(case=case, at=SATURDAY_NOON) == fallback
    routing_rule_update(rule=switched_off, actor=None, is_active=True)
    assert route_for(case=case, at=SATURDAY_NOON) == switched_off


def test_rules_of_another_city_never_match(file_report: Any, lighting_reviewer: User) -> None:
    case = file_report()
    shiraz = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    municipal(make_user("shiraz-reviewer"), shiraz, department="lighting")
    rule(shiraz, "شیراز")
    assert route_for(case=case, at=SATURDAY_NOON) is None


def test_only_complaints_and_citizen_reports_are_routed(
    filed_case: Any, categories: None, street_light: Any, city: City, lighting_reviewer: User
) -> None:
    complaint = shipped_service("complaints.yaml", "complaint.neighbour")
    debris = shipped_service("urban_services.yaml", "urban.debris_collection")
    assert is_routed(street_light.service_type)
    assert is_routed(complaint.service_type)
    assert not is_routed(debris.service_type)  # an urban service, but an application, not a report
    assert not is_routed(filed_case.service_type)
    rule(city, "همه")
    assert route_for(case=filed_case, at=SATURDAY_NOON) is None


def test_a_person_only_rule_is_passed_over_when_its_person_cannot_take_the_case(
    file_report: Any, city: City, lighting_reviewer: User, roads_reviewer: User
) -> None:
    case = file_report()  # its catalogue department: urban_services
    general = municipal(make_user("general1"), city)  # every department
    person_only = rule(city, "کارشناس عمومی", department="", assignee=general)
    fallback = rule(city, "پشتیبان", department="roads")
    assert route_for(case=case, at=SATURDAY_NOON) == person_only
    StaffAssignment.objects.filter(user=general).update(is_active=False)  # lost the role
    assert route_for(case=case, at=SATURDAY_NOON) == fallback
    # A person whose role covers another department would not even see the case: passed over too.
    routing_rule_update(rule=person_only, actor=None, assignee=lighting_reviewer)
    assert route_for(case=case, at=SATURDAY_NOON) == fallback


# --- validation -----------------------------------------------------------------------------------


def _refused(**fields: Any) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        routing_rule_create(actor=None, **fields)
    assert not RoutingRule.objects.filter(name=fields.get("name", "")).exists()
    return caught.value


def test_a_rule_needs_a_department_or_a_person(city: City) -> None:
    error = _refused(city=city, name="بی‌نتیجه")
    assert "department" in error.fields


def test_a_rule_refuses_unknown_services_and_services_that_are_not_routed(
    city: City, categories: None, lighting_reviewer: User
) -> None:
    shipped_service("urban_services.yaml", "urban.debris_collection")
    error = _refused(city=city, name="نادرست", department="lighting", service_codes=["report.nothing"])
    assert "report.nothing" in error.field_messages()["service_codes"][0]
    error = _refused(
        city=city, name="نادرست", department="lighting", service_codes=["urban.debris_collection"]
    )
    assert "urban.debris_collection" in error.field_messages()["service_codes"][0]


def test_a_rule_refuses_districts_of_another_city(city: City, lighting_reviewer: User) -> None:
    shiraz = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    far = Zone.objects.create(city=shiraz, number=1, name="منطقه ۱ شیراز")
    error = _refused(city=city, name="منطقه غلط", department="lighting", zones=[far])
    assert "zones" in error.fields


@pytest.mark.parametrize(
    ("window", "field"),
    [((time(22), None), "time_until"), ((None, time(6)), "time_from"), ((time(8), time(8)), "time_until")],
)
def test_a_time_window_needs_both_ends_and_cannot_be_empty(
    city: City, lighting_reviewer: User, window: tuple[time | None, time | None], field: str
) -> None:
    error = _refused(
        city=city, name="پنجره", department="lighting", time_from=window[0], time_until=window[1]
    )
    assert field in error.fields


def test_weekdays_are_python_weekday_numbers(city: City, lighting_reviewer: User) -> None:
    error = _refused(city=city, name="روز", department="lighting", weekdays=[7])
    assert "weekdays" in error.fields
    saved = rule(city, "روزها", weekdays=[3, 5, 5, 0])
    assert saved.weekdays == [0, 3, 5]


def test_a_department_must_be_a_well_formed_code_in_use_in_the_city(
    city: City, lighting_reviewer: User
) -> None:
    assert "department" in _refused(city=city, name="کد", department="واحد روشنایی").fields
    assert "department" in _refused(city=city, name="کد", department="gardens").fields
    assert rule(city, "حروف بزرگ", department=" Lighting ").department == "lighting"


def test_the_person_must_hold_a_municipal_role_in_the_city_covering_the_department(
    city: City, lighting_reviewer: User, roads_reviewer: User, operator_user: User, citizen_user: User
) -> None:
    for outsider in (operator_user, citizen_user):
        assert "assignee" in _refused(city=city, name="فرد", department="", assignee=outsider).fields
    error = _refused(city=city, name="فرد", department="lighting", assignee=roads_reviewer)
    assert "assignee" in error.fields
    assert rule(city, "فرد", assignee=lighting_reviewer).assignee == lighting_reviewer


def test_an_update_changes_only_what_is_given_and_is_checked_as_a_whole(
    city: City, zone: Zone, lighting_reviewer: User
) -> None:
    saved = rule(city, "شب", zones=[zone], time_from=time(22), time_until=time(6))
    with pytest.raises(InvalidValue):
        routing_rule_update(rule=saved, actor=None, time_until=None)
    routing_rule_update(rule=saved, actor=None, name="شب‌ها", weekdays=[4])
    saved.refresh_from_db()
    assert (saved.name, saved.weekdays, saved.time_from, saved.time_until) == ("شب‌ها", [4], time(22), time(6))
    assert list(saved.zones.all()) == [zone]


# --- order and permissions ------------------------------------------------------------------------


def _names(city: City) -> list[tuple[int, str]]:
    return list(RoutingRule.objects.filter(city=city).order_by("position").values_list("position", "name"))


def test_rules_are_numbered_without_gaps_when_added_and_moved(city: City, lighting_reviewer: User) -> None:
    a, _b, c = rule(city, "الف"), rule(city, "ب"), rule(city, "ج")
    assert _names(city) == [(1, "الف"), (2, "ب"), (3, "ج")]
    rule(city, "د", position=2)
    assert _names(city) == [(1, "الف"), (2, "د"), (3, "ب"), (4, "ج")]
    routing_rule_move(rule=c, position=1)
    assert _names(city) == [(1, "ج"), (2, "الف"), (3, "د"), (4, "ب")]
    routing_rule_move(rule=a, position=99)
    assert _names(city) == [(1, "ج"), (2, "د"), (3, "ب"), (4, "الف")]
    assert a.position == 4  # the moved rule knows its new place


def test_only_a_city_administrator_of_the_city_changes_its_rules(
    city: City, city_admin: User, lighting_reviewer: User
) -> None:
    with pytest.raises(Forbidden):
        routing_rule_create(city=city, name="بررسی‌کننده", department="lighting", actor=lighting_reviewer)
    shiraz = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    other_admin = municipal(make_user("shirazadmin"), shiraz, role="city_administrator")
    with pytest.raises(Forbidden):
        routing_rule_create(city=city, name="مدیر شیراز", department="lighting", actor=other_admin)
    saved = routing_rule_create(city=city, name="مدیر تهران", department="lighting", actor=city_admin)
    with pytest.raises(Forbidden):
        routing_rule_move(rule=saved, position=1, actor=other_admin)
    with pytest.raises(Forbidden):
        routing_rule_deactivate(rule=saved, actor=lighting_reviewer)
    assert RoutingRule.objects.get().is_active
