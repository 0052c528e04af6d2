"""Staff assignment scope rules, and validation of working hours and office data."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.contrib.auth.models import Group

from daftar.accounts.models import User
from daftar.core.errors import Conflict, DomainError, InvalidValue
from daftar.offices import selectors, services
from daftar.offices.models import City, HoursOverride, Office, StaffAssignment, WeeklyHours, Zone

pytestmark = pytest.mark.django_db

SATURDAY = date(2025, 5, 10)


@pytest.fixture
def clerk(db: None) -> User:
    return User.objects.create_user(username="clerk", password="a-long-password-123")


def code_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


# --- staff -----------------------------------------------------------------------------------------


def test_office_role_is_assigned_to_an_office_and_joins_its_group(
    clerk: User, tehran: City, vanak: Office
) -> None:
    assignment = services.staff_assign(user=clerk, role="office_operator", city=tehran, office=vanak)
    assert assignment.office == vanak
    assert assignment.is_active
    assert clerk.groups.filter(name="office_operator").exists()


def test_staff_assign_is_idempotent(clerk: User, tehran: City, vanak: Office) -> None:
    first = services.staff_assign(user=clerk, role="office_manager", city=tehran, office=vanak)
    second = services.staff_assign(user=clerk, role="office_manager", city=tehran, office=vanak)
    assert first.pk == second.pk
    assert StaffAssignment.objects.count() == 1
    assert Group.objects.filter(name="office_manager").count() == 1


def test_office_role_without_an_office_is_refused(clerk: User, tehran: City) -> None:
    with pytest.raises(InvalidValue) as error:
        services.staff_assign(user=clerk, role="office_operator", city=tehran)
    assert code_of(error) == "staff.office_required"


def test_office_role_for_an_office_of_another_city_is_refused(clerk: User, vanak: Office) -> None:
    shiraz = services.city_create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    with pytest.raises(InvalidValue) as error:
        services.staff_assign(user=clerk, role="office_operator", city=shiraz, office=vanak)
    assert code_of(error) == "office.city_mismatch"


def test_city_role_cannot_be_tied_to_an_office(clerk: User, tehran: City, vanak: Office) -> None:
    with pytest.raises(InvalidValue) as error:
        services.staff_assign(user=clerk, role="municipal_reviewer", city=tehran, office=vanak)
    assert code_of(error) == "staff.office_not_allowed"
    assignment = services.staff_assign(user=clerk, role="municipal_reviewer", city=tehran)
    assert assignment.office is None


def test_unknown_role_is_refused(clerk: User, tehran: City) -> None:
    with pytest.raises(InvalidValue) as error:
        services.staff_assign(user=clerk, role="mayor", city=tehran)
    assert code_of(error) == "staff.unknown_role"


def test_unassign_ends_the_role_and_leaves_the_group_when_no_other_assignment_needs_it(
    clerk: User, tehran: City, vanak: Office, bazaar: Office
) -> None:
    services.staff_assign(user=clerk, role="office_operator", city=tehran, office=vanak)
    services.staff_assign(user=clerk, role="office_operator", city=tehran, office=bazaar)
    assert services.staff_unassign(user=clerk, role="office_operator", city=tehran, office=vanak)
    assert clerk.groups.filter(name="office_operator").exists()  # still operator at the bazaar office
    assert services.staff_unassign(user=clerk, role="office_operator", city=tehran, office=bazaar)
    assert not clerk.groups.filter(name="office_operator").exists()
    assert not services.staff_unassign(user=clerk, role="office_operator", city=tehran, office=bazaar)
    # Re-assigning re-activates the kept row.
    again = services.staff_assign(user=clerk, role="office_operator", city=tehran, office=vanak)
    assert again.is_active
    assert StaffAssignment.objects.count() == 2


def test_staff_of_lists_active_assignments_in_few_queries(
    clerk: User, tehran: City, vanak: Office, django_assert_num_queries: object
) -> None:
    services.staff_assign(user=clerk, role="office_operator", city=tehran, office=vanak)
    services.staff_assign(user=clerk, role="auditor", city=tehran)
    services.staff_assign(user=clerk, role="finance_officer", city=tehran)
    services.staff_unassign(user=clerk, role="finance_officer", city=tehran)
    with django_assert_num_queries(1):  # type: ignore[operator]
        rows = list(selectors.offices_staff_of(user=clerk))
        assert {row.role for row in rows} == {"office_operator", "auditor"}
        [(row.city.code, row.office.name if row.office else None) for row in rows]


# --- hours -----------------------------------------------------------------------------------------


def test_weekly_hours_must_open_before_they_close(vanak: Office) -> None:
    with pytest.raises(InvalidValue) as error:
        services.hours_set_weekly(office=vanak, weekday=5, shift="morning", opens=time(15), closes=time(8))
    assert code_of(error) == "hours.order"


def test_weekly_shifts_on_one_day_must_not_overlap(vanak: Office) -> None:
    with pytest.raises(InvalidValue) as error:
        services.hours_set_weekly(office=vanak, weekday=5, shift="evening", opens=time(14), closes=time(18))
    assert code_of(error) == "hours.overlap"


def test_setting_a_weekly_shift_again_replaces_it(vanak: Office) -> None:
    services.hours_set_weekly(office=vanak, weekday=5, shift="morning", opens=time(7, 30), closes=time(14))
    row = WeeklyHours.objects.get(office=vanak, weekday=5, shift="morning")
    assert (row.opens, row.closes) == (time(7, 30), time(14))
    assert services.hours_clear_weekly(office=vanak, weekday=5, shift="evening")


def test_weekday_and_shift_are_checked(vanak: Office) -> None:
    with pytest.raises(InvalidValue) as error:
        services.hours_set_weekly(office=vanak, weekday=7, shift="morning", opens=time(8), closes=time(9))
    assert code_of(error) == "hours.weekday"
    with pytest.raises(InvalidValue) as error:
        services.hours_set_weekly(office=vanak, weekday=1, shift="night", opens=time(8), closes=time(9))
    assert code_of(error) == "hours.shift"


def test_override_spans_must_not_overlap(tehran: City) -> None:
    with pytest.raises(InvalidValue) as error:
        services.hours_override_set(
            city=tehran, date=SATURDAY, spans=[(time(8), time(14)), (time(13), time(18))], reason="x"
        )
    assert code_of(error) == "hours.overlap"
    assert not HoursOverride.objects.exists()


def test_override_is_either_closed_or_has_spans(tehran: City) -> None:
    with pytest.raises(InvalidValue) as error:
        services.hours_override_set(city=tehran, date=SATURDAY, closed=True, spans=[(time(8), time(9))])
    assert code_of(error) == "hours.closed_with_spans"
    with pytest.raises(InvalidValue) as error:
        services.hours_override_set(city=tehran, date=SATURDAY)
    assert code_of(error) == "hours.spans_required"


def test_override_replaces_that_dates_rows_for_that_scope_only(tehran: City, vanak: Office) -> None:
    services.hours_override_set(city=tehran, office=vanak, date=SATURDAY, closed=True)
    services.hours_override_set(city=tehran, date=SATURDAY, spans=[(time(8), time(12)), (time(14), time(20))])
    services.hours_override_set(city=tehran, date=SATURDAY, spans=[(time(9), time(13))])
    city_rows = HoursOverride.objects.filter(city=tehran, office__isnull=True, date=SATURDAY)
    assert [(row.opens, row.closes) for row in city_rows] == [(time(9), time(13))]
    assert HoursOverride.objects.filter(office=vanak, closed=True).count() == 1


def test_setting_the_same_override_again_rewrites_nothing(tehran: City) -> None:
    first = services.hours_override_set(city=tehran, date=SATURDAY, spans=[(time(8), time(20))], reason="r")
    second = services.hours_override_set(city=tehran, date=SATURDAY, spans=[(time(8), time(20))], reason="r")
    assert [row.pk for row in first] == [row.pk for row in second]
    assert services.hours_override_clear(city=tehran, date=SATURDAY) == 1


def test_validation_messages_are_translated_to_persian(vanak: Office) -> None:
    from django.utils import translation

    with pytest.raises(InvalidValue) as error, translation.override("fa"):
        services.hours_set_weekly(office=vanak, weekday=5, shift="morning", opens=time(15), closes=time(8))
    with translation.override("fa"):
        assert "باید" in str(error.value)


# --- cities, districts, offices --------------------------------------------------------------------


def test_office_codes_are_unique_per_city(tehran: City, district3: Zone, vanak: Office) -> None:
    with pytest.raises(Conflict) as error:
        services.office_create(city=tehran, zone=district3, code="301", name="تکراری", address="تهران")
    assert code_of(error) == "office.duplicate"


def test_office_zone_must_belong_to_the_city(district3: Zone) -> None:
    shiraz = services.city_create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    with pytest.raises(InvalidValue) as error:
        services.office_create(city=shiraz, zone=district3, code="1", name="دفتر", address="شیراز")
    assert code_of(error) == "office.zone_city"


def test_office_data_is_checked_and_normalised(tehran: City, district3: Zone) -> None:
    with pytest.raises(InvalidValue) as error:
        services.office_create(
            city=tehran, zone=district3, code="1", name="دفتر", address="تهران", area_m2=40
        )
    assert code_of(error) == "office.area"
    with pytest.raises(InvalidValue) as error:
        services.office_create(
            city=tehran, zone=district3, code="1", name="دفتر", address="تهران", postal_code="12345"
        )
    assert code_of(error) == "postal_code.length"
    office = services.office_create(
        city=tehran,
        zone=district3,
        code="۳۰۵",
        name="دفتر خدمات كد ۳۰۵",
        address="تهران، ونك",
        postal_code="۱۹۹۱۹۴۳۳۸۱",
        phone="۰۲۱-۸۸۰۴۱۲۷۵",
    )
    assert (office.code, office.postal_code, office.phone) == ("305", "1991943381", "02188041275")
    assert "ک" in office.name
    assert "ك" not in office.address


def test_city_and_zone_duplicates_are_refused(tehran: City, district3: Zone) -> None:
    with pytest.raises(Conflict) as error:
        services.city_create(code="tehran", name_fa="تهران", name_en="Tehran")
    assert code_of(error) == "city.duplicate"
    with pytest.raises(Conflict) as error:
        services.zone_create(city=tehran, number=3, name="منطقه ۳")
    assert code_of(error) == "zone.duplicate"
    with pytest.raises(InvalidValue) as error:
        services.city_create(code="mashhad", name_fa="مشهد", name_en="Mashhad", timezone="Asia/Nowhere")
    assert code_of(error) == "city.timezone"


def test_schedules_over_a_range_take_three_queries_and_match_day_by_day(
    office: Any, django_assert_num_queries: Any
) -> None:
    from datetime import timedelta

    from daftar.core.jalali import local_today
    from daftar.offices.selectors import office_schedule_on, office_schedules_between

    start = local_today()
    with django_assert_num_queries(3):
        schedules = office_schedules_between(office=office, start=start, end=start + timedelta(days=30))
    assert len(schedules) == 31
    for day in (start, start + timedelta(days=6), start + timedelta(days=30)):
        assert schedules[day] == office_schedule_on(office=office, day=day)
