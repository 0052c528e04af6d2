"""The nightly check of activity outside an office's approved hours, and its review: dismissed with a
reason or recorded as a violation, once."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from daftar.accounts.roles import Role
from daftar.billing.tests.builders import office_open
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.licensing.lifecycle import activity_flag_day, activity_flag_dismiss, activity_flag_to_violation
from daftar.licensing.lifecycle_selectors import ActivityKind, office_day_schedules
from daftar.licensing.models import ActivityFlag, Violation
from daftar.offices.models import City, Holiday, Office, WeeklyHours
from daftar.offices.selectors import office_schedule_on
from daftar.offices.services import hours_override_set, staff_assign

from .lifecycle_builders import at, case_at, past_weekday, payment_at, staff, ticket_at, violation_types

pytestmark = pytest.mark.django_db
SATURDAY = 5


@pytest.fixture
def day(office: Office) -> date:
    """A past Saturday on which the office works 08:00–14:00."""
    WeeklyHours.objects.filter(office=office, weekday=SATURDAY).update(opens=time(8), closes=time(14))
    return past_weekday(SATURDAY)


@pytest.fixture
def file_at(service_version: Any, office: Office, operator_user: Any, citizen_user: Any) -> Any:
    def make(moment: Any, where: Office | None = None) -> Any:
        return case_at(service_version, where or office, operator_user, citizen_user.person, moment)

    return make


@pytest.fixture
def officer(city: City) -> Any:
    return staff("licensing1", Role.LICENSING_OFFICER, city)


def flags(office: Office, day: date) -> dict[str, ActivityFlag]:
    return {f.activity: f for f in ActivityFlag.objects.filter(office=office, day=day)}


# --- the nightly check -----------------------------------------------------------------------------


def test_a_case_filed_at_half_past_seven_in_the_evening_is_flagged_and_one_at_ten_is_not(
    office: Office, day: date, file_at: Any
) -> None:
    file_at(at(day, 10))
    file_at(at(day, 19, 30))
    assert activity_flag_day(day=day) == 1
    flag = flags(office, day)[ActivityKind.CASE_FILED]
    assert flag.count == 1
    assert flag.first_at == flag.last_at == at(day, 19, 30)


def test_activity_before_opening_is_flagged_with_its_first_and_last_time(
    office: Office, day: date, file_at: Any
) -> None:
    file_at(at(day, 6, 50))
    file_at(at(day, 7, 40))
    file_at(at(day, 9))
    activity_flag_day(day=day)
    flag = flags(office, day)[ActivityKind.CASE_FILED]
    assert (flag.count, flag.first_at, flag.last_at) == (2, at(day, 6, 50), at(day, 7, 40))


def test_on_a_holiday_all_activity_is_flagged(office: Office, day: date, file_at: Any) -> None:
    Holiday.objects.create(city=None, date=day, name="تعطیل رسمی")
    file_at(at(day, 10))
    file_at(at(day, 11))
    activity_flag_day(day=day)
    assert flags(office, day)[ActivityKind.CASE_FILED].count == 2


def test_counter_payments_and_queue_tickets_outside_hours_are_flagged_each_as_its_own_activity(
    office: Office, day: date, operator_user: Any
) -> None:
    payment_at(office, operator_user, at(day, 20))
    payment_at(office, operator_user, at(day, 11))
    ticket_at(office, at(day, 7))
    ticket_at(office, at(day, 9))
    assert activity_flag_day(day=day) == 2
    found = flags(office, day)
    assert set(found) == {ActivityKind.COUNTER_PAYMENT, ActivityKind.QUEUE_TICKET}
    assert found[ActivityKind.COUNTER_PAYMENT].first_at == at(day, 20)
    assert found[ActivityKind.QUEUE_TICKET].first_at == at(day, 7)


def test_finishing_the_queue_just_after_closing_is_not_flagged_but_a_ticket_issued_then_is(
    office: Office, day: date, file_at: Any
) -> None:
    file_at(at(day, 14, 10))
    ticket_at(office, at(day, 14, 5))
    activity_flag_day(day=day)
    assert set(flags(office, day)) == {ActivityKind.QUEUE_TICKET}


def test_rerunning_the_check_updates_the_flag_and_never_duplicates_it(
    office: Office, day: date, file_at: Any
) -> None:
    file_at(at(day, 19, 30))
    activity_flag_day(day=day)
    activity_flag_day(day=day)
    assert ActivityFlag.objects.count() == 1
    file_at(at(day, 21))
    activity_flag_day(day=day)
    flag = ActivityFlag.objects.get()
    assert (flag.count, flag.last_at) == (2, at(day, 21))


def test_special_hours_added_later_remove_an_unreviewed_flag_but_keep_a_reviewed_one(
    office: Office, day: date, file_at: Any, operator_user: Any, officer: Any
) -> None:
    file_at(at(day, 19, 30))
    payment_at(office, operator_user, at(day, 19, 45))
    activity_flag_day(day=day)
    activity_flag_dismiss(
        flag=flags(office, day)[ActivityKind.COUNTER_PAYMENT], actor=officer, reason="شیفت عصر مصوب"
    )
    hours_override_set(
        city=office.city, office=office, date=day, spans=[(time(8), time(21))], reason="پایان سال"
    )
    activity_flag_day(day=day)
    assert set(flags(office, day)) == {ActivityKind.COUNTER_PAYMENT}


def test_an_office_is_checked_against_its_own_hours_and_cases_filed_online_do_not_count(
    city: City, zone: Any, office: Office, day: date, file_at: Any, service_version: Any, citizen_user: Any
) -> None:
    evening = office_open(city, zone, code="3301", name="دفتر عصر")
    WeeklyHours.objects.create(
        office=evening, weekday=SATURDAY, shift="evening", opens=time(16), closes=time(21)
    )
    operator = staff("operator33", Role.OFFICE_OPERATOR, city, evening)
    from daftar.cases.services import case_file

    from .lifecycle_builders import CASE_DATA, case_at

    case_at(service_version, evening, operator, citizen_user.person, at(day, 19, 30))
    file_at(at(day, 19, 30))
    online = case_file(
        service=service_version,
        applicant=citizen_user.person,
        office=None,
        channel="online",
        data=CASE_DATA,
        actor=citizen_user,
    )
    type(online).objects.filter(pk=online.pk).update(created_at=at(day, 23))
    activity_flag_day(day=day)
    assert list(ActivityFlag.objects.values_list("office__code", flat=True)) == [office.code]


def test_the_check_takes_the_same_queries_for_two_offices_as_for_twenty(
    city: City,
    zone: Any,
    office: Office,
    day: date,
    file_at: Any,
    operator_user: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(20):
        other = office_open(city, zone, code=f"44{n:02d}", name=f"دفتر {n}")
        staff_assign(user=operator_user, role=Role.OFFICE_OPERATOR, city=city, office=other)
        for weekday in (SATURDAY,):
            WeeklyHours.objects.create(office=other, weekday=weekday, opens=time(8), closes=time(14))
        file_at(at(day, 19 + n % 3), where=other)
        file_at(at(day, 10), where=other)
    # the cities; per city: 3 "any activity", 3 calendar, 1 outside query per schedule, the flags
    with django_assert_max_num_queries(16):
        assert activity_flag_day(day=day) == 20


def test_the_hours_the_check_reads_are_those_the_office_finder_shows(
    office: Office, day: date, city: City
) -> None:
    other = office_open(city, office.zone, code="5501", name="دفتر")
    WeeklyHours.objects.create(office=other, weekday=SATURDAY, opens=time(9), closes=time(12))
    WeeklyHours.objects.create(
        office=other, weekday=SATURDAY, shift="evening", opens=time(16), closes=time(19)
    )
    hours_override_set(city=city, office=office, date=day, spans=[(time(7), time(20))], reason="ویژه")
    for when in (day, day + timedelta(days=1), day + timedelta(days=6)):
        loaded = office_day_schedules(city=city, day=when, office_ids=[office.pk, other.pk])
        for each in (office, other):
            assert loaded[each.pk].spans == office_schedule_on(office=each, day=when).spans
    Holiday.objects.create(city=city, date=day, name="تعطیلی")
    assert office_day_schedules(city=city, day=day, office_ids=[office.pk])[office.pk].spans == ()


# --- review ----------------------------------------------------------------------------------------


@pytest.fixture
def flag(office: Office, day: date, file_at: Any) -> ActivityFlag:
    file_at(at(day, 19, 30))
    activity_flag_day(day=day)
    return ActivityFlag.objects.get()


def test_a_supervisor_dismisses_a_flag_with_a_reason_once(
    flag: ActivityFlag, officer: Any, city: City
) -> None:
    with pytest.raises(InvalidValue) as caught:
        activity_flag_dismiss(flag=flag, actor=officer, reason="  ")
    assert "reason" in caught.value.fields
    inspector = staff("inspector1", Role.TECHNICAL_INSPECTOR, city)
    done = activity_flag_dismiss(flag=flag, actor=inspector, reason="ساعت دستگاه اشتباه بود")
    assert done.reviewed_by == inspector
    flag.refresh_from_db()
    assert flag.review_note == "ساعت دستگاه اشتباه بود"
    assert done.violation is None
    with pytest.raises(Conflict):
        activity_flag_dismiss(flag=flag, actor=officer, reason="دوباره")
    with pytest.raises(Conflict):
        activity_flag_to_violation(flag=flag, actor=officer, description="دوباره")


def test_a_flag_recorded_as_a_violation_of_hours_links_it_and_cannot_be_reviewed_again(
    flag: ActivityFlag, officer: Any
) -> None:
    violation_types()
    violation = activity_flag_to_violation(flag=flag, actor=officer, description="پذیرش پرونده ساعت ۱۹:۳۰")
    assert violation.type.code == "outside_approved_hours"
    assert violation.office_id == flag.office_id
    assert violation.observed_at == flag.first_at
    flag.refresh_from_db()
    assert flag.violation == violation
    assert flag.reviewed_by == officer
    with pytest.raises(Conflict):
        activity_flag_to_violation(flag=flag, actor=officer, description="دوباره")
    assert Violation.objects.count() == 1


def test_only_supervisors_of_the_offices_city_may_review_a_flag(
    flag: ActivityFlag, operator_user: Any, office: Office
) -> None:
    other_city = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    outsider = staff("licensing2", Role.LICENSING_OFFICER, other_city)
    auditor = staff("auditor1", Role.AUDITOR, office.city)
    admin = staff("admin1", Role.CITY_ADMINISTRATOR, office.city)
    manager = staff("manager1", Role.OFFICE_MANAGER, office.city, office)
    staff_assign(user=operator_user, role=Role.OFFICE_MANAGER, city=office.city, office=office)
    for actor in (outsider, auditor, admin, manager, operator_user):
        with pytest.raises(Forbidden):
            activity_flag_dismiss(flag=flag, actor=actor, reason="x")
        with pytest.raises(Forbidden):
            activity_flag_to_violation(flag=flag, actor=actor, description="x")
    flag.refresh_from_db()
    assert flag.reviewed_at is None
