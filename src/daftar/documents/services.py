"""Every write about documents: uploading one for a case's requirement, and reviewing it.

An upload is checked in full before anything is kept (who, which requirement, size, the real type
judged by content, a virus scan), then its bytes are written through Django's storage API under a
random name and recorded in one transaction; if recording fails, the written file is deleted.
(Django has no on-rollback hook, so that cleanup covers this function's own transaction: call it
outside any outer ``atomic`` block, as the views and the API do.)
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.cases.models import Case, EventKind
from daftar.cases.selectors import case_roles_of, workflow_of
from daftar.cases.services import (
    Location,
    case_act,
    case_auto_advance_on_commit,
    case_event_append,
    case_file,
)
from daftar.catalog.models import ServiceVersion
from daftar.core.errors import Conflict, DomainError, Forbidden, InvalidValue
from daftar.core.i18n import pick
from daftar.core.text import normalize_persian
from daftar.offices.models import Office
from daftar.workflow.definition import APPLICANT

from .content import ACCEPTED_TYPES, detect_type, file_name_clean, types_label
from .models import Document, DocumentStatus
from .scanning import get_scanner
from .selectors import Requirement, requirement_of

logger = logging.getLogger(__name__)

UPLOAD_ROLES = frozenset(
    {
        APPLICANT,
        Role.OFFICE_OPERATOR.value,
        Role.OFFICE_MANAGER.value,
        Role.MUNICIPAL_REVIEWER.value,
        Role.TECHNICAL_INSPECTOR.value,
    }
)
REVIEW_ROLES = frozenset(
    {
        Role.MUNICIPAL_REVIEWER.value,
        Role.TECHNICAL_INSPECTOR.value,
        Role.LICENSING_OFFICER.value,
        Role.CITY_ADMINISTRATOR.value,
    }
)
REQUEST_CORRECTION = "request_correction"

# Timeline lines, rendered when written (see _record_text).
UPLOADED_TEXT = gettext_noop("Document uploaded: %(name)s")
VERIFIED_TEXT = gettext_noop("Document verified: %(name)s")
REJECTED_TEXT = gettext_noop("Document rejected: %(name)s. Reason: %(reason)s")

_lazy_types_label = lazy(types_label, str)


# --- upload ------------------------------------------------------------------------------------


def document_upload(*, case: Case, requirement: str, content: bytes, file_name: str, actor: User) -> Document:
    """Accept a file for one of the case's required documents; it replaces the previous upload.

    Raises Forbidden (not a role that uploads on this case), InvalidValue (unknown requirement,
    empty, too large, a type not allowed, infected), Conflict (the case is closed) or
    ServiceUnavailable (the virus scanner cannot be reached: nothing unscanned is accepted).
    """
    roles = case_roles_of(case=case, user=actor) & UPLOAD_ROLES
    if not roles:
        raise Forbidden("document.upload_forbidden", _("You may not upload documents to this case."))
    spec = requirement_of(case=case, code=requirement)
    if spec is None:
        raise InvalidValue(
            "document.unknown_requirement",
            _("This service does not ask for a document called %(requirement)s."),
            {"requirement": requirement},
        )
    if not case.is_open:
        raise Conflict("document.case_closed", _("This case is closed; documents can no longer be added."))
    content_type = _checked_type(spec, content)
    _scan(content)

    document = Document(
        case=case,
        requirement=spec.code,
        original_name=file_name_clean(file_name),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )
    # Written before the transaction so a slow store does not hold the case's lock; the name comes
    # from the model's upload_to (random), never from the uploader.
    document.file.save("upload", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if not locked.is_open:
                raise Conflict(
                    "document.case_closed", _("This case is closed; documents can no longer be added.")
                )
            Document.objects.filter(case_id=case.pk, requirement=spec.code, superseded=False).update(
                superseded=True
            )
            document.save(force_insert=True)
            case_event_append(
                case=locked,
                kind=EventKind.DOCUMENT,
                actor=actor,
                actor_role=min(roles),
                message=_record_text(UPLOADED_TEXT, spec),
                public=True,
                payload={"document": document.pk, "requirement": spec.code, "sha256": document.sha256},
            )
            case_auto_advance_on_commit(case_id=case.pk)
    except BaseException:
        _delete_stored(document)
        raise
    return document


def _checked_type(spec: Requirement, content: bytes) -> str:
    if not content:
        raise InvalidValue("document.empty", _("The file is empty."))
    if len(content) > spec.max_bytes:
        raise InvalidValue(
            "document.too_large",
            _("The file is larger than the limit of %(max_mb)s MB."),
            {"max_mb": f"{spec.max_mb:g}"},
        )
    allowed = [mime for mime in spec.types if mime in ACCEPTED_TYPES]
    detected = detect_type(content)
    if detected is None or detected not in allowed:
        raise InvalidValue(
            "document.type_not_allowed",
            _("This file is not accepted here. Allowed file types: %(types)s."),
            {"types": _lazy_types_label(allowed)},
        )
    return detected


def _scan(content: bytes) -> None:
    result = get_scanner().scan(content)  # ScannerUnavailable (503) propagates: fail closed
    if not result.clean:
        logger.warning("upload refused: virus scanner found %s", result.signature)
        raise InvalidValue(
            "document.infected",
            _("The file contains a virus or malicious content (%(signature)s) and was not accepted."),
            {"signature": result.signature},
        )


def _delete_stored(document: Document) -> None:
    """Remove a written file whose record was not saved, so no orphan is left in storage."""
    stored_file_delete(document.file)


def stored_file_delete(file: FieldFile) -> None:
    """Delete a file written through its field's storage (its record was not kept); never raises.

    Shared with other uploads that follow the same write-then-record pattern (inquiry attachments).
    """
    name = file.name
    if not name:
        return
    try:
        file.storage.delete(name)
    except Exception:  # the original error matters more; the orphan is logged for cleanup
        logger.exception("could not delete orphaned upload %s", name)


# --- review ------------------------------------------------------------------------------------


def document_review(*, document: Document, actor: User, verified: bool, reason: str = "") -> Document:
    """Verify or reject a current upload. A rejection needs a reason and, where the case's state
    lets this reviewer request a correction, sends the case to correction in the same transaction."""
    text = normalize_persian(reason or "", multiline=True)
    roles = case_roles_of(case=document.case, user=actor) & REVIEW_ROLES
    if not roles:
        raise Forbidden("document.review_forbidden", _("You may not review the documents of this case."))
    if not verified and not text:
        raise InvalidValue(
            "document.reason_required",
            _("Say why the document is rejected, so the applicant can correct it."),
            fields={"reason": [_("This field is required.")]},
        )
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("service_version")
            .get(pk=locked.case_id)
        )
        if locked.superseded:
            raise Conflict(
                "document.superseded", _("A newer file has replaced this document; review that one instead.")
            )
        if not case.is_open:
            raise Conflict(
                "document.case_closed", _("This case is closed; its documents can no longer change.")
            )
        locked.status = DocumentStatus.VERIFIED if verified else DocumentStatus.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_reason = text
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
        spec = requirement_of(case=case, code=locked.requirement) or Requirement.unknown(locked.requirement)
        case_event_append(
            case=case,
            kind=EventKind.DOCUMENT,
            actor=actor,
            actor_role=min(roles),
            message=_record_text(VERIFIED_TEXT if verified else REJECTED_TEXT, spec, reason=text),
            public=True,
            payload={"document": locked.pk, "requirement": locked.requirement, "status": locked.status},
        )
        if verified:
            case_auto_advance_on_commit(case_id=case.pk)
        elif _offers_correction(case, actor):
            case_act(
                case=case,
                action=REQUEST_CORRECTION,
                actor=actor,
                expected_version=case.version,
                reason=text,
                payload={"document": locked.pk, "requirement": locked.requirement},
            )
    return locked


def _offers_correction(case: Case, actor: User) -> bool:
    workflow = workflow_of(case)
    state = workflow.states.get(case.state)
    action = state.actions.get(REQUEST_CORRECTION) if state is not None else None
    if state is None or action is None:
        return False
    roles = case_roles_of(case=case, user=actor)
    return bool(workflow.may_take(action, roles, state=state, escalated=case.escalated))


def _record_text(msgid: str, spec: Requirement, *, reason: str = "") -> str:
    """A timeline line, written in the site's language (Persian) so the record reads the same to all."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(msgid) % {"name": pick(spec.name_fa, spec.name_en), "reason": reason}


