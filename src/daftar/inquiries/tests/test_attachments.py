"""Attachments of an agency's answer: checked like documents (type by content, size, virus scan),
kept only while the inquiry is pending, all or nothing with the answer, and only for their own agency."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

from daftar.cases.models import Case, CaseEvent
from daftar.core.errors import Conflict, InvalidValue
from daftar.documents.errors import ServiceUnavailable
from daftar.documents.scanning import EICAR
from daftar.inquiries.models import Agency, AgencyKey, Inquiry, InquiryAttachment, InquiryState
from daftar.inquiries.services import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    AttachmentRefused,
    agency_key_create,
    inquiry_answer,
    inquiry_answer_with_attachments,
    inquiry_attach,
)

from .conftest import bearer, pdf_bytes, stored_files

pytestmark = pytest.mark.django_db

WATER_ANSWER = {"branch_status": "active", "debt_rials": 0}
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.7 %%EOF</body></html>"


def _stored(media_root: Path) -> list[Path]:
    """The attachment files in storage (the case's own documents live elsewhere)."""
    return stored_files(media_root / "inquiries")


def _water(case: Case) -> Inquiry:
    return Inquiry.objects.select_related("case", "inquiry_type", "agency").get(
        case=case, agency__code="water"
    )


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _pdf_with_eicar() -> bytes:
    return pdf_bytes().replace(b"\n", b"\n%" + EICAR + b"\n", 1)


def _too_large_pdf() -> bytes:
    head, tail = b"%PDF-1.4\n%", b"\n%%EOF\n"
    return head + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(head) - len(tail)) + tail


@pytest.fixture
def water_key(sent: Case) -> tuple[AgencyKey, str]:
    issued = agency_key_create(agency=Agency.objects.get(code="water"), name="سامانه آبفا")
    return issued.key, issued.secret


# --- the service ---------------------------------------------------------------------------------------


def test_a_pdf_is_attached_under_a_random_name_with_its_checksum(
    sent: Case, water_key: tuple[AgencyKey, str], media_root: Path
) -> None:
    inquiry = _water(sent)
    content = pdf_bytes()
    attachment = inquiry_attach(
        inquiry=inquiry, content=content, file_name="C:\\letters\\نامه ۱۲۳.pdf", key=water_key[0]
    )
    assert attachment.pk is not None
    assert attachment.original_name == "نامه ۱۲۳.pdf"  # base name only
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by_key == water_key[0]
    assert attachment.uploaded_by is None
    assert attachment.file.name.startswith(f"inquiries/{inquiry.pk}/")
    assert "نامه" not in attachment.file.name  # never the uploader's name
    assert _stored(media_root) == [media_root / attachment.file.name]
    assert (media_root / attachment.file.name).read_bytes() == content


def test_jpeg_and_png_are_accepted_too(sent: Case) -> None:
    attachment = inquiry_attach(inquiry=_water(sent), content=_png(), file_name="map.jpg")
    assert attachment.content_type == "image/png"  # judged by the bytes, not by the name


