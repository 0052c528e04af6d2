"""The agency API (see docs/inquiries.md): an agency key sees and answers only its own inquiries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import HttpBearer

from daftar.cases.tracking import display
from daftar.core.errors import NotFound
from daftar.documents.content import download_name

from .models import AgencyKey, Inquiry, InquiryAttachment
from .selectors import agency_inquiries, inquiry_documents, inquiry_for_agency
from .services import (
    MAX_ATTACHMENT_BYTES,
    agency_key_authenticate,
    inquiry_answer,
    inquiry_attach,
)


class AgencyKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        key = agency_key_authenticate(secret=token)
        if key is not None:
            request.agency_key = key  # type: ignore[attr-defined]
        return key


router = Router(tags=["agencies"], auth=AgencyKeyAuth())


class DocumentRef(Schema):
    id: int
    requirement: str
    content_type: str
    size: int
    sha256: str


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str


class InquiryOut(Schema):
    id: int
    type: str
    type_name: str
    case: str
    state: str
    due_date: date
    overdue: bool
    request: dict[str, Any]
    answer_schema: dict[str, Any]
    outcome: str
    answer: dict[str, Any]
    note: str
    reference: str
    answered_at: datetime | None
    created_at: datetime
    attachments: list[AttachmentOut]


class InquiryDetailOut(InquiryOut):
    documents: list[DocumentRef]


class InquiryPageOut(Schema):
    page: int
    pages: int
    count: int
    results: list[InquiryOut]


class AnswerIn(Schema):
    outcome: str
    data: dict[str, Any] = {}
    note: str = ""
    reference: str = ""


def _key(request: HttpRequest) -> AgencyKey:
    key = request.agency_key  # type: ignore[attr-defined]
    assert isinstance(key, AgencyKey)
    return key


def _out(inquiry: Inquiry) -> dict[str, Any]:
    return {
        "id": inquiry.pk,
        "type": inquiry.inquiry_type.code,
        "type_name": inquiry.inquiry_type.name_fa,
        "case": display(inquiry.case.tracking_code),
        "state": inquiry.state,
        "due_date": inquiry.due_date,
        "overdue": inquiry.overdue,
        "request": inquiry.request,
        "answer_schema": inquiry.inquiry_type.answer_schema,
        "outcome": inquiry.outcome,
        "answer": inquiry.answer,
        "note": inquiry.note,
        "reference": inquiry.reference,
        "answered_at": inquiry.answered_at,
        "created_at": inquiry.created_at,
        "attachments": [_attachment_out(a) for a in inquiry.attachments.all()],
    }


def _attachment_out(attachment: InquiryAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def _own(request: HttpRequest, inquiry_id: int) -> Inquiry:
    inquiry = inquiry_for_agency(agency=_key(request).agency, inquiry_id=inquiry_id)
    if inquiry is None:
        raise NotFound("inquiry.not_found", _("No such inquiry."))
    return inquiry


@router.get("/inquiries", response=InquiryPageOut, summary="The agency's inquiries, pending first")
def inquiries(
    request: HttpRequest, status: str | None = None, page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    result = agency_inquiries(agency=_key(request).agency, status=status, page=page, page_size=page_size)
    rows = list(result.object_list)
    prefetch_related_objects(rows, "attachments")  # one query for the page's attachments
    return {
        "page": result.number,
        "pages": result.paginator.num_pages,
        "count": result.paginator.count,
        "results": [_out(inquiry) for inquiry in rows],
    }


@router.get(
    "/inquiries/{inquiry_id}", response=InquiryDetailOut, summary="One inquiry with the documents it may see"
)
def inquiry(request: HttpRequest, inquiry_id: int) -> dict[str, Any]:
    found = _own(request, inquiry_id)
    documents = [
        {
            "id": d.pk,
            "requirement": d.requirement,
            "content_type": d.content_type,
            "size": d.size,
            "sha256": d.sha256,
        }
        for d in inquiry_documents(inquiry=found)
    ]
    return {**_out(found), "documents": documents}


@router.get(
    "/inquiries/{inquiry_id}/documents/{document_id}", summary="Download a document the inquiry may see"
)
def document(request: HttpRequest, inquiry_id: int, document_id: int) -> FileResponse:
    found = _own(request, inquiry_id)
    chosen = next((d for d in inquiry_documents(inquiry=found) if d.pk == document_id), None)
    if chosen is None:
        raise NotFound("inquiry.document_not_found", _("No such document for this inquiry."))
    response = FileResponse(
        chosen.file.open("rb"),
        as_attachment=True,
        filename=download_name(chosen.original_name, chosen.content_type),
        content_type=chosen.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/inquiries/{inquiry_id}/answer", response=InquiryOut, summary="Answer an inquiry (once)")
def answer(request: HttpRequest, inquiry_id: int, body: AnswerIn) -> dict[str, Any]:
    found = _own(request, inquiry_id)
    answered = inquiry_answer(
        inquiry=found,
        outcome=body.outcome,
        data=body.data,
        note=body.note,
        reference=body.reference,
        key=_key(request),
    )
    return _out(answered)


@router.post(
    "/inquiries/{inquiry_id}/attachments",
    response={201: AttachmentOut},
    summary="Attach a file (PDF, JPEG or PNG) to the coming answer (multipart)",
)
def attach(request: HttpRequest, inquiry_id: int, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    found = _own(request, inquiry_id)
    # Never read more than the limit and one byte: inquiry_attach then refuses it as too large.
    content = file.read(MAX_ATTACHMENT_BYTES + 1)
    attachment = inquiry_attach(inquiry=found, content=content, file_name=file.name or "", key=_key(request))
    return Status(201, _attachment_out(attachment))
