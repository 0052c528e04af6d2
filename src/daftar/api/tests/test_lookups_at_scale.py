"""The lookups issue 9 measures: public tracking by API, the inbox, search and filing stay within
fixed query counts, and the capped counts say when more matched (docs/performance.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from daftar.accounts.models import Person, User
from daftar.accounts.services import api_token_create
from daftar.cases.models import Case, CaseEvent
from daftar.cases.selectors import SEARCH_COUNT_CAP
from daftar.cases.services import case_file
from daftar.core.paging import COUNT_CAP
from daftar.offices.models import Office

pytestmark = pytest.mark.django_db

DATA = {"renewal_code": "۳-۱۲۳-۴۵-۶", "deed_number": "۱۲۳۴۵", "floors": "4", "use": "residential"}


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').secret}"}


def _file_many(n: int, *, service: Any, office: Office, actor: User, last_name: str = "احمدی") -> None:
    start = Person.objects.count()
    for i in range(start, start + n):
        person = Person.objects.create(national_code=f"{i:09d}1", first_name="علی", last_name=last_name)
        case_file(service=service, applicant=person, office=office, channel="office", data=DATA, actor=actor)


def _track(client: Client, code: str, national_code: str, **extra: Any) -> Any:
    body = {"tracking_code": code, "national_code": national_code}
    return client.post("/api/v1/track", body, content_type="application/json", **extra)


# --- public tracking by API ----------------------------------------------------------------------


def test_public_tracking_api_needs_no_token_and_shows_only_the_citizen_visible_timeline(
    client: Client, filed_case: Case
) -> None:
    CaseEvent.objects.create(
        case=filed_case, seq=2, kind="note", public=False, message="یادداشت داخلی کارشناس"
    )
    response = _track(client, filed_case.tracking_code, "۰۰۱۲۳۴۵۶۷۹")  # Persian digits are read too
    assert response.status_code == 200
    body = response.json()
    assert body["tracking_code"] == filed_case.tracking_code
    assert body["state"] == filed_case.state
    assert body["state_name"]
    assert [event["kind"] for event in body["timeline"]] == ["filed"]
    assert "یادداشت داخلی" not in response.content.decode()
    assert "applicant" not in body  # no personal data
    assert "data" not in body  # nor the intake answers


def test_public_tracking_api_answers_an_unknown_code_and_a_wrong_national_code_alike(
    client: Client, filed_case: Case
) -> None:
    wrong_person = _track(client, filed_case.tracking_code, "0067749828")
    unknown_code = _track(client, "1" * len(filed_case.tracking_code), "0012345679")
    assert wrong_person.status_code == unknown_code.status_code == 404
    assert wrong_person.json() == unknown_code.json()
    assert wrong_person.json()["error"]["code"] == "case.not_found"


def test_public_tracking_api_refuses_bad_input_with_a_structured_400(client: Client) -> None:
    response = client.post("/api/v1/track", {"tracking_code": "x"}, content_type="application/json")
    assert response.status_code in (400, 422)
    assert "error" in response.json() or "detail" in response.json()


def test_public_tracking_shares_one_rate_limit_per_address_between_api_and_page(
    client: Client, filed_case: Case, settings: Any
) -> None:
    settings.DAFTAR_CASE_TRACK_RATE_PER_IP = "3/m"
    answers = [_track(client, filed_case.tracking_code, "0012345679").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert _track(client, filed_case.tracking_code, "0012345679", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_public_tracking_api_costs_at_most_three_queries(client: Client, filed_case: Case) -> None:
    _track(client, filed_case.tracking_code, "0012345679")  # the workflow definition is read once
    with CaptureQueriesContext(connection) as queries:
        assert _track(client, filed_case.tracking_code, "0012345679").status_code == 200
    assert len(queries) <= 3, [q["sql"][:120] for q in queries]


# --- inbox and search ----------------------------------------------------------------------------


def test_the_inbox_api_costs_the_same_queries_for_two_cases_as_for_twelve(
    client: Client, service_version: Any, office: Office, operator_user: User, reviewer_user: User
) -> None:
    headers = bearer(reviewer_user)
    _file_many(2, service=service_version, office=office, actor=operator_user)
    client.get("/api/v1/inbox", **headers)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/inbox", **headers).json()["count"] == 2
    _file_many(10, service=service_version, office=office, actor=operator_user, last_name="رضایی")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/inbox", **headers).json()
    assert body["count"] == 12
    assert body["count_capped"] is False
    assert len(many) == len(few) <= 6


def test_a_search_that_matches_more_than_the_cap_says_so_and_still_pages(
    client: Client,
    service_version: Any,
    office: Office,
    operator_user: User,
    reviewer_user: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("daftar.cases.selectors.SEARCH_COUNT_CAP", 3)
    _file_many(5, service=service_version, office=office, actor=operator_user)
    body = client.get("/api/v1/cases", {"q": "احمدی", "page_size": 2}, **bearer(reviewer_user)).json()
    assert body["count"] == 3
    assert body["count_capped"] is True
    assert body["pages"] == 2
    assert len(body["results"]) == 2
    assert SEARCH_COUNT_CAP < COUNT_CAP


def test_search_by_national_code_finds_that_applicants_cases_only(
    client: Client, service_version: Any, office: Office, operator_user: User, reviewer_user: User
) -> None:
    _file_many(3, service=service_version, office=office, actor=operator_user)
    wanted = Person.objects.order_by("pk").last()
    assert wanted is not None
    body = client.get("/api/v1/cases", {"q": wanted.national_code}, **bearer(reviewer_user)).json()
    assert body["count"] == 1
    assert body["results"][0]["tracking_code"] == Case.objects.get(applicant=wanted).tracking_code
    nobody = client.get("/api/v1/cases", {"q": "0067749828"}, **bearer(reviewer_user)).json()
    assert nobody["count"] == 0


# --- filing --------------------------------------------------------------------------------------


def test_filing_through_the_api_answers_what_a_fresh_read_shows_within_a_query_bound(
    client: Client,
    service_version: Any,
    office: Office,
    operator_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    headers = bearer(operator_user)

    def file(national_code: str) -> Any:
        body = {
            "service": service_version.service_type.code,
            "channel": "office",
            "office": office.code,
            "applicant": {"national_code": national_code, "first_name": "سارا", "last_name": "احمدی"},
            "data": DATA,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/api/v1/cases", body, content_type="application/json", **headers)

    assert file("0012345679").status_code == 201  # reference data is remembered once committed
    with CaptureQueriesContext(connection) as queries:
        response = file("0067749828")
    assert response.status_code == 201
    fresh = client.get(f"/api/v1/cases/{response.json()['tracking_code']}", **headers).json()
    assert response.json() == fresh
    assert len(queries) <= 22, [q["sql"][:100] for q in queries]


def test_search_finds_an_entity_whose_name_holds_digits_and_a_case_by_its_tracking_code(
    client: Client, service_version: Any, office: Office, operator_user: User, reviewer_user: User
) -> None:
    from daftar.accounts.models import PersonKind

    entity = Person.objects.create(
        kind=PersonKind.LEGAL, national_code="10101234567", legal_name="شرکت پارس ۲۰۰۰"
    )
    filed = case_file(
        service=service_version,
        applicant=entity,
        office=office,
        channel="office",
        data=DATA,
        actor=operator_user,
    )
    _file_many(2, service=service_version, office=office, actor=operator_user)
    headers = bearer(reviewer_user)
    by_name = client.get("/api/v1/cases", {"q": "پارس ۲۰۰۰"}, **headers).json()
    assert [row["tracking_code"] for row in by_name["results"]] == [filed.tracking_code]
    by_code = client.get("/api/v1/cases", {"q": filed.tracking_code.lower()}, **headers).json()
    assert [row["tracking_code"] for row in by_code["results"]] == [filed.tracking_code]
