"""The cases API keeps every party to its own: one error shape, the right status, nothing leaked."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from daftar.accounts.models import Person, User
from daftar.accounts.services import api_token_create
from daftar.cases.models import Case
from daftar.offices.models import Office
from daftar.offices.services import staff_assign

pytestmark = pytest.mark.django_db


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').secret}"}


@pytest.fixture
def other_operator(office: Office) -> User:
    other = Office.objects.create(
        city=office.city, zone=office.zone, code="2207", name="دفتر ۲۲۰۷", licence_status="active"
    )
    user = User.objects.create_user(username="operator2", password="x-test-password-1405")
    staff_assign(user=user, role="office_operator", city=office.city, office=other)
    return user


def file_body(office: Office, **data: Any) -> dict[str, Any]:
    return {
        "service": "building.no_violation_certificate",
        "channel": "office",
        "office": office.code,
        "applicant": {"national_code": "0012345679", "first_name": "سارا", "last_name": "احمدی"},
        "data": {"renewal_code": "3-123-45-6", "deed_number": "12345", **data},
    }


def test_invalid_intake_answers_400_with_a_persian_message_per_field(
    client: Client, service_version: Any, office: Office, operator_user: User
) -> None:
    response = client.post(
        "/api/v1/cases",
        file_body(office, floors=100),
        content_type="application/json",
        **bearer(operator_user),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "intake.invalid"
    assert list(error["fields"]) == ["floors"]
    assert "۶۰" in error["fields"]["floors"][0]
    assert Case.objects.count() == 0


def test_filing_twice_with_one_idempotency_key_gives_one_case(
    client: Client, service_version: Any, office: Office, operator_user: User
) -> None:
    headers = {**bearer(operator_user), "HTTP_IDEMPOTENCY_KEY": "retry-7"}
    first = client.post("/api/v1/cases", file_body(office), content_type="application/json", **headers)
    second = client.post("/api/v1/cases", file_body(office), content_type="application/json", **headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["tracking_code"] == second.json()["tracking_code"]
    assert Case.objects.count() == 1


def test_a_citizen_cannot_read_anothers_case_and_it_looks_like_no_case(
    client: Client, filed_case: Case
) -> None:
    stranger = User.objects.create_user(
        username="09350000000",
        password="x-test-password-1405",
        person=Person.objects.create(national_code="0499370899"),
    )
    mine = client.get(f"/api/v1/cases/{filed_case.tracking_code}", **bearer(stranger))
    unknown = client.get("/api/v1/cases/23456789AB", **bearer(stranger))
    assert mine.status_code == unknown.status_code == 404
    assert mine.json() == unknown.json()


def test_another_office_cannot_read_the_case_or_its_timeline(
    client: Client, filed_case: Case, other_operator: User
) -> None:
    for path in ("", "/timeline", "/documents", "/actions"):
        response = client.get(f"/api/v1/cases/{filed_case.tracking_code}{path}", **bearer(other_operator))
        assert response.status_code == 404, path


def test_the_applicant_sees_only_citizen_visible_events(
    client: Client, filed_case: Case, reviewer_user: User, citizen_user: User
) -> None:
    from daftar.cases.services import case_event_append

    case_event_append(
        case=filed_case, kind="note", actor=reviewer_user, message="یادداشت داخلی", public=False
    )
    staff = client.get(f"/api/v1/cases/{filed_case.tracking_code}/timeline", **bearer(reviewer_user)).json()
    citizen = client.get(f"/api/v1/cases/{filed_case.tracking_code}/timeline", **bearer(citizen_user)).json()
    assert "یادداشت داخلی" in [e["message"] for e in staff]
    assert "یادداشت داخلی" not in [e["message"] for e in citizen]


def test_an_operator_cannot_take_a_reviewers_action(
    client: Client, filed_case: Case, operator_user: User
) -> None:
    actions = client.get(f"/api/v1/cases/{filed_case.tracking_code}/actions", **bearer(operator_user)).json()
    assert [a["code"] for a in actions] == ["withdraw"]
    response = client.post(
        f"/api/v1/cases/{filed_case.tracking_code}/act",
        {"action": "accept", "expected_version": 1},
        content_type="application/json",
        **bearer(operator_user),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "case.role"


def test_acting_on_a_stale_version_is_a_409_conflict(
    client: Client, filed_case: Case, reviewer_user: User
) -> None:
    path = f"/api/v1/cases/{filed_case.tracking_code}/act"
    body = {"action": "request_correction", "expected_version": 1, "reason": "سند ناخواناست"}
    assert (
        client.post(path, body, content_type="application/json", **bearer(reviewer_user)).status_code == 200
    )
    again = client.post(path, body, content_type="application/json", **bearer(reviewer_user))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "case.stale"


def test_a_guard_that_fails_explains_itself(client: Client, filed_case: Case, reviewer_user: User) -> None:
    response = client.post(
        f"/api/v1/cases/{filed_case.tracking_code}/act",
        {"action": "accept", "expected_version": 1},
        content_type="application/json",
        **bearer(reviewer_user),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case.guard_failed"
    assert "سند مالکیت" in response.json()["error"]["message"]


def test_an_upload_disguised_by_its_name_is_refused(
    client: Client, filed_case: Case, operator_user: User
) -> None:
    import io

    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "deed.pdf"
    response = client.post(
        f"/api/v1/cases/{filed_case.tracking_code}/documents",
        {"requirement": "deed", "file": fake},
        **bearer(operator_user),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "document.type_not_allowed"


def test_unknown_api_paths_answer_in_the_api_error_shape(client: Client) -> None:
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_catalogue_is_public(client: Client, service_version: Any) -> None:
    services = client.get("/api/v1/catalog/services").json()
    assert [s["code"] for s in services] == ["building.no_violation_certificate"]
    detail = client.get("/api/v1/catalog/services/building.no_violation_certificate").json()
    assert detail["intake_schema"]["properties"]["renewal_code"]["title"] == "کد نوسازی"
    assert "correction" in [state["code"] for state in detail["states"]]