def test_html_named_pdf_is_refused_with_the_allowed_types_named(sent: Case, media_root: Path) -> None:
    with pytest.raises(InvalidValue) as raised:
        inquiry_attach(inquiry=_water(sent), content=HTML_AS_PDF, file_name="letter.pdf")
    assert raised.value.code == "inquiry.attachment_type"
    with translation.override("fa"):
        message = str(raised.value)
    assert "PDF / JPEG / PNG" in message
    assert "پیوست" in message  # in Persian
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_an_empty_or_too_large_file_is_refused(sent: Case, media_root: Path) -> None:
    with pytest.raises(InvalidValue) as empty:
        inquiry_attach(inquiry=_water(sent), content=b"", file_name="a.pdf")
    assert empty.value.code == "inquiry.attachment_empty"
    with pytest.raises(InvalidValue) as large:
        inquiry_attach(inquiry=_water(sent), content=_too_large_pdf(), file_name="big.pdf")
    assert large.value.code == "inquiry.attachment_too_large"
    with translation.override("fa"):
        assert "۱۰" in str(large.value)
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_an_infected_file_is_refused_and_nothing_is_stored(sent: Case, media_root: Path) -> None:
    with pytest.raises(InvalidValue) as raised:
        inquiry_attach(inquiry=_water(sent), content=_pdf_with_eicar(), file_name="letter.pdf")
    assert raised.value.code == "inquiry.attachment_infected"
    assert "Eicar-Test-Signature" in str(raised.value)
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_an_unreachable_scanner_refuses_the_file(sent: Case, settings: Settings, media_root: Path) -> None:
    settings.DAFTAR_VIRUS_SCANNER = "clamd"
    settings.DAFTAR_CLAMD_HOST = "127.0.0.1"
    settings.DAFTAR_CLAMD_PORT = 1  # nothing listens there
    settings.DAFTAR_CLAMD_TIMEOUT = 2
    with pytest.raises(ServiceUnavailable) as raised:
        inquiry_attach(inquiry=_water(sent), content=pdf_bytes(), file_name="letter.pdf")
    assert raised.value.code == "document.scanning_unavailable"
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_an_answered_inquiry_takes_no_attachments(sent: Case, media_root: Path) -> None:
    inquiry = _water(sent)
    inquiry_answer(inquiry=inquiry, outcome="positive", data=WATER_ANSWER)
    with pytest.raises(Conflict) as raised:
        inquiry_attach(inquiry=inquiry, content=pdf_bytes(), file_name="late.pdf")
    assert raised.value.code == "inquiry.not_pending"
    assert _stored(media_root) == []


def test_answered_meanwhile_leaves_no_orphan_file(sent: Case, media_root: Path) -> None:
    # The caller's copy still looks pending; the row was answered meanwhile. The file is written
    # before the locked re-check fails, and must be removed again.
    inquiry = _water(sent)
    Inquiry.objects.filter(pk=inquiry.pk).update(state=InquiryState.ANSWERED, answered_at=timezone.now())
    with pytest.raises(Conflict):
        inquiry_attach(inquiry=inquiry, content=pdf_bytes(), file_name="letter.pdf")
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_a_closed_cases_inquiry_takes_no_attachments(sent: Case) -> None:
    Case.objects.filter(pk=sent.pk).update(closed_at=timezone.now())
    with pytest.raises(Conflict) as raised:
        inquiry_attach(inquiry=_water(sent), content=pdf_bytes(), file_name="letter.pdf")
    assert raised.value.code == "inquiry.case_closed"


def test_at_most_five_attachments(sent: Case) -> None:
    inquiry = _water(sent)
    for index in range(MAX_ATTACHMENTS):
        inquiry_attach(inquiry=inquiry, content=pdf_bytes(), file_name=f"{index}.pdf")
    with pytest.raises(Conflict) as raised:
        inquiry_attach(inquiry=inquiry, content=pdf_bytes(), file_name="one-too-many.pdf")
    assert raised.value.code == "inquiry.too_many_attachments"
    assert inquiry.attachments.count() == MAX_ATTACHMENTS


def test_attachments_and_answer_are_kept_together_and_named_in_the_timeline(
    sent: Case, django_capture_on_commit_callbacks: Any
) -> None:
    inquiry = _water(sent)
    with django_capture_on_commit_callbacks(execute=True):
        answered = inquiry_answer_with_attachments(
            inquiry=inquiry,
            outcome="positive",
            data=WATER_ANSWER,
            files=[(pdf_bytes(), "letter.pdf"), (_png(), "map.png")],
        )
    assert answered.state == InquiryState.ANSWERED
    ids = sorted(inquiry.attachments.values_list("pk", flat=True))
    assert len(ids) == 2
    event = CaseEvent.objects.get(case=sent, action="inquiry_answered")
    assert sorted(event.payload["attachments"]) == ids


