"""Inquiries: sent with the step that needs them, answered only by their own agency, moving the case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.catalog.models import ServiceVersion, VersionStatus
from daftar.certificates.models import Certificate
from daftar.inquiries.models import Agency, Inquiry, InquiryState, InquiryType
from daftar.inquiries.services import (
    agency_connect,
    agency_key_create,
    agency_key_revoke,
    inquiries_sweep_overdue,
    inquiry_answer,
)
from daftar.outbox.models import OutboxMessage

from .conftest import accept, bearer

pytestmark = pytest.mark.django_db


def test_every_inquiry_the_catalogue_names_is_answered_by_a_known_agency(catalogue: None) -> None:
    published = ServiceVersion.objects.filter(status=VersionStatus.PUBLISHED)
    wanted = {(i["agency"], i["type"]) for version in published for i in version.inquiries}
    known = set(InquiryType.objects.values_list("agency__code", "code"))
    assert wanted
    assert wanted <= known


def test_accepting_the_request_sends_one_inquiry_per_agency_with_only_the_fields_it_needs(
    utilities_case: Case, reviewer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    case = accept(utilities_case, reviewer_user, django_capture_on_commit_callbacks)
    assert case.state == "inquiring"
    inquiries = list(Inquiry.objects.filter(case=case).select_related("agency"))
    assert sorted(i.agency.code for i in inquiries) == ["electricity", "gas", "telecom", "water"]
    water = next(i for i in inquiries if i.agency.code == "water")
    assert water.request == {
        "renewal_code": "3-123-45-6-7-8",
        "water_bill_id": "1234567890",
        "purpose": "transfer",
    }
    assert all(i.due_date > case.created_at.date() for i in inquiries)


def test_a_push_agency_gets_its_webhook_through_the_outbox_only_when_the_step_commits(
    utilities_case: Case, reviewer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    agency_connect(
        agency=Agency.objects.get(code="water"),
        channel="push",
        webhook_url="http://127.0.0.1:9/agencies/water/webhook",
    )
    accept(utilities_case, reviewer_user, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(idempotency_key__startswith="inquiry-")
    assert message.kind == "webhook.post"
    assert message.payload["secret_ref"] == "agency:water"
    assert message.payload["body"]["inquiry"]["type"] == "connection_status"
    assert "water_bill_id" in message.payload["body"]["inquiry"]["request"]


def test_the_case_moves_on_by_itself_when_every_agency_answers_without_objection(
    utilities_case: Case, reviewer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    accept(utilities_case, reviewer_user, django_capture_on_commit_callbacks)
    for inquiry in Inquiry.objects.filter(case=utilities_case):
        with django_capture_on_commit_callbacks(execute=True):
            inquiry_answer(
                inquiry=inquiry, outcome="positive", data={"branch_status": "active", "debt_rials": 0}
            )
    utilities_case.refresh_from_db()
    assert utilities_case.state == "answered"
    assert Certificate.objects.filter(case=utilities_case).count() == 1


def test_an_objection_sends_the_case_to_a_reviewer(
    utilities_case: Case, reviewer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    accept(utilities_case, reviewer_user, django_capture_on_commit_callbacks)
    inquiries = list(Inquiry.objects.filter(case=utilities_case).order_by("pk"))
    for index, inquiry in enumerate(inquiries):
        with django_capture_on_commit_callbacks(execute=True):
            inquiry_answer(
                inquiry=inquiry,
                outcome="negative" if index == 0 else "positive",
                data={"branch_status": "active", "debt_rials": 12_000_000 if index == 0 else 0},
                note="بدهی معوق دارد" if index == 0 else "",
            )
    utilities_case.refresh_from_db()
    assert utilities_case.state == "answers_review"
    assert "municipal_reviewer" in utilities_case.waiting_on


def test_an_overdue_inquiry_is_marked_and_its_case_escalated(
    utilities_case: Case, reviewer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    accept(utilities_case, reviewer_user, django_capture_on_commit_callbacks)
    latest = max(Inquiry.objects.filter(case=utilities_case).values_list("due_date", flat=True))
    assert inquiries_sweep_overdue(today=latest + timedelta(days=1)) == 4
    assert inquiries_sweep_overdue(today=latest + timedelta(days=1)) == 0
    utilities_case.refresh_from_db()
    assert utilities_case.overdue
    assert utilities_case.escalated


# --- the agency API ---------------------------------------------------------------------------------


def test_an_agency_lists_and_answers_its_own_inquiries(client: Client, sent: Case) -> None:
    key = agency_key_create(agency=Agency.objects.get(code="water"), name="سامانه آبفا").secret
    listing = client.get("/api/v1/agency/inquiries?status=pending", **bearer(key)).json()
    assert [row["type"] for row in listing["results"]] == ["connection_status"]
    inquiry_id = listing["results"][0]["id"]
    detail = client.get(f"/api/v1/agency/inquiries/{inquiry_id}", **bearer(key)).json()
    assert detail["answer_schema"]["required"] == ["branch_status", "debt_rials"]
    answer = {
        "outcome": "positive",
        "data": {"branch_status": "active", "debt_rials": "۰"},
        "reference": "W-1",
    }
    response = client.post(
        f"/api/v1/agency/inquiries/{inquiry_id}/answer",
        answer,
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 200, response.content
    assert response.json()["answer"] == {"branch_status": "active", "debt_rials": 0}
    again = client.post(
        f"/api/v1/agency/inquiries/{inquiry_id}/answer",
        answer,
        content_type="application/json",
        **bearer(key),
    )
    assert again.status_code == 409


def test_one_agency_cannot_read_or_answer_anothers_inquiries(client: Client, sent: Case) -> None:
    gas_key = agency_key_create(agency=Agency.objects.get(code="gas"), name="gas").secret
    water_inquiry = Inquiry.objects.get(case=sent, agency__code="water")
    assert client.get(f"/api/v1/agency/inquiries/{water_inquiry.pk}", **bearer(gas_key)).status_code == 404
    response = client.post(
        f"/api/v1/agency/inquiries/{water_inquiry.pk}/answer",
        {"outcome": "positive", "data": {"branch_status": "active", "debt_rials": 0}},
        content_type="application/json",
        **bearer(gas_key),
    )
    assert response.status_code == 404
    water_inquiry.refresh_from_db()
    assert water_inquiry.state == InquiryState.PENDING
    listed = client.get("/api/v1/agency/inquiries", **bearer(gas_key)).json()["results"]
    assert {row["id"] for row in listed} == {Inquiry.objects.get(case=sent, agency__code="gas").pk}


def test_a_wrong_or_revoked_key_is_refused(client: Client, sent: Case) -> None:
    issued = agency_key_create(agency=Agency.objects.get(code="water"), name="old")
    assert client.get("/api/v1/agency/inquiries", **bearer(issued.secret)).status_code == 200
    assert client.get("/api/v1/agency/inquiries", **bearer(issued.secret + "x")).status_code == 401
    agency_key_revoke(key=issued.key)
    response = client.get("/api/v1/agency/inquiries", **bearer(issued.secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_answer_is_checked_against_the_inquiry_types_schema(client: Client, sent: Case) -> None:
    key = agency_key_create(agency=Agency.objects.get(code="water"), name="k").secret
    inquiry = Inquiry.objects.get(case=sent, agency__code="water")
    bad = client.post(
        f"/api/v1/agency/inquiries/{inquiry.pk}/answer",
        {"outcome": "positive", "data": {"branch_status": "broken", "debt_rials": -5}},
        content_type="application/json",
        **bearer(key),
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"branch_status", "debt_rials"}
    unexplained = client.post(
        f"/api/v1/agency/inquiries/{inquiry.pk}/answer",
        {"outcome": "negative", "data": {"branch_status": "active", "debt_rials": 0}},
        content_type="application/json",
        **bearer(key),
    )
    assert unexplained.status_code == 400
    assert unexplained.json()["error"]["code"] == "inquiry.note_required"
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


def test_an_agency_downloads_only_the_documents_its_inquiry_type_may_see(client: Client, sent: Case) -> None:
    key = agency_key_create(agency=Agency.objects.get(code="water"), name="k").secret
    inquiry = Inquiry.objects.get(case=sent, agency__code="water")
    detail = client.get(f"/api/v1/agency/inquiries/{inquiry.pk}", **bearer(key)).json()
    allowed = set(inquiry.inquiry_type.documents)
    assert {d["requirement"] for d in detail["documents"]} <= allowed
    other = sent.documents.exclude(requirement__in=allowed).first()
    assert other is not None  # the deed: the water company has no business reading it
    response = client.get(f"/api/v1/agency/inquiries/{inquiry.pk}/documents/{other.pk}", **bearer(key))
    assert response.status_code == 404
