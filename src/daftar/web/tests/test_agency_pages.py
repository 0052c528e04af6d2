"""The agency clerk's pages (/agency/) and the case page's inquiries section."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from pytest_django.fixtures import Settings

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import case_act, case_file
from daftar.cases.tracking import display
from daftar.catalog.selectors import service_current
from daftar.catalog.services import catalog_load
from daftar.documents.models import Document
from daftar.documents.services import document_upload
from daftar.inquiries.models import Agency, Inquiry, InquiryAttachment, InquiryState
from daftar.inquiries.services import agency_member_add

pytestmark = pytest.mark.django_db

UTILITIES = {"renewal_code": "3-123-45-6-7-8", "water_bill_id": "1234567890", "purpose": "transfer"}
VALID_ANSWER = {"outcome": "positive", "answer-branch_status": "active", "answer-debt_rials": "۰"}


def _pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _clerk(username: str, *codes: str) -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405")
    for code in codes:
        agency_member_add(agency=Agency.objects.get(code=code), user=user)
    return user


@pytest.fixture
def sent(
    db: None,
    office: Any,
    operator_user: User,
    reviewer_user: User,
    citizen_user: User,
    django_capture_on_commit_callbacks: Any,
    tehran_tariffs: None,
    pay_case_bills: Any,
) -> Case:
    """A utility inquiry case with its deed and bills, paid and accepted, so its four inquiries went out."""
    catalog_load(directory=settings.DAFTAR_CATALOG_DIR)
    service = service_current(code="inquiry.utilities")
    assert service is not None
    case = case_file(
        service=service,
        applicant=citizen_user.person,
        office=office,
        channel="office",
        data=UTILITIES,
        actor=operator_user,
    )
    for code in ("deed", "latest_bills"):
        document_upload(
            case=case, requirement=code, content=_pdf(), file_name=f"{code}.pdf", actor=operator_user
        )
    pay_case_bills(case)
    with django_capture_on_commit_callbacks(execute=True):
        case_act(case=case, action="accept", actor=reviewer_user, expected_version=case.version)
    case.refresh_from_db()
    assert Inquiry.objects.filter(case=case).count() == 4
    return case


@pytest.fixture
def water_clerk(sent: Case) -> User:
    return _clerk("water-clerk", "water")


@pytest.fixture
def gas_clerk(sent: Case) -> User:
    return _clerk("gas-clerk", "gas")


def _water(case: Case) -> Inquiry:
    return Inquiry.objects.get(case=case, agency__code="water")


def _page(inquiry: Inquiry) -> str:
    return reverse("web:agency_inquiry", args=[inquiry.pk])


def _errors(html: str, field_id: str) -> str:
    """The text of a field's error list (empty when it has none)."""
    found = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_errors"[^>]*>(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


# --- the agency's list -------------------------------------------------------------------------------


