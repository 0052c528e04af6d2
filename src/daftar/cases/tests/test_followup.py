"""Reports: multi-choice and date-time fields, an address instead of a map point, adding
information, and reopening a resolved case within its service's window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from daftar.cases.followup import case_note_add, case_reopen, reopen_until
from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.services import Location, case_act, case_file
from daftar.catalog.intake import intake_validate
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.testing import shipped_service

pytestmark = pytest.mark.django_db

ADDRESS_ONLY = Location(latitude=None, longitude=None, address="تهران، خیابان شریعتی، روبروی پارک")


@pytest.fixture
def excavation(categories: Any) -> Any:
    return shipped_service("citizen_reports.yaml", "report.open_excavation")


@pytest.fixture
def report(excavation: Any, city: Any, citizen_user: Any) -> Case:
    return case_file(
        service=excavation,
        applicant=citizen_user.person,
        office=None,
        channel="online",
        data={"hazards": ["no_fence", "debris"], "description": "ترانشه بدون حفاظ رها شده است"},
        actor=citizen_user,
        location=ADDRESS_ONLY,
    )


def test_a_multi_choice_field_keeps_each_listed_choice_once(excavation: Any) -> None:
    data = intake_validate(
        excavation.intake_schema, {"hazards": ["debris", "debris", "water"], "description": "گودال رها شده"}
    )
    assert data["hazards"] == ["debris", "water"]


def test_a_multi_choice_field_refuses_an_unlisted_choice_and_an_empty_one(excavation: Any) -> None:
    with pytest.raises(InvalidValue) as caught:
        intake_validate(excavation.intake_schema, {"hazards": ["lava"], "description": "گودال رها شده"})
    assert "hazards" in caught.value.fields
    with pytest.raises(InvalidValue) as caught:
        intake_validate(excavation.intake_schema, {"hazards": [], "description": "گودال رها شده"})
    assert "hazards" in caught.value.fields


def test_a_datetime_is_stored_in_tehran_time_whether_typed_in_jalali_or_iso(categories: Any) -> None:
    dumping = shipped_service("citizen_reports.yaml", "report.illegal_dumping")
    base = {"material": ["furniture"], "description": "مبلمان کهنه کنار جوی"}
    jalali = intake_validate(dumping.intake_schema, {**base, "observed_at": "۱۴۰۵/۰۹/۰۱ ۱۴:۳۰"})
    iso = intake_validate(dumping.intake_schema, {**base, "observed_at": "2026-11-22T11:00:00Z"})
    assert jalali["observed_at"] == iso["observed_at"] == "2026-11-22T14:30:00+03:30"
    with pytest.raises(InvalidValue):
        intake_validate(dumping.intake_schema, {**base, "observed_at": "2026-11-22T11:00:00"})


def test_a_report_may_give_an_address_instead_of_a_map_point(report: Case) -> None:
    assert report.address == "تهران، خیابان شریعتی، روبروی پارک"
    assert report.latitude is None
    assert report.zone is None


def test_a_report_needs_a_point_or_an_address(excavation: Any, city: Any, citizen_user: Any) -> None:
    with pytest.raises(InvalidValue) as caught:
        case_file(
            service=excavation,
            applicant=citizen_user.person,
            office=None,
            channel="online",
            data={"hazards": ["debris"], "description": "گودال رها شده"},
            actor=citizen_user,
            location=Location(latitude=None, longitude=None, address="  "),
        )
    assert caught.value.code == "case.location_required"
    assert not Case.objects.exists()


def test_a_point_puts_the_report_in_its_district(excavation: Any, zone: Any, citizen_user: Any) -> None:
    case = case_file(
        service=excavation,
        applicant=citizen_user.person,
        office=None,
        channel="online",
        data={"hazards": ["debris"], "description": "گودال رها شده"},
        actor=citizen_user,
        location=Location(latitude=Decimal("35.76"), longitude=Decimal("51.43")),
    )
    assert case.zone == zone


def test_the_applicant_adds_information_on_the_public_timeline(report: Case, citizen_user: Any) -> None:
    case_note_add(case=report, actor=citizen_user, text="امروز عصر یک عابر در آن افتاد", public=False)
    note = CaseEvent.objects.get(case=report, kind=EventKind.NOTE)
    assert note.public is True
    assert note.message == "امروز عصر یک عابر در آن افتاد"


def test_only_people_with_a_role_on_the_case_add_information(report: Case, operator_user: Any) -> None:
    with pytest.raises(Forbidden):
        case_note_add(case=report, actor=operator_user, text="یادداشت")
    with pytest.raises(InvalidValue):
        case_note_add(case=report, actor=report.filed_by, text="   ")


def _resolve(case: Case, reviewer: Any) -> Case:
    case = case_act(case=case, action="accept", actor=reviewer, expected_version=case.version)
    return case_act(
        case=case, action="resolve", actor=reviewer, expected_version=case.version, reason="حفاظ نصب شد"
    )


def test_a_resolved_report_is_reopened_within_its_window_and_goes_back_in_progress(
    report: Case, reviewer_user: Any, citizen_user: Any
) -> None:
    report = _resolve(report, reviewer_user)
    report.refresh_from_db()
    assert reopen_until(report) is not None
    from daftar.cases.services import case_rate

    case_rate(case=report, actor=citizen_user, rating=2)
    report.refresh_from_db()
    reopened = case_reopen(
        case=report, actor=citizen_user, reason="حفاظ دوباره برداشته شد", expected_version=report.version
    )
    assert reopened.state == "in_progress"
    assert reopened.closed_at is None
    assert reopened.outcome == ""
    assert reopened.rating is None
    assert reopened.version == report.version + 1
    assert "|municipal_reviewer|" in reopened.waiting_on or "technical_inspector" in reopened.waiting_on
    event = CaseEvent.objects.filter(case=report, action="reopen").get()
    assert event.message == "حفاظ دوباره برداشته شد"


def test_a_report_cannot_be_reopened_after_its_window(
    report: Case, reviewer_user: Any, citizen_user: Any
) -> None:
    report = _resolve(report, reviewer_user)
    Case.objects.filter(pk=report.pk).update(closed_at=timezone.now() - timedelta(days=15))
    report.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        case_reopen(
            case=report, actor=citizen_user, reason="باز هم خراب است", expected_version=report.version
        )
    assert caught.value.code == "case.reopen_expired"
    assert str(caught.value) == "مهلت ۱۴ روزه بازگشایی این پرونده گذشته است."


def test_an_open_or_rejected_case_cannot_be_reopened_and_staff_cannot_reopen(
    report: Case, reviewer_user: Any, citizen_user: Any
) -> None:
    with pytest.raises(Conflict):
        case_reopen(case=report, actor=citizen_user, reason="دوباره", expected_version=report.version)
    resolved = _resolve(report, reviewer_user)
    with pytest.raises(Forbidden):
        case_reopen(case=resolved, actor=reviewer_user, reason="دوباره", expected_version=resolved.version)


def test_the_api_files_a_report_with_an_address_alone_and_refuses_one_without_any_location(
    excavation: Any, city: Any, citizen_user: Any, client: Any
) -> None:
    import json

    from daftar.accounts.services import api_token_create

    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=citizen_user, name='t').secret}"}
    body = {
        "service": "report.open_excavation",
        "channel": "online",
        "data": {"hazards": ["water"], "description": "آب‌گرفتگی در گودال"},
        "location": {"address": "تهران، خیابان شریعتی"},
    }
    filed = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", **auth)
    assert filed.status_code == 201, filed.content
    assert Case.objects.get().address == "تهران، خیابان شریعتی"
    body["location"] = {"address": ""}
    refused = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", **auth)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "case.location_required"


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql", reason="row locks are PostgreSQL's"
)
def test_moving_a_case_on_locks_the_case_row_only_never_its_shared_service_version_or_city(
    report: Case,
) -> None:
    """Locking the joined service version (one row for every case of a service) or the city made
    concurrent filings wait on each other and deadlock under load (found by the benchmark)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from daftar.cases.services import case_auto_advance

    with CaptureQueriesContext(connection) as queries:
        case_auto_advance(case_id=report.pk)
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locking
    assert all('FOR UPDATE OF "cases_case"' in sql for sql in locking), locking
