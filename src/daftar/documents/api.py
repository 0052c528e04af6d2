"""Documents API: the checklist of a case, uploads (multipart), and staff review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from daftar.accounts.models import User
from daftar.cases.api import visible_case
from daftar.cases.selectors import case_roles_of
from daftar.core.errors import InvalidValue, NotFound

from .models import Document
from .selectors import document_checklist
from .services import document_review, document_upload

router = Router(tags=["documents"])

# Never read more than this from an upload before refusing it (the catalogue allows at most 20 MB).
MAX_READ_BYTES = 20 * 1024 * 1024 + 1


class DocumentOut(Schema):
    id: int
    requirement: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    status: str
    review_reason: str
    uploaded_at: datetime


class ChecklistRowOut(Schema):
    requirement: str
    name_fa: str
    required: bool
    types: list[str]
    max_mb: float
    status: str
    document: DocumentOut | None


class ReviewIn(Schema):
    verified: bool
    reason: str = ""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get(
    "/cases/{code}/documents", response=list[ChecklistRowOut], summary="Required documents and uploads"
)
def checklist(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    case, _roles = visible_case(request, code)
    return [
        {
            "requirement": row.requirement.code,
            "name_fa": row.requirement.name_fa,
            "required": row.requirement.required,
            "types": list(row.requirement.types),
            "max_mb": row.requirement.max_mb,
            "status": str(row.status),
            "document": row.document,
        }
        for row in document_checklist(case=case)
    ]


@router.post("/cases/{code}/documents", response={201: DocumentOut}, summary="Upload a document (multipart)")
def upload(
    request: HttpRequest, code: str, requirement: Form[str], file: File[UploadedFile]
) -> Status[Document]:
    case, _roles = visible_case(request, code)
    content = file.read(MAX_READ_BYTES)
    if len(content) >= MAX_READ_BYTES:
        raise InvalidValue("document.too_large", _("The file is larger than any document may be."))
    document = document_upload(
        case=case, requirement=requirement, content=content, file_name=file.name or "", actor=_user(request)
    )
    return Status(201, document)


@router.post("/documents/{document_id}/review", response=DocumentOut, summary="Verify or reject a document")
def review(request: HttpRequest, document_id: int, body: ReviewIn) -> Document:
    user = _user(request)
    document = Document.objects.select_related("case", "case__service_version").filter(pk=document_id).first()
    if document is None or not case_roles_of(case=document.case, user=user):
        raise NotFound("document.not_found", _("No such document."))
    return document_review(document=document, actor=user, verified=body.verified, reason=body.reason)
