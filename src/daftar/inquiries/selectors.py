"""Reads about inquiries: a case's inquiries, an agency's queue, what an agency may see."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.documents.models import Document
from daftar.documents.selectors import documents_current

from .models import Agency, Inquiry, InquiryAttachment, InquiryState, Outcome

MAX_PAGE_SIZE = 100


def inquiries_of_case(*, case: Case) -> QuerySet[Inquiry]:
    return (
        Inquiry.objects.filter(case=case)
        .select_related("agency", "inquiry_type")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def agency_inquiries(
    *, agency: Agency, status: str | None = None, page: int = 1, page_size: int = 50
) -> Page[Inquiry]:
    """The agency's inquiries: pending ones of open cases first (oldest first), then the rest."""
    rows = Inquiry.objects.filter(agency=agency).select_related("inquiry_type", "case")
    if status:
        rows = rows.filter(state=status)
    if status == InquiryState.PENDING:
        rows = rows.filter(case__closed_at__isnull=True)
    pending_first = When_(
        When(state=InquiryState.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    ordered = rows.order_by(pending_first, "created_at", "pk")
    return Paginator(ordered, max(1, min(page_size, MAX_PAGE_SIZE))).get_page(page)


def inquiry_for_agency(*, agency: Agency, inquiry_id: int) -> Inquiry | None:
    """One of the agency's own inquiries; another agency's is simply not there."""
    return (
        Inquiry.objects.select_related("inquiry_type", "agency", "case", "case__service_version")
        .filter(agency=agency, pk=inquiry_id)
        .first()
    )


def attachment_of_case(*, case: Case, pk: int) -> InquiryAttachment | None:
    """An attachment of one of the case's answered inquiries (shown with the answer, not before)."""
    return (
        InquiryAttachment.objects.filter(pk=pk, inquiry__case=case, inquiry__state=InquiryState.ANSWERED)
        .select_related("inquiry")
        .first()
    )


def attachment_of_inquiry(*, inquiry: Inquiry, pk: int) -> InquiryAttachment | None:
    return InquiryAttachment.objects.filter(pk=pk, inquiry=inquiry).first()


def inquiry_documents(*, inquiry: Inquiry) -> list[Document]:
    """The case's current documents this inquiry type may see, nothing else."""
    allowed: Sequence[str] = inquiry.inquiry_type.documents
    return [doc for code, doc in documents_current(case=inquiry.case).items() if code in allowed]


def agencies_of_user(*, user: User | AnonymousUser) -> list[Agency]:
    if not user.is_authenticated:
        return []
    return list(Agency.objects.filter(members__user=user, is_active=True).order_by("code"))


def inquiries_status(*, case: Case) -> tuple[bool, bool, bool]:
    """(all answered, all positive, any objection or condition) over the case's live inquiries."""
    latest: dict[int, tuple[str, str]] = {}
    for type_id, state, outcome in (
        Inquiry.objects.filter(case=case)
        .exclude(state=InquiryState.CANCELLED)
        .order_by("created_at", "pk")
        .values_list("inquiry_type_id", "state", "outcome")
    ):
        latest[type_id] = (state, outcome)  # a type asked again after an objection: its last answer counts
    rows = list(latest.values())
    if not rows:
        return True, True, False
    answered = all(state == InquiryState.ANSWERED for state, _outcome in rows)
    positive = answered and all(outcome == Outcome.POSITIVE for _state, outcome in rows)
    issue = answered and any(outcome in (Outcome.NEGATIVE, Outcome.CONDITIONAL) for _state, outcome in rows)
    return answered, positive, issue
