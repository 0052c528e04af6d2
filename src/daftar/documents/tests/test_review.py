"""Reviewing documents, the checklist, and the workflow guards that read it."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.services import case_act
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.documents import rules
from daftar.documents.models import Document, DocumentStatus
from daftar.documents.selectors import (
    ChecklistStatus,
    document_checklist,
    documents_missing,
    documents_unverified,
)
from daftar.documents.services import document_review
from daftar.workflow.registry import guards

from .conftest import upload
from .samples import jpeg_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("service_version").get(pk=case.pk)


# --- review ----------------------------------------------------------------------------------------


def test_rejection_requires_a_reason(deed: Document, reviewer_user: Any) -> None:
    with pytest.raises(InvalidValue) as raised:
        document_review(document=deed, actor=reviewer_user, verified=False, reason="  ")
    assert raised.value.code == "document.reason_required"
    deed.refresh_from_db()
    assert deed.status == DocumentStatus.PENDING


def test_office_operator_cannot_review(deed: Document, operator_user: Any) -> None:
    with pytest.raises(Forbidden) as raised:
        document_review(document=deed, actor=operator_user, verified=True)
    assert raised.value.code == "document.review_forbidden"


def test_citizen_cannot_review_their_own_documents(deed: Document, citizen_user: Any) -> None:
    with pytest.raises(Forbidden):
        document_review(document=deed, actor=citizen_user, verified=True)


def test_verification_records_reviewer_and_time(deed: Document, reviewer_user: Any) -> None:
    reviewed = document_review(document=deed, actor=reviewer_user, verified=True)
    reviewed.refresh_from_db()
    assert reviewed.status == DocumentStatus.VERIFIED
    assert reviewed.reviewed_by == reviewer_user
    assert reviewed.reviewed_at is not None
    event = CaseEvent.objects.filter(case_id=deed.case_id, kind=EventKind.DOCUMENT).order_by("-seq").first()
    assert event is not None
    assert event.payload["status"] == DocumentStatus.VERIFIED


def test_rejection_sends_the_case_to_correction(deed: Document, reviewer_user: Any, filed_case: Case) -> None:
    version_before = filed_case.version
    reviewed = document_review(document=deed, actor=reviewer_user, verified=False, reason="سند ناخوانا است")
    assert reviewed.status == DocumentStatus.REJECTED
    assert reviewed.review_reason == "سند ناخوانا است"
    case = _fresh(filed_case)
    assert case.state == "correction"
    assert case.version == version_before + 1
    action = CaseEvent.objects.filter(case=case, kind=EventKind.ACTION).get()
    assert action.action == "request_correction"
    assert action.message == "سند ناخوانا است"


def test_rejection_while_already_in_correction_only_records_it(
    filed_case: Case, operator_user: Any, reviewer_user: Any
) -> None:
    deed = upload(filed_case, operator_user, pdf_bytes())
    photo = upload(filed_case, operator_user, png_bytes(), requirement="photo", name="p.png")
    document_review(document=deed, actor=reviewer_user, verified=False, reason="ناخوانا")
    document_review(document=photo, actor=reviewer_user, verified=False, reason="تار")
    assert _fresh(filed_case).state == "correction"
    assert CaseEvent.objects.filter(case=filed_case, kind=EventKind.ACTION).count() == 1
    photo.refresh_from_db()
    assert photo.status == DocumentStatus.REJECTED


def test_superseded_document_cannot_be_reviewed(
    deed: Document, filed_case: Case, operator_user: Any, reviewer_user: Any
) -> None:
    upload(filed_case, operator_user, jpeg_bytes(), name="d.jpg")
    with pytest.raises(Conflict) as raised:
        document_review(document=deed, actor=reviewer_user, verified=True)
    assert raised.value.code == "document.superseded"


# --- checklist ---------------------------------------------------------------------------------------


def test_checklist_follows_catalogue_order_with_one_query(
    deed: Document, filed_case: Case, django_assert_num_queries: Any
) -> None:
    case = _fresh(filed_case)
    with django_assert_num_queries(1):
        rows = document_checklist(case=case)
    assert [row.code for row in rows] == ["deed", "photo"]
    deed_row, photo_row = rows
    assert (deed_row.name_fa, deed_row.required, deed_row.types, deed_row.max_mb) == (
        "سند مالکیت",
        True,
        ("application/pdf", "image/jpeg"),
        5,
    )
    assert deed_row.document == deed
    assert deed_row.status == ChecklistStatus.PENDING
    assert (photo_row.required, photo_row.document, photo_row.status) == (
        False,
        None,
        ChecklistStatus.MISSING,
    )


def test_checklist_shows_only_the_current_upload(
    deed: Document, filed_case: Case, operator_user: Any
) -> None:
    newer = upload(filed_case, operator_user, jpeg_bytes(), name="d.jpg")
    assert document_checklist(case=_fresh(filed_case))[0].document == newer


def test_missing_and_unverified_list_only_required_documents(
    filed_case: Case, operator_user: Any, reviewer_user: Any
) -> None:
    case = _fresh(filed_case)
    assert documents_missing(case=case) == ["deed"]  # the photo is optional
    assert documents_unverified(case=case) == ["deed"]
    deed = upload(case, operator_user, pdf_bytes(), name="d")
    assert documents_missing(case=case) == []
    assert documents_unverified(case=case) == ["deed"]
    document_review(document=deed, actor=reviewer_user, verified=True)
    assert documents_unverified(case=case) == []


def test_rejected_upload_counts_as_missing(deed: Document, filed_case: Case, reviewer_user: Any) -> None:
    document_review(document=deed, actor=reviewer_user, verified=False, reason="ناخوانا")
    assert documents_missing(case=_fresh(filed_case)) == ["deed"]


# --- guards --------------------------------------------------------------------------------------------


def test_guards_are_registered_by_name() -> None:
    assert guards.get("documents_uploaded") is rules.documents_uploaded
    assert guards.get("documents_verified") is rules.documents_verified


def test_documents_uploaded_fails_naming_the_missing_document(filed_case: Case) -> None:
    result = rules.documents_uploaded(_fresh(filed_case))
    assert not result.ok
    with translation.override("fa"):
        assert "سند مالکیت" in str(result.reason)
        assert "بارگذاری" in str(result.reason)


def test_documents_uploaded_passes_once_every_required_document_is_in(
    deed: Document, filed_case: Case
) -> None:
    assert rules.documents_uploaded(_fresh(filed_case)).ok


def test_documents_verified_waits_for_verification(
    deed: Document, filed_case: Case, reviewer_user: Any
) -> None:
    pending = rules.documents_verified(_fresh(filed_case))
    assert not pending.ok
    with translation.override("fa"):
        assert "سند مالکیت" in str(pending.reason)
    document_review(document=deed, actor=reviewer_user, verified=True)
    assert rules.documents_verified(_fresh(filed_case)).ok


def test_workflow_action_guarded_by_verification_opens_after_review(
    deed: Document, filed_case: Case, reviewer_user: Any
) -> None:
    case = _fresh(filed_case)
    with pytest.raises(Conflict) as raised:
        case_act(case=case, action="accept", actor=reviewer_user, expected_version=case.version)
    assert raised.value.code == "case.guard_failed"
    document_review(document=deed, actor=reviewer_user, verified=True)
    moved = case_act(case=case, action="accept", actor=reviewer_user, expected_version=case.version)
    assert moved.state == "approval"