def test_a_clerk_sees_only_their_agencys_inquiries(sent: Case, water_clerk: User) -> None:
    response = signed_in(water_clerk).get(reverse("web:agency_inbox"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-inquiry="{_water(sent).pk}"' in html
    assert html.count("data-inquiry=") == 1  # gas, electricity and telecom are not here
    assert display(sent.tracking_code) in html
    assert "استعلام وضعیت انشعاب و بدهی" in html
    assert "در انتظار پاسخ" in html  # pending, in Persian
    assert f'href="{reverse("web:agency_inbox")}" aria-current="page">استعلام‌ها' in html  # the menu link


def test_the_list_filters_by_state(sent: Case, water_clerk: User) -> None:
    client = signed_in(water_clerk)
    assert "data-inquiry=" in client.get(reverse("web:agency_inbox"), {"status": "pending"}).content.decode()
    answered = client.get(reverse("web:agency_inbox"), {"status": "answered"}).content.decode()
    assert "data-inquiry=" not in answered


def test_a_clerk_of_several_agencies_picks_one(sent: Case) -> None:
    client = signed_in(_clerk("two-hats", "gas", "water"))
    first = client.get(reverse("web:agency_inbox")).content.decode()
    gas = Inquiry.objects.get(case=sent, agency__code="gas")
    assert f'data-inquiry="{gas.pk}"' in first  # the first by code
    response = client.post(reverse("web:agency_inbox"), {"agency": "water"})
    assert response.status_code == 302
    after = client.get(reverse("web:agency_inbox")).content.decode()
    assert f'data-inquiry="{_water(sent).pk}"' in after
    assert f'data-inquiry="{gas.pk}"' not in after


def test_only_agency_clerks_may_open_the_agency_pages(sent: Case, reviewer_user: User) -> None:
    response = signed_in(reviewer_user).get(reverse("web:agency_inbox"))
    assert response.status_code == 403
    assert "اجازه ندارید" in response.content.decode()
    assert signed_in(reviewer_user).get(_page(_water(sent))).status_code == 403
    anonymous = Client().get(reverse("web:agency_inbox"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("web:staff_signin"))
    # and the menu offers the page to nobody else
    assert (
        reverse("web:agency_inbox") not in signed_in(reviewer_user).get(reverse("web:inbox")).content.decode()
    )


# --- one inquiry and its answer ---------------------------------------------------------------------


def test_the_inquiry_page_shows_what_was_asked_under_the_services_labels(
    sent: Case, water_clerk: User
) -> None:
    html = signed_in(water_clerk).get(_page(_water(sent))).content.decode()
    assert "شناسه قبض آب" in html  # the intake field's Persian title
    assert "نقل و انتقال" in html  # an enum value shown by its title
    assert "سند مالکیت" not in html  # the deed is not shared with the water company
    for outcome in ("بدون مانع", "دارای مانع", "مشروط"):
        assert outcome in html
    assert 'name="answer-branch_status"' in html
    assert "وضعیت انشعاب" in html  # the answer schema's title
    assert sent.applicant.last_name not in html  # nothing else of the case


def test_a_valid_answer_is_recorded_and_shown_on_the_case_page(
    sent: Case, water_clerk: User, citizen_user: User, reviewer_user: User
) -> None:
    inquiry = _water(sent)
    client = signed_in(water_clerk)
    response = client.post(_page(inquiry), {**VALID_ANSWER, "reference": "W-1405-000123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:agency_inbox")
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.ANSWERED
    assert inquiry.outcome == "positive"
    assert inquiry.answer == {"branch_status": "active", "debt_rials": 0}
    assert inquiry.reference == "W-1405-000123"
    assert inquiry.answered_by == water_clerk
    assert "ثبت شد" in client.get(response["Location"]).content.decode()  # the success message
    for viewer in (citizen_user, reviewer_user):
        page = signed_in(viewer).get(reverse("web:case", args=[sent.tracking_code])).content.decode()
        assert "استعلام‌ها" in page
        assert f'data-inquiry="{inquiry.pk}" data-agency="water" data-state="answered"' in page
        assert "شرکت آب و فاضلاب" in page
        assert "بدون مانع" in page
        assert "W-1405-000123" in page
        assert "فعال" in page  # the answer's branch status, by its title
    # answered once only: a second answer is refused and the page shows the recorded one
    again = client.post(_page(inquiry), {**VALID_ANSWER, "outcome": "negative", "note": "دوباره"})
    assert again.status_code == 409
    assert 'name="outcome"' not in again.content.decode()
    assert "این استعلام دیگر پاسخی نمی‌پذیرد" in again.content.decode()
    inquiry.refresh_from_db()
    assert inquiry.outcome == "positive"


def test_an_invalid_answer_shows_persian_messages_on_its_fields_and_records_nothing(
    sent: Case, water_clerk: User
) -> None:
    inquiry = _water(sent)
    response = signed_in(water_clerk).post(
        _page(inquiry), {"outcome": "positive", "answer-branch_status": "broken", "answer-debt_rials": "-5"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "یک گزینهٔ معتبر انتخاب کنید" in _errors(html, "id_answer-branch_status")
    assert "بزرگتر و یا مساوی" in _errors(html, "id_answer-debt_rials")
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING
    assert inquiry.answer == {}


def test_an_objection_without_an_explanation_is_refused_on_the_note_field(
    sent: Case, water_clerk: User
) -> None:
    inquiry = _water(sent)
    response = signed_in(water_clerk).post(
        _page(inquiry), {**VALID_ANSWER, "outcome": "negative", "note": "  "}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "این فیلد اجباری است" in _errors(html, "id_note")  # the service's field message, in Persian
    assert re.search(r'<input[^>]*value="negative"[^>]*checked', html)  # what was chosen is kept
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


def test_another_agencys_clerk_gets_404_for_its_inquiry_and_documents(sent: Case, gas_clerk: User) -> None:
    inquiry = _water(sent)
    bills = Document.objects.get(case=sent, requirement="latest_bills")
    client = signed_in(gas_clerk)
    assert client.get(_page(inquiry)).status_code == 404
    assert client.post(_page(inquiry), VALID_ANSWER).status_code == 404
    assert client.get(reverse("web:agency_document", args=[inquiry.pk, bills.pk])).status_code == 404
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


# --- documents ---------------------------------------------------------------------------------------


def test_a_clerk_downloads_only_the_documents_the_inquiry_type_may_see(sent: Case, water_clerk: User) -> None:
    inquiry = _water(sent)
    bills = Document.objects.get(case=sent, requirement="latest_bills")
    deed = Document.objects.get(case=sent, requirement="deed")
    client = signed_in(water_clerk)
    url = reverse("web:agency_document", args=[inquiry.pk, bills.pk])
    assert url in client.get(_page(inquiry)).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.get(reverse("web:agency_document", args=[inquiry.pk, deed.pk])).status_code == 404
    other = Inquiry.objects.get(case=sent, agency__code="gas")  # the same file, through a stranger's inquiry
    assert client.get(reverse("web:agency_document", args=[other.pk, bills.pk])).status_code == 404


# --- the case page ------------------------------------------------------------------------------------


def test_the_case_page_reads_its_inquiries_in_one_query(sent: Case, citizen_user: User) -> None:
    client = signed_in(citizen_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("web:case", args=[sent.tracking_code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="inquiry') == 4
    assert "در انتظار پاسخ" in html
    assert sum('"inquiries_inquiry"' in q["sql"] for q in queries.captured_queries) == 1


def test_an_overdue_inquiry_is_marked_late(sent: Case, water_clerk: User, citizen_user: User) -> None:
    Inquiry.objects.filter(case=sent, agency__code="water").update(overdue=True)
    listing = signed_in(water_clerk).get(reverse("web:agency_inbox")).content.decode()
    assert 'class="overdue"' in listing
    assert "تأخیر" in listing
    page = signed_in(citizen_user).get(reverse("web:case", args=[sent.tracking_code])).content.decode()
    assert 'class="inquiry overdue"' in page


# --- attachments of an answer ---------------------------------------------------------------------------


def _stored(root: Path) -> list[Path]:
    """The attachment files in storage (the case's documents live elsewhere)."""
    folder = root / "inquiries"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DAFTAR_VIRUS_SCANNER = "signature"
    return Path(settings.MEDIA_ROOT)


def _upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_an_answer_with_a_pdf_shows_it_on_the_case_page_and_the_citizen_downloads_it(
    media_root: Path, sent: Case, water_clerk: User, citizen_user: User, gas_clerk: User
) -> None:
    inquiry = _water(sent)
    client = signed_in(water_clerk)
    form = client.get(_page(inquiry)).content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<input type="file" name="attachments"[^>]*multiple', form)
    letter = _pdf()
    response = client.post(
        _page(inquiry), {**VALID_ANSWER, "attachments": [_upload(letter, "نامه آبفا.pdf")]}
    )
    assert response.status_code == 302, response.content.decode()
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.ANSWERED
    attachment = InquiryAttachment.objects.get(inquiry=inquiry)
    assert attachment.uploaded_by == water_clerk
    url = reverse("web:inquiry_attachment", args=[sent.tracking_code, attachment.pk])
    citizen = signed_in(citizen_user)
    page = citizen.get(reverse("web:case", args=[sent.tracking_code])).content.decode()
    assert url in page
    assert "نامه آبفا.pdf" in page
    download = citizen.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content) == letter
    # the clerk downloads it from their own page; nobody else gets it
    agency_url = reverse("web:agency_attachment", args=[inquiry.pk, attachment.pk])
    assert agency_url in client.get(_page(inquiry)).content.decode()
    own = client.get(agency_url)
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == letter
    assert signed_in(gas_clerk).get(agency_url).status_code == 404
    assert signed_in(water_clerk).get(url).status_code == 404  # a clerk is no viewer of the case
    stranger = User.objects.create_user(username="stranger", password="x-test-password-1405")
    assert signed_in(stranger).get(url).status_code == 404
    gas = Inquiry.objects.get(case=sent, agency__code="gas")
    wrong = reverse("web:agency_attachment", args=[gas.pk, attachment.pk])
    assert signed_in(gas_clerk).get(wrong).status_code == 404  # their own inquiry, another's file


def test_a_refused_answer_keeps_no_attachment_and_no_file(
    media_root: Path, sent: Case, water_clerk: User
) -> None:
    inquiry = _water(sent)
    response = signed_in(water_clerk).post(
        _page(inquiry),
        {**VALID_ANSWER, "outcome": "negative", "note": "", "attachments": [_upload(_pdf(), "letter.pdf")]},
    )
    assert response.status_code == 400
    assert "این فیلد اجباری است" in _errors(response.content.decode(), "id_note")
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


def test_a_refused_file_is_named_on_the_form_and_nothing_is_kept(
    media_root: Path, sent: Case, water_clerk: User
) -> None:
    inquiry = _water(sent)
    html_page = b"<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.7 %%EOF</body></html>"
    response = signed_in(water_clerk).post(
        _page(inquiry),
        {**VALID_ANSWER, "attachments": [_upload(_pdf(), "letter.pdf"), _upload(html_page, "map.pdf")]},
    )
    assert response.status_code == 400
    errors = _errors(response.content.decode(), "id_attachments")
    assert "map.pdf" in errors
    assert "PDF / JPEG / PNG" in errors
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING


def test_the_form_refuses_more_files_than_the_inquiry_may_take(
    media_root: Path, sent: Case, water_clerk: User
) -> None:
    inquiry = _water(sent)
    client = signed_in(water_clerk)
    assert "حداکثر ۵ فایل" in client.get(_page(inquiry)).content.decode()  # the help text, in Persian
    files = [_upload(_pdf(), f"{index}.pdf") for index in range(6)]
    response = client.post(_page(inquiry), {**VALID_ANSWER, "attachments": files})
    assert response.status_code == 400
    assert "حداکثر ۵ فایل پیوست کنید" in _errors(response.content.decode(), "id_attachments")
    assert not InquiryAttachment.objects.exists()
    assert _stored(media_root) == []
    inquiry.refresh_from_db()
    assert inquiry.state == InquiryState.PENDING