def test_a_refused_answer_removes_the_files_attached_with_it(sent: Case, media_root: Path) -> None:
    inquiry = _water(sent)
    with pytest.raises(InvalidValue) as raised:
        inquiry_answer_with_attachments(
            inquiry=inquiry,
            outcome="negative",  # an objection needs an explanation: refused after the files were written
            data=WATER_ANSWER,
            files=[(pdf_bytes(), "letter.pdf"), (_png(), "map.png")],
        )
    assert raised.value.code == "inquiry.note_required"
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


def test_a_refused_file_refuses_the_answer_and_names_the_file(sent: Case, media_root: Path) -> None:
    inquiry = _water(sent)
    with pytest.raises(AttachmentRefused) as raised:
        inquiry_answer_with_attachments(
            inquiry=inquiry,
            outcome="positive",
            data=WATER_ANSWER,
            files=[(pdf_bytes(), "letter.pdf"), (HTML_AS_PDF, "map.pdf")],
        )
    assert raised.value.file_name == "map.pdf"
    assert raised.value.error.code == "inquiry.attachment_type"
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []  # the first file, written, was removed again
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


# --- the agency API --------------------------------------------------------------------------------------


def _post_file(client: Client, inquiry: Inquiry, secret: str, content: bytes, name: str) -> Any:
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(
        f"/api/v1/agency/inquiries/{inquiry.pk}/attachments", {"file": upload}, **bearer(secret)
    )


def test_an_agency_attaches_a_pdf_then_answers_and_sees_it_listed(
    client: Client, sent: Case, water_key: tuple[AgencyKey, str]
) -> None:
    secret = water_key[1]
    inquiry = _water(sent)
    content = pdf_bytes()
    response = _post_file(client, inquiry, secret, content, "letter.pdf")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "original_name": "letter.pdf",
        "content_type": "application/pdf",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    detail = client.get(f"/api/v1/agency/inquiries/{inquiry.pk}", **bearer(secret)).json()
    assert detail["attachments"] == [body]
    listed = client.get("/api/v1/agency/inquiries", **bearer(secret)).json()["results"]
    assert listed[0]["attachments"] == [body]
    answer = client.post(
        f"/api/v1/agency/inquiries/{inquiry.pk}/answer",
        {"outcome": "positive", "data": WATER_ANSWER},
        content_type="application/json",
        **bearer(secret),
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["attachments"] == [body]
    assert InquiryAttachment.objects.get().uploaded_by_key == water_key[0]
    # answered: no more attachments
    late = _post_file(client, inquiry, secret, pdf_bytes(), "late.pdf")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "inquiry.not_pending"


def test_the_api_refuses_html_named_pdf_too_large_and_infected_files(
    client: Client, sent: Case, water_key: tuple[AgencyKey, str], media_root: Path
) -> None:
    secret, inquiry = water_key[1], _water(sent)
    html = _post_file(client, inquiry, secret, HTML_AS_PDF, "letter.pdf")
    assert html.status_code == 400
    assert html.json()["error"]["code"] == "inquiry.attachment_type"
    assert "PDF / JPEG / PNG" in html.json()["error"]["message"]
    large = _post_file(client, inquiry, secret, _too_large_pdf(), "big.pdf")
    assert large.status_code == 400
    assert large.json()["error"]["code"] == "inquiry.attachment_too_large"
    infected = _post_file(client, inquiry, secret, _pdf_with_eicar(), "letter.pdf")
    assert infected.status_code == 400
    assert infected.json()["error"]["code"] == "inquiry.attachment_infected"
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_another_agency_gets_404_and_nothing_is_stored(client: Client, sent: Case, media_root: Path) -> None:
    gas_key = agency_key_create(agency=Agency.objects.get(code="gas"), name="gas").secret
    response = _post_file(client, _water(sent), gas_key, pdf_bytes(), "letter.pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "inquiry.not_found"
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []


def test_an_attachment_needs_a_key(client: Client, sent: Case) -> None:
    upload = SimpleUploadedFile("letter.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(f"/api/v1/agency/inquiries/{_water(sent).pk}/attachments", {"file": upload})
    assert response.status_code == 401
    assert not InquiryAttachment.objects.exists()
