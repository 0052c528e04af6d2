"""The working-hours pages: the office manager's hours and requests, the municipality's review of
requests, and the out-of-hours flags; what each role may see and do."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from daftar.accounts.roles import Role
from daftar.billing.tests.builders import office_open
from daftar.licensing.lifecycle import activity_flag_day, hours_request_submit
from daftar.licensing.models import ActivityFlag, HoursChangeRequest, HoursRequestStatus, Violation
from daftar.licensing.tests.lifecycle_builders import at, case_at, past_weekday, staff, violation_types
from daftar.offices.models import City, Office, WeeklyHours
from daftar.offices.services import staff_assign

pytestmark = pytest.mark.django_db
SATURDAY = 5
OFFICE_HOURS = reverse("web:hours_office")
REVIEW = reverse("web:hours_review")
FLAGS = reverse("web:out_of_hours")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def week_post(**changes: str) -> dict[str, str]:
    """The office fixture's week as the form posts it (Saturday to Wednesday 8–15, Thursday 8–13)."""
    data = {f"w{d}_morning_opens": "08:00" for d in (5, 6, 0, 1, 2, 3)}
    data |= {f"w{d}_morning_closes": "15:00" for d in (5, 6, 0, 1, 2)}
    data |= {"w3_morning_closes": "13:00", "reason": "شیفت عصر برای ماه‌های شلوغ"}
    return data | changes


@pytest.fixture
def manager(office: Office) -> Any:
    return staff("manager1", Role.OFFICE_MANAGER, office.city, office, mobile="09125556677")


@pytest.fixture
def officer(city: City) -> Any:
    return staff("licensing1", Role.LICENSING_OFFICER, city)


@pytest.fixture
def other_office(city: City, zone: Any) -> Office:
    return office_open(city, zone, code="2205", name="دفتر تجریش", address="تهران")


@pytest.fixture
def shiraz() -> City:
    return City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")


@pytest.fixture
def pending(office: Office, manager: Any) -> HoursChangeRequest:
    schedule = [
        {"weekday": d, "shift": "morning", "opens": "08:00", "closes": "14:00"} for d in (5, 6, 0, 1, 2)
    ]
    return hours_request_submit(office=office, actor=manager, schedule=schedule, reason="کاهش مراجعه")


# --- the office manager's page ----------------------------------------------------------------------


def test_the_manager_sees_the_approved_week_and_proposes_a_new_one(office: Office, manager: Any) -> None:
    client = signed_in(manager)
    page = client.get(OFFICE_HOURS)
    assert page.status_code == 200
    text = page.content.decode()
    assert office.name in text
    assert 'name="w5_evening_opens"' in text
    assert 'value="08:00"' in text  # the form starts from the approved week

    response = client.post(
        f"{OFFICE_HOURS}?office={office.code}",
        week_post(w6_evening_opens="۱۶:۰۰", w6_evening_closes="۱۹:۰۰"),
    )
    assert response.status_code == 302
    request = HoursChangeRequest.objects.get()
    assert request.status == HoursRequestStatus.PENDING
    assert {"weekday": 6, "shift": "evening", "opens": "16:00", "closes": "19:00"} in request.schedule
    text = client.get(OFFICE_HOURS).content.decode()
    assert f'data-request="{request.pk}"' in text
    assert 'name="w5_evening_opens"' not in text  # one pending request at a time


def test_a_bad_week_is_shown_again_with_the_error_on_its_day_in_persian(office: Office, manager: Any) -> None:
    client = signed_in(manager)
    response = client.post(OFFICE_HOURS, week_post(w6_evening_opens="14:00", w6_evening_closes="18:00"))
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="id_w6_evening_opens_errors"' in text
    response = client.post(OFFICE_HOURS, week_post(w1_evening_opens="16:00"))
    assert response.status_code == 400
    assert 'id="id_w1_evening_closes_errors"' in response.content.decode()
    response = client.post(OFFICE_HOURS, week_post(reason=""))
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="id_reason_errors"' in text
    assert "این فیلد" in text
    assert "This field" not in text
    assert not HoursChangeRequest.objects.exists()


def test_a_second_request_while_one_is_pending_is_refused_with_409(
    office: Office, manager: Any, pending: HoursChangeRequest
) -> None:
    response = signed_in(manager).post(OFFICE_HOURS, week_post(w5_morning_closes="12:00"))
    assert response.status_code == 409
    assert HoursChangeRequest.objects.count() == 1


