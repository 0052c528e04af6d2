"""Reads of a case's documents: the checklist against the service's requirements, what is still
missing or unverified, and a document for download."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.selectors import case_visible_to
from daftar.core.i18n import pick

from .models import Document, DocumentStatus


class ChecklistStatus(models.TextChoices):
    MISSING = "missing", _("Not uploaded")
    PENDING = DocumentStatus.PENDING.value, DocumentStatus.PENDING.label
    VERIFIED = DocumentStatus.VERIFIED.value, DocumentStatus.VERIFIED.label
    REJECTED = DocumentStatus.REJECTED.value, DocumentStatus.REJECTED.label


@dataclass(frozen=True)
class Requirement:
    """One document a service version asks for, read from its ``documents`` list."""

    code: str
    name_fa: str
    name_en: str
    required: bool
    types: tuple[str, ...]
    max_mb: float

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)

    @classmethod
    def unknown(cls, code: str) -> Requirement:
        """Stands in for a code the service version no longer lists (kept for the record)."""
        return cls(code=code, name_fa=code, name_en=code, required=False, types=(), max_mb=0)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Requirement:
        names = spec.get("name") or {}
        if not isinstance(names, Mapping):
            names = {"fa": str(names)}
        return cls(
            code=str(spec["code"]),
            name_fa=str(names.get("fa") or spec["code"]),
            name_en=str(names.get("en") or ""),
            required=bool(spec.get("required", True)),
            types=tuple(spec.get("types") or ()),
            max_mb=float(spec.get("max_mb", 10)),
        )


@dataclass(frozen=True)
class ChecklistRow:
    requirement: Requirement
    document: Document | None  # the current (non-superseded) upload
    status: ChecklistStatus

    @property
    def code(self) -> str:
        return self.requirement.code

    @property
    def name(self) -> str:
        return self.requirement.name

    @property
    def name_fa(self) -> str:
        return self.requirement.name_fa

    @property
    def name_en(self) -> str:
        return self.requirement.name_en

    @property
    def required(self) -> bool:
        return self.requirement.required

    @property
    def types(self) -> tuple[str, ...]:
        return self.requirement.types

    @property
    def max_mb(self) -> float:
        return self.requirement.max_mb


def requirements_of(*, case: Case) -> list[Requirement]:
    """The documents the case's service version asks for, in catalogue order."""
    return [Requirement.from_spec(spec) for spec in case.service_version.documents or []]


def requirement_of(*, case: Case, code: str) -> Requirement | None:
    return next((item for item in requirements_of(case=case) if item.code == code), None)


def documents_current(*, case: Case) -> dict[str, Document]:
    """The current upload of each requirement (one query)."""
    current: dict[str, Document] = {}
    # Newest first, so a leftover duplicate (never expected) cannot shadow the latest upload.
    for document in Document.objects.filter(case=case, superseded=False).order_by(
        "requirement", "-uploaded_at"
    ):
        current.setdefault(document.requirement, document)
    return current


def document_checklist(*, case: Case) -> list[ChecklistRow]:
    """One row per required document of the service, in catalogue order, with its current upload."""
    current = documents_current(case=case)
    rows = []
    for requirement in requirements_of(case=case):
        document = current.get(requirement.code)
        status = ChecklistStatus(document.status) if document is not None else ChecklistStatus.MISSING
        rows.append(ChecklistRow(requirement=requirement, document=document, status=status))
    return rows


def documents_missing(*, case: Case) -> list[str]:
    """Codes of required documents with no current upload, or whose current upload was rejected."""
    return [row.code for row in checklist_missing(document_checklist(case=case))]


def documents_unverified(*, case: Case) -> list[str]:
    """Codes of required documents whose current upload is missing or not (yet) verified."""
    return [row.code for row in checklist_unverified(document_checklist(case=case))]


def checklist_missing(rows: list[ChecklistRow]) -> list[ChecklistRow]:
    return [
        row
        for row in rows
        if row.required and row.status in (ChecklistStatus.MISSING, ChecklistStatus.REJECTED)
    ]


def checklist_unverified(rows: list[ChecklistRow]) -> list[ChecklistRow]:
    return [row for row in rows if row.required and row.status != ChecklistStatus.VERIFIED]


def document_for_download(*, pk: int, user: User | AnonymousUser) -> Document | None:
    """The document if the user may see its case; ``None`` alike when missing or not theirs."""
    document = Document.objects.select_related("case", "case__service_version").filter(pk=pk).first()
    if document is None or not case_visible_to(case=document.case, user=user):
        return None
    return document