# --- filing with documents, all or nothing ----------------------------------------------------------


@dataclass
class DocumentRefused(Exception):
    """One file of a filing was refused; ``requirement`` names the document, ``error`` says why."""

    requirement: str
    error: DomainError


def case_file_with_documents(
    *,
    service: ServiceVersion,
    applicant: Person,
    office: Office | None,
    channel: str,
    data: Mapping[str, Any],
    actor: User,
    files: Sequence[tuple[str, bytes, str]],
    idempotency_key: str | None = None,
    location: Location | None = None,
) -> Case:
    """File a case and upload its documents (requirement, content, file name) in one transaction.

    A refused file (wrong type, too large, infected) rolls the case back too and the files already
    written are removed from storage, so nothing half-filed is left. Raises the filing's DomainError
    or DocumentRefused. A repeated submit with the same idempotency key returns the first case and
    uploads nothing again.
    """
    started = timezone.now()
    stored: list[Document] = []
    try:
        with transaction.atomic():
            case = case_file(
                service=service,
                applicant=applicant,
                office=office,
                channel=channel,
                data=data,
                actor=actor,
                idempotency_key=idempotency_key,
                location=location,
            )
            if case.created_at < started or Document.objects.filter(case=case).exists():
                return case  # a repeated submit: the first one filed it with its documents
            for requirement, content, file_name in files:
                try:
                    stored.append(
                        document_upload(
                            case=case,
                            requirement=requirement,
                            content=content,
                            file_name=file_name,
                            actor=actor,
                        )
                    )
                except DomainError as exc:
                    raise DocumentRefused(requirement, exc) from exc
    except BaseException:
        for document in stored:
            _delete_stored(document)
        raise
    return case