def test_the_office_hours_page_is_only_for_office_managers_and_only_their_office(
    office: Office, other_office: Office, operator_user: Any, officer: Any, citizen_user: Any
) -> None:
    response = Client().get(OFFICE_HOURS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:staff_signin"))
    for user in (operator_user, officer, citizen_user):
        assert signed_in(user).get(OFFICE_HOURS).status_code == 403
        assert signed_in(user).post(OFFICE_HOURS, week_post()).status_code == 403
    other_manager = signed_in(staff("manager2", Role.OFFICE_MANAGER, office.city, other_office))
    text = other_manager.get(f"{OFFICE_HOURS}?office={office.code}").content.decode()
    assert other_office.name in text
    assert office.name not in text
    assert other_manager.post(f"{OFFICE_HOURS}?office={office.code}", week_post()).status_code == 302
    assert HoursChangeRequest.objects.get().office == other_office


@override_settings(DAFTAR_HOURS_WRITE_RATE="2/m")
def test_proposals_are_rate_limited(office: Office, manager: Any) -> None:
    client = signed_in(manager)
    for _ in range(2):
        assert client.post(OFFICE_HOURS, week_post(reason="")).status_code == 400
    assert client.post(OFFICE_HOURS, week_post()).status_code == 429


# --- the municipality's review ----------------------------------------------------------------------


def test_an_officer_sees_both_weeks_and_approves_which_replaces_the_office_hours(
    office: Office, officer: Any, pending: HoursChangeRequest, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(officer)
    text = client.get(REVIEW).content.decode()
    assert f'data-request="{pending.pk}"' in text
    assert text.count("data-changed") == 6  # Saturday–Wednesday shortened, Thursday dropped
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:hours_decide", args=[pending.pk]), {"decision": "approve"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == HoursRequestStatus.APPROVED
    assert WeeklyHours.objects.get(office=office, weekday=SATURDAY).closes == time(14)
    assert f'data-request="{pending.pk}"' not in client.get(REVIEW).content.decode()


def test_a_rejection_without_a_reason_is_shown_again_and_with_one_is_recorded(
    city: City, pending: HoursChangeRequest
) -> None:
    client = signed_in(staff("admin1", Role.CITY_ADMINISTRATOR, city))
    url = reverse("web:hours_decide", args=[pending.pk])
    response = client.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 400
    assert f'id="reason-{pending.pk}-errors"' in response.content.decode()
    assert client.post(url, {"decision": "reject", "reason": "کمبود دفتر در منطقه"}).status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason) == (HoursRequestStatus.REJECTED, "کمبود دفتر در منطقه")
    assert client.post(url, {"decision": "approve"}).status_code == 409  # decided once only
    pending.refresh_from_db()
    assert pending.status == HoursRequestStatus.REJECTED


def test_the_review_refuses_other_roles_and_other_cities(
    city: City, manager: Any, shiraz: City, pending: HoursChangeRequest, citizen_user: Any
) -> None:
    decide = reverse("web:hours_decide", args=[pending.pk])
    for user in (
        manager,
        citizen_user,
        staff("inspector1", Role.TECHNICAL_INSPECTOR, city),
        staff("auditor1", Role.AUDITOR, city),
    ):
        assert signed_in(user).get(REVIEW).status_code == 403
        assert signed_in(user).post(decide, {"decision": "approve"}).status_code == 403
    outsider = signed_in(staff("licensing2", Role.LICENSING_OFFICER, shiraz))
    assert f'data-request="{pending.pk}"' not in outsider.get(REVIEW).content.decode()
    assert outsider.post(decide, {"decision": "approve"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == HoursRequestStatus.PENDING


# --- out-of-hours flags -----------------------------------------------------------------------------


@pytest.fixture
def flagged(office: Office, service_version: Any, operator_user: Any, citizen_user: Any) -> ActivityFlag:
    day = past_weekday(SATURDAY)
    case_at(service_version, office, operator_user, citizen_user.person, at(day, 19, 30))
    activity_flag_day(day=day)
    return ActivityFlag.objects.get()


def test_supervisors_and_auditors_read_the_flags_but_only_officers_and_inspectors_review(
    city: City, flagged: ActivityFlag, officer: Any
) -> None:
    reviewers = [officer, staff("inspector1", Role.TECHNICAL_INSPECTOR, city)]
    readers = [staff("admin1", Role.CITY_ADMINISTRATOR, city), staff("auditor1", Role.AUDITOR, city)]
    review = reverse("web:out_of_hours_review", args=[flagged.pk])
    for user in reviewers + readers:
        text = signed_in(user).get(FLAGS).content.decode()
        assert f'data-flag="{flagged.pk}"' in text
        assert (review in text) == (user in reviewers)
    for user in readers:
        response = signed_in(user).post(review, {"action": "dismiss", "text": "x"})
        assert response.status_code == 403
    flagged.refresh_from_db()
    assert flagged.reviewed_at is None


def test_the_flags_page_refuses_office_staff_citizens_and_other_cities(
    flagged: ActivityFlag, manager: Any, operator_user: Any, citizen_user: Any, shiraz: City
) -> None:
    review = reverse("web:out_of_hours_review", args=[flagged.pk])
    for user in (manager, operator_user, citizen_user):
        assert signed_in(user).get(FLAGS).status_code == 403
        assert signed_in(user).post(review, {"action": "dismiss", "text": "x"}).status_code == 403
    outsider = signed_in(staff("inspector2", Role.TECHNICAL_INSPECTOR, shiraz))
    assert f'data-flag="{flagged.pk}"' not in outsider.get(FLAGS).content.decode()
    assert outsider.post(review, {"action": "dismiss", "text": "x"}).status_code == 404


def test_an_inspector_dismisses_a_flag_with_a_reason(city: City, flagged: ActivityFlag) -> None:
    client = signed_in(staff("inspector1", Role.TECHNICAL_INSPECTOR, city))
    review = reverse("web:out_of_hours_review", args=[flagged.pk])
    response = client.post(f"{review}?city={city.code}", {"action": "dismiss", "text": " "})
    assert response.status_code == 400
    assert f'id="text-{flagged.pk}-errors"' in response.content.decode()
    response = client.post(f"{review}?city={city.code}&state=all", {"action": "dismiss", "text": "شیفت ویژه"})
    assert response.status_code == 302
    assert "state=all" in response["Location"]
    flagged.refresh_from_db()
    assert flagged.reviewed_at is not None
    assert f'data-flag="{flagged.pk}"' not in client.get(FLAGS).content.decode()  # open ones by default
    assert f'data-flag="{flagged.pk}"' in client.get(FLAGS, {"state": "dismissed"}).content.decode()
    assert client.post(review, {"action": "violation", "text": "دوباره"}).status_code == 409


def test_an_officer_records_a_flag_as_a_violation_of_the_hours(flagged: ActivityFlag, officer: Any) -> None:
    violation_types()
    client = signed_in(officer)
    review = reverse("web:out_of_hours_review", args=[flagged.pk])
    assert client.post(review, {"action": "violation", "text": "پذیرش پرونده ساعت ۱۹:۳۰"}).status_code == 302
    violation = Violation.objects.get()
    assert violation.type.code == "outside_approved_hours"
    text = client.get(FLAGS, {"state": "violation"}).content.decode()
    assert f'data-flag="{flagged.pk}"' in text


def test_flags_filter_by_office_and_activity_and_page_in_bounded_queries(
    city: City,
    zone: Any,
    office: Office,
    officer: Any,
    service_version: Any,
    operator_user: Any,
    citizen_user: Any,
    django_assert_max_num_queries: Any,
) -> None:
    day = past_weekday(SATURDAY)
    for n in range(35):
        each = office_open(city, zone, code=f"6{n:03d}", name=f"دفتر {n}")
        staff_assign(user=operator_user, role=Role.OFFICE_OPERATOR, city=city, office=each)
        case_at(service_version, each, operator_user, citizen_user.person, at(day, 21))
    activity_flag_day(day=day)
    client = signed_in(officer)
    with django_assert_max_num_queries(12):
        first = client.get(FLAGS)
    assert first.content.decode().count('data-flag="') == 30
    second = client.get(FLAGS, {"page": 2}).content.decode()
    assert second.count('data-flag="') == 5
    only = client.get(FLAGS, {"office": "۶۰۰۷", "activity": "case_filed"}).content.decode()
    assert only.count('data-flag="') == 1
    assert client.get(FLAGS, {"activity": "queue_ticket"}).content.decode().count('data-flag="') == 0
    assert client.get(FLAGS, {"day_from": "not a day"}).status_code == 400
