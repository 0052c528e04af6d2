"""Uploading a document: who may, what is accepted (judged by content), and what is recorded."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.documents.errors import ServiceUnavailable
from daftar.documents.models import Document, DocumentStatus

from .conftest import stored_files, upload
from .samples import html_bytes, jpeg_bytes, pdf_bytes, pdf_with_eicar, png_bytes

pytestmark = pytest.mark.django_db


def test_pdf_named_png_is_stored_as_a_pdf(filed_case: Case, operator_user: Any) -> None:
    document = upload(filed_case, operator_user, pdf_bytes(), name="scan.png")
    assert document.content_type == "application/pdf"
    assert document.original_name == "scan.png"


def test_html_named_pdf_is_refused_and_nothing_stored(
    filed_case: Case, operator_user: Any, media_root: Path
) -> None:
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, html_bytes(), name="deed.pdf")
    assert raised.value.code == "document.type_not_allowed"
    with translation.override("en"):
        assert "PDF / JPEG" in str(raised.value)
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_a_real_type_the_requirement_does_not_allow_is_refused(filed_case: Case, operator_user: Any) -> None:
    # The deed accepts PDF and JPEG; a genuine PNG is still not one of them.
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, png_bytes(), name="deed.png")
    assert raised.value.code == "document.type_not_allowed"


def test_truncated_png_is_refused(filed_case: Case, operator_user: Any) -> None:
    content = png_bytes((120, 120))
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, content[:-30], requirement="photo", name="p.png")
    assert raised.value.code == "document.type_not_allowed"


def test_jpeg_and_png_made_with_pillow_are_accepted(filed_case: Case, operator_user: Any) -> None:
    deed = upload(filed_case, operator_user, jpeg_bytes(), name="deed.jpg")
    photo = upload(filed_case, operator_user, png_bytes(), requirement="photo", name="photo.png")
    assert (deed.content_type, photo.content_type) == ("image/jpeg", "image/png")


def test_file_over_the_size_limit_is_refused_naming_the_limit(filed_case: Case, operator_user: Any) -> None:
    content = pdf_bytes(extra=b"x" * (5 * 1024 * 1024))
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, content, name="big.pdf")
    assert raised.value.code == "document.too_large"
    with translation.override("en"):
        assert "5 MB" in str(raised.value)


def test_empty_file_is_refused(filed_case: Case, operator_user: Any) -> None:
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, b"", name="a.pdf")
    assert raised.value.code == "document.empty"


def test_unknown_requirement_is_refused(filed_case: Case, operator_user: Any) -> None:
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, pdf_bytes(), requirement="passport", name="a.pdf")
    assert raised.value.code == "document.unknown_requirement"


def test_infected_file_is_refused_and_nothing_is_stored(
    filed_case: Case, operator_user: Any, media_root: Path
) -> None:
    events_before = CaseEvent.objects.filter(case=filed_case).count()
    with pytest.raises(InvalidValue) as raised:
        upload(filed_case, operator_user, pdf_with_eicar())
    assert raised.value.code == "document.infected"
    assert raised.value.params["signature"] == "Eicar-Test-Signature"
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
    assert CaseEvent.objects.filter(case=filed_case).count() == events_before


def test_upload_fails_closed_when_the_scanner_is_unreachable(
    filed_case: Case, operator_user: Any, settings: Settings, media_root: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DAFTAR_VIRUS_SCANNER = "clamd"
    settings.DAFTAR_CLAMD_HOST = "127.0.0.1"
    settings.DAFTAR_CLAMD_PORT = port
    with pytest.raises(ServiceUnavailable) as raised:
        upload(filed_case, operator_user, pdf_bytes())
    assert raised.value.status == 503
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_sha256_and_size_are_recorded_and_the_bytes_stored_intact(
    filed_case: Case, operator_user: Any
) -> None:
    content = pdf_bytes()
    document = upload(filed_case, operator_user, content)
    document.refresh_from_db()
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    with document.file.open("rb") as stored:
        assert stored.read() == content


def test_stored_name_is_random_and_the_shown_name_sanitised(filed_case: Case, operator_user: Any) -> None:
    document = upload(filed_case, operator_user, pdf_bytes(), name="..\\..\\C:\\secret\\سند ملک.pdf")
    assert document.original_name == "سند ملک.pdf"
    assert document.file.name.startswith(f"cases/{filed_case.pk}/")
    assert "سند" not in document.file.name
    assert ".pdf" not in document.file.name


def test_reupload_supersedes_the_previous_upload(filed_case: Case, operator_user: Any) -> None:
    first = upload(filed_case, operator_user, pdf_bytes(), name="1.pdf")
    second = upload(filed_case, operator_user, jpeg_bytes(), name="2.jpg")
    first.refresh_from_db()
    assert first.superseded
    assert not second.superseded
    assert second.status == DocumentStatus.PENDING
    assert first.file.storage.exists(first.file.name)  # the old file is kept for the record


def test_upload_appends_a_public_timeline_event(filed_case: Case, operator_user: Any) -> None:
    document = upload(filed_case, operator_user, pdf_bytes())
    event = CaseEvent.objects.filter(case=filed_case, kind=EventKind.DOCUMENT).get()
    assert event.public
    assert event.actor == operator_user
    assert event.actor_role == "office_operator"
    assert event.payload == {"document": document.pk, "requirement": "deed", "sha256": document.sha256}
    assert "سند مالکیت" in event.message


def test_stranger_cannot_upload(filed_case: Case, stranger_user: Any) -> None:
    with pytest.raises(Forbidden) as raised:
        upload(filed_case, stranger_user, pdf_bytes())
    assert raised.value.code == "document.upload_forbidden"


def test_citizen_can_upload_to_their_own_case(filed_case: Case, citizen_user: Any) -> None:
    document = upload(filed_case, citizen_user, jpeg_bytes(), requirement="photo", name="IMG_1.jpg")
    assert document.uploaded_by == citizen_user


def test_closed_case_takes_no_uploads(filed_case: Case, operator_user: Any) -> None:
    Case.objects.filter(pk=filed_case.pk).update(closed_at=timezone.now())
    filed_case.refresh_from_db()
    with pytest.raises(Conflict) as raised:
        upload(filed_case, operator_user, pdf_bytes())
    assert raised.value.code == "document.case_closed"


def test_case_closed_while_uploading_leaves_no_orphan_file(
    filed_case: Case, operator_user: Any, media_root: Path
) -> None:
    # The caller's copy still looks open; the row was closed meanwhile. The file is written before
    # the locked re-check fails, and must be removed again.
    Case.objects.filter(pk=filed_case.pk).update(closed_at=timezone.now())
    with pytest.raises(Conflict):
        upload(filed_case, operator_user, pdf_bytes())
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
