"""Writes about inquiries: the agency catalogue, keys, sending a case's inquiries, answers, the sweep."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

from daftar.accounts.models import User
from daftar.cases.models import Case, EventKind
from daftar.cases.services import case_auto_advance_on_commit, case_escalate, case_event_append
from daftar.catalog.intake import intake_validate
from daftar.catalog.services import yaml_load_strict
from daftar.core.errors import Conflict, DomainError, InvalidValue
from daftar.core.jalali import local_today
from daftar.core.keys import key_matches, key_needs_touch, key_new, key_prefix
from daftar.core.text import normalize_persian
from daftar.documents.content import ACCEPTED_TYPES, detect_type, file_name_clean, types_label
from daftar.documents.scanning import get_scanner
from daftar.documents.services import stored_file_delete
from daftar.offices.selectors import working_days_add
from daftar.outbox.services import outbox_enqueue

from .models import (
    Agency,
    AgencyChannel,
    AgencyKey,
    AgencyMembership,
    Inquiry,
    InquiryAttachment,
    InquiryState,
    InquiryType,
    Outcome,
)

logger = logging.getLogger(__name__)

KEY_PREFIX = "agk"
WEBHOOK_EVENT = "inquiry.created"
# An answer's attachments (the agency's letter, a map, a photo): how many and how large.
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_MB = 10
MAX_ATTACHMENT_BYTES = MAX_ATTACHMENT_MB * 1024 * 1024


# --- the agency catalogue --------------------------------------------------------------------------


def agencies_load(*, path: Path) -> int:
    """Create or update agencies and their inquiry types from ``catalog/agencies.yaml``; idempotent.

    Webhook URLs and secrets are deployment settings, never in the file: they are kept as they are.
    """
    entries = yaml_load_strict(path.read_text(encoding="utf-8"), source=path.name) or []
    changed = 0
    with transaction.atomic():
        for entry in entries:
            code = str(entry["code"])
            values = {
                "name_fa": entry["name"]["fa"],
                "name_en": entry["name"].get("en", ""),
                "channel": entry.get("channel", AgencyChannel.WEB),
            }
            if values["channel"] not in AgencyChannel.values:
                raise InvalidValue("agency.channel", "agency %(code)s: unknown channel", {"code": code})
            agency, created = Agency.objects.get_or_create(code=code, defaults=values)
            if not created and any(getattr(agency, k) != v for k, v in values.items()):
                Agency.objects.filter(pk=agency.pk).update(**values)
                changed += 1
            changed += int(created)
            for spec in entry.get("types") or []:
                changed += _inquiry_type_load(agency, spec)
    return changed


def _inquiry_type_load(agency: Agency, spec: Mapping[str, Any]) -> int:
    schema = spec.get("answer_schema") or {"type": "object", "properties": {}}
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as exc:
        raise InvalidValue(
            "agency.answer_schema",
            "%(agency)s.%(code)s: %(error)s",
            {"agency": agency.code, "code": spec.get("code"), "error": str(exc)},
        ) from None
    values = {
        "name_fa": spec["name"]["fa"],
        "name_en": spec["name"].get("en", ""),
        "request_fields": list(spec.get("request_fields") or []),
        "answer_schema": schema,
        "documents": list(spec.get("documents") or []),
        "sla_working_days": int(spec.get("sla_working_days", 5)),
    }
    kind, created = InquiryType.objects.get_or_create(agency=agency, code=str(spec["code"]), defaults=values)
    if not created and any(getattr(kind, k) != v for k, v in values.items()):
        InquiryType.objects.filter(pk=kind.pk).update(**values)
        return 1
    return int(created)


def agency_connect(*, agency: Agency, channel: str, webhook_url: str = "") -> Agency:
    """Set how an agency is reached; a push agency gets a fresh webhook secret if it has none."""
    if channel not in AgencyChannel.values:
        raise InvalidValue("agency.channel", _("Unknown channel."))
    if channel == AgencyChannel.PUSH and not webhook_url.startswith(("https://", "http://")):
        raise InvalidValue("agency.webhook_url", _("A push agency needs its webhook URL."))
    agency.channel = channel
    agency.webhook_url = webhook_url if channel == AgencyChannel.PUSH else ""
    if channel == AgencyChannel.PUSH and not agency.webhook_secret:
        agency.webhook_secret = secrets.token_urlsafe(32)
    agency.save(update_fields=["channel", "webhook_url", "webhook_secret"])
    return agency


def agency_member_add(*, agency: Agency, user: User) -> AgencyMembership:
    membership, _created = AgencyMembership.objects.get_or_create(agency=agency, user=user)
    return membership


# --- keys --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: AgencyKey
    secret: str  # shown once, never stored


def agency_key_create(*, agency: Agency, name: str) -> IssuedKey:
    name = normalize_persian(name)
    if not name:
        raise InvalidValue("agency_key.name_required", _("Give the key a name."))
    new = key_new(KEY_PREFIX)
    key = AgencyKey.objects.create(agency=agency, name=name, prefix=new.prefix, key_hash=new.digest)
    return IssuedKey(key=key, secret=new.secret)


def agency_key_revoke(*, key: AgencyKey) -> AgencyKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def agency_key_authenticate(*, secret: str) -> AgencyKey | None:
    """The live key a presented secret belongs to, or None (unknown, wrong, revoked, inactive agency)."""
    prefix = key_prefix(secret, KEY_PREFIX)
    if prefix is None:
        return None
    key = AgencyKey.objects.select_related("agency").filter(prefix=prefix).first()
    if key is None or not key_matches(key.key_hash, secret):
        return None
    if key.revoked_at is not None or not key.agency.is_active:
        return None
    now = timezone.now()
    if key_needs_touch(key.last_used_at, now):
        AgencyKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- sending ------------------------------------------------------------------------------------------


def inquiry_webhook_body(inquiry: Inquiry) -> dict[str, Any]:
    """What a push agency receives (see docs/inquiries.md)."""
    from daftar.cases.tracking import display

    kind = inquiry.inquiry_type
    return {
        "event": WEBHOOK_EVENT,
        "inquiry": {
            "id": inquiry.pk,
            "agency": inquiry.agency.code,
            "type": kind.code,
            "type_name": kind.name_fa,
            "case": display(inquiry.case.tracking_code),
            "due_date": inquiry.due_date.isoformat(),
            "request": inquiry.request,
            "answer_schema": kind.answer_schema,
        },
    }


def inquiries_send(*, case: Case, step: str) -> list[Inquiry]:
    """Create the inquiries the case's service needs (in the caller's transaction) and queue the
    webhooks of push agencies in the outbox, so they go out only if the step commits.

    Idempotent per case and type: an inquiry still open or answered positively is not sent again;
    after an objection, re-entering the step asks again.
    """
    created: list[Inquiry] = []
    today = local_today()
    for wanted in case.service_version.inquiries:
        kind = (
            InquiryType.objects.select_related("agency")
            .filter(agency__code=wanted["agency"], code=wanted["type"])
            .first()
        )
        if kind is None:
            raise Conflict(
                "inquiry.unknown_type",
                _("The service asks an inquiry type nobody answers: %(name)s."),
                {"name": f"{wanted['agency']}.{wanted['type']}"},
            )
        done = (
            Inquiry.objects.filter(case=case, inquiry_type=kind).filter(state=InquiryState.PENDING).exists()
            or Inquiry.objects.filter(case=case, inquiry_type=kind, outcome=Outcome.POSITIVE).exists()
        )
        if done:
            continue
        request = {name: case.data[name] for name in kind.request_fields if name in case.data}
        try:
            with transaction.atomic():
                inquiry = Inquiry.objects.create(
                    case=case,
                    agency=kind.agency,
                    inquiry_type=kind,
                    step=step,
                    request=request,
                    due_date=working_days_add(city=case.city, start=today, days=kind.sla_working_days),
                )
        except IntegrityError:  # a concurrent entry of the step created it first
            continue
        if kind.agency.channel == AgencyChannel.PUSH and kind.agency.webhook_url:
            outbox_enqueue(
                kind="webhook.post",
                payload={
                    "url": kind.agency.webhook_url,
                    "event": WEBHOOK_EVENT,
                    "secret_ref": f"agency:{kind.agency.code}",
                    "body": inquiry_webhook_body(inquiry),
                },
                idempotency_key=f"inquiry-{inquiry.pk}-created",
                subject=f"inquiry {inquiry.pk} → {kind.agency.code}",
            )
        case_event_append(
            case=case,
            kind=EventKind.NOTE,
            actor=None,
            public=True,
            action="inquiry_sent",
            message=f"استعلام از {kind.agency.name_fa}: {kind.name_fa}",
            payload={"inquiry": inquiry.pk},
        )
        created.append(inquiry)
    return created


# --- answering ------------------------------------------------------------------------------------------


def inquiry_answer(
    *,
    inquiry: Inquiry,
    outcome: str,
    data: Mapping[str, Any],
    note: str = "",
    reference: str = "",
    key: AgencyKey | None = None,
    user: User | None = None,
) -> Inquiry:
    """Record an agency's answer (once) and let the case's workflow move on after commit."""
    if outcome not in Outcome.values:
        raise InvalidValue(
            "inquiry.outcome",
            _("The outcome must be positive, negative or conditional."),
            fields={"outcome": [_("Choose one of the listed options.")]},
        )
    note = normalize_persian(note or "", multiline=True)
    if outcome != Outcome.POSITIVE and not note:
        raise InvalidValue(
            "inquiry.note_required",
            _("An objection or a condition needs an explanation."),
            fields={"note": [_("This field is required.")]},
        )
    if inquiry.case.closed_at is not None:
        raise Conflict("inquiry.case_closed", _("The case is closed; the inquiry no longer needs an answer."))
    cleaned = intake_validate(inquiry.inquiry_type.answer_schema, data)
    with transaction.atomic():
        claimed = Inquiry.objects.filter(pk=inquiry.pk, state=InquiryState.PENDING).update(
            state=InquiryState.ANSWERED,
            outcome=outcome,
            answer=cleaned,
            note=note,
            reference=normalize_persian(reference or "")[:100],
            answered_at=timezone.now(),
            answered_by=user,
            answered_by_key=key,
        )
        if not claimed:
            raise Conflict(
                "inquiry.already_answered", _("This inquiry has already been answered or withdrawn.")
            )
        inquiry.refresh_from_db()
        verdict = {
            Outcome.POSITIVE: "بدون مانع",
            Outcome.NEGATIVE: "دارای مانع",
            Outcome.CONDITIONAL: "مشروط",
        }
        case_event_append(
            case=inquiry.case,
            kind=EventKind.NOTE,
            actor=user,
            public=True,
            action="inquiry_answered",
            message=_answer_line(inquiry, verdict[Outcome(outcome)], note),
            payload={
                "inquiry": inquiry.pk,
                "outcome": outcome,
                "attachments": list(inquiry.attachments.values_list("pk", flat=True)),
            },
        )
        case_auto_advance_on_commit(case_id=inquiry.case_id)
    return inquiry


# --- attachments ------------------------------------------------------------------------------------


def inquiry_attach(
    *,
    inquiry: Inquiry,
    content: bytes,
    file_name: str,
    key: AgencyKey | None = None,
    user: User | None = None,
) -> InquiryAttachment:
    """Attach a file to a pending inquiry's coming answer: attach first, then answer.

    The file is checked in full before anything is kept (size, the real type judged by content:
    PDF, JPEG or PNG, a virus scan), written through the storage under a random name, then recorded;
    if recording fails the written file is deleted (for this function's own transaction only: see
    ``inquiry_answer_with_attachments`` to attach inside a larger one). Raises Conflict (the inquiry
    is no longer pending, its case is closed, it already has ``MAX_ATTACHMENTS``), InvalidValue
    (empty, too large, a type not allowed, infected) or the documents app's ServiceUnavailable (the
    virus scanner cannot be reached: nothing unscanned is accepted).
    """
    _attachable(inquiry)
    _attachment_room(inquiry)
    content_type = _attachment_type(content)
    result = get_scanner().scan(content)  # ScannerUnavailable (503) propagates: fail closed
    if not result.clean:
        logger.warning("inquiry attachment refused: virus scanner found %s", result.signature)
        raise InvalidValue(
            "inquiry.attachment_infected",
            _("The file contains a virus or malicious content (%(signature)s) and was not accepted."),
            {"signature": result.signature},
        )
    attachment = InquiryAttachment(
        inquiry=inquiry,
        original_name=file_name_clean(file_name),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
        uploaded_by_key=key,
    )
    # Written before the transaction so a slow store holds no lock; the name comes from upload_to.
    attachment.file.save("upload", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            locked = Inquiry.objects.select_for_update().select_related("case").get(pk=inquiry.pk)
            _attachable(locked)  # answered, withdrawn or filled up meanwhile
            _attachment_room(locked)
            attachment.save(force_insert=True)
    except BaseException:
        stored_file_delete(attachment.file)
        raise
    return attachment


def _attachable(inquiry: Inquiry) -> None:
    if inquiry.state != InquiryState.PENDING:
        raise Conflict(
            "inquiry.not_pending",
            _("This inquiry has already been answered or withdrawn; files can no longer be attached."),
        )
    if inquiry.case.closed_at is not None:
        raise Conflict("inquiry.case_closed", _("The case is closed; the inquiry no longer needs an answer."))


def _attachment_room(inquiry: Inquiry) -> None:
    if InquiryAttachment.objects.filter(inquiry_id=inquiry.pk).count() >= MAX_ATTACHMENTS:
        raise Conflict(
            "inquiry.too_many_attachments",
            _("An answer may have at most %(count)s attachments."),
            {"count": MAX_ATTACHMENTS},
        )


def _attachment_type(content: bytes) -> str:
    if not content:
        raise InvalidValue("inquiry.attachment_empty", _("The file is empty."))
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidValue(
            "inquiry.attachment_too_large",
            _("The file is larger than the limit of %(max_mb)s MB."),
            {"max_mb": MAX_ATTACHMENT_MB},
        )
    detected = detect_type(content)
    if detected is None or detected not in ACCEPTED_TYPES:
        raise InvalidValue(
            "inquiry.attachment_type",
            _("This file is not accepted as an attachment. Allowed file types: %(types)s."),
            {"types": types_label(ACCEPTED_TYPES)},
        )
    return detected


@dataclass
class AttachmentRefused(Exception):
    """One file of an answer was refused; ``file_name`` names it, ``error`` says why."""

    file_name: str
    error: DomainError


def inquiry_answer_with_attachments(
    *,
    inquiry: Inquiry,
    outcome: str,
    data: Mapping[str, Any],
    note: str = "",
    reference: str = "",
    files: Sequence[tuple[bytes, str]] = (),
    key: AgencyKey | None = None,
    user: User | None = None,
) -> Inquiry:
    """Attach the files (content, file name) and record the answer, all or nothing.

    A refused file raises AttachmentRefused; a refused answer raises its DomainError. Either way the
    transaction is rolled back and the files already written in this call are removed from storage.
    """
    stored: list[InquiryAttachment] = []
    try:
        with transaction.atomic():
            for content, file_name in files:
                try:
                    stored.append(
                        inquiry_attach(
                            inquiry=inquiry, content=content, file_name=file_name, key=key, user=user
                        )
                    )
                except DomainError as exc:
                    raise AttachmentRefused(file_name_clean(file_name), exc) from exc
            answered = inquiry_answer(
                inquiry=inquiry,
                outcome=outcome,
                data=data,
                note=note,
                reference=reference,
                key=key,
                user=user,
            )
    except BaseException:
        for attachment in stored:
            stored_file_delete(attachment.file)
        raise
    return answered


def _answer_line(inquiry: Inquiry, verdict: str, note: str) -> str:
    """The timeline's Persian line for an answer (the record reads the same for everyone)."""
    line = f"پاسخ {inquiry.agency.name_fa} ({inquiry.inquiry_type.name_fa}): {verdict}"
    return f"{line} — {note}" if note else line


def _overdue_line(inquiry: Inquiry) -> str:
    agency, kind = inquiry.agency.name_fa, inquiry.inquiry_type.name_fa
    return f"مهلت پاسخ {agency} به استعلام «{kind}» گذشت."


# --- deadlines ------------------------------------------------------------------------------------------


def inquiries_sweep_overdue(*, today: date | None = None, batch: int = 500) -> int:
    """Mark pending inquiries past their deadline overdue and escalate their cases."""
    day = today or local_today()
    marked = 0
    while True:
        rows = list(
            Inquiry.objects.filter(
                state=InquiryState.PENDING, overdue=False, due_date__lt=day, case__closed_at__isnull=True
            ).select_related("agency", "inquiry_type")[:batch]
        )
        if not rows:
            return marked
        for inquiry in rows:
            with transaction.atomic():
                if not Inquiry.objects.filter(pk=inquiry.pk, overdue=False).update(overdue=True):
                    continue
                case_escalate(
                    case_id=inquiry.case_id,
                    reason=_overdue_line(inquiry),
                    payload={"inquiry": inquiry.pk},
                )
                marked += 1
