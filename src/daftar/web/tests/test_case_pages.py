"""The case engine's pages: counter desk, online filing, case page, inbox, my cases, tracking."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from daftar.accounts.models import Person, User
from daftar.cases.models import Case
from daftar.cases.tracking import display
from daftar.conftest import captcha_answer
from daftar.documents.models import Document
from daftar.offices.models import Office
from daftar.offices.services import staff_assign

pytestmark = pytest.mark.django_db
INTAKE = {"renewal_code": "۳-۱۲۳-۴۵-۶", "deed_number": "۱۲۳۴۵", "floors": "۴", "use": "residential"}


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


def deed(content: bytes | None = None, name: str = "deed.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, pdf_bytes() if content is None else content, content_type="application/pdf"
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk(operator_user: Any, applicant_person: Person) -> Client:
    """An operator at the counter with the applicant already chosen (step 1 done)."""
    client = signed_in(operator_user)
    response = client.post(reverse("web:desk"), {"step": "find", "national_code": "۰۰۱۲۳۴۵۶۷۹"})
    assert response.status_code == 302
    return client


def _file_form(client: Client, code: str) -> tuple[str, str]:
    html = client.get(reverse("web:desk_file", args=[code])).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html)
    assert key is not None
    return html, key.group(1)


def _track_fields(client: Client) -> dict[str, str]:
    page = client.get(reverse("web:track")).content.decode()
    hashkey = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page)
    assert hashkey is not None
    return {"captcha_0": hashkey.group(1), "captcha_1": captcha_answer(hashkey.group(1))}


# --- the counter desk ------------------------------------------------------------------------------


def test_desk_registers_a_new_applicant_then_files_with_a_document_and_prints_a_receipt(
    operator_user: Any, service_version: Any
) -> None:
    client = signed_in(operator_user)
    response = client.post(reverse("web:desk"), {"step": "find", "national_code": "0084575948"})
    assert response.status_code == 200
    assert "ثبت متقاضی جدید" in response.content.decode()
    response = client.post(
        reverse("web:desk"),
        {
            "step": "register",
            "reg-kind": "real",
            "reg-national_code": "0084575948",
            "reg-first_name": "علی",
            "reg-last_name": "کریمی",
            "reg-mobile": "09121112233",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:desk_services")
    services = client.get(reverse("web:desk_services")).content.decode()
    assert "گواهی عدم خلاف" in services
    assert "علی کریمی" in services
    html, key = _file_form(client, service_version.code)
    assert "کد نوسازی" in html
    assert "مسکونی" in html
    assert 'type="file"' in html
    response = client.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "idempotency_key": key, "doc_deed": deed()},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:desk_receipt", args=[case.tracking_code])
    assert case.applicant.national_code == "0084575948"
    assert case.data["renewal_code"] == "3-123-45-6"
    assert case.data["floors"] == 4
    assert Document.objects.filter(case=case, requirement="deed").count() == 1
    receipt = client.get(response["Location"]).content.decode()
    assert display(case.tracking_code) in receipt
    assert "سند مالکیت" in receipt  # the documents received
    assert f"/track/?code={case.tracking_code}" in receipt


def test_a_form_with_errors_keeps_the_input_and_writes_nothing(desk: Client, service_version: Any) -> None:
    _html, key = _file_form(desk, service_version.code)
    response = desk.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "deed_number": "", "floors": "۷۰۰", "idempotency_key": key, "doc_deed": deed()},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="۳-۱۲۳-۴۵-۶"' in html  # what was typed is still there
    assert 'id="id_deed_number_errors"' in html
    assert 'id="id_floors_errors"' in html
    assert not Case.objects.exists()
    assert not Document.objects.exists()


def test_an_invalid_value_found_by_the_engine_is_shown_on_its_field(
    desk: Client, service_version: Any
) -> None:
    _html, key = _file_form(desk, service_version.code)
    response = desk.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "renewal_code": "abc", "idempotency_key": key, "doc_deed": deed()},
    )
    assert response.status_code == 400
    assert 'id="id_renewal_code_errors"' in response.content.decode()
    assert not Case.objects.exists()


def test_a_refused_file_leaves_no_case_behind(desk: Client, service_version: Any) -> None:
    _html, key = _file_form(desk, service_version.code)
    html_file = SimpleUploadedFile("deed.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "application/pdf")
    response = desk.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "idempotency_key": key, "doc_deed": html_file},
    )
    assert response.status_code == 400
    assert 'id="id_doc_deed_errors"' in response.content.decode()
    assert not Case.objects.exists()
    assert not Document.objects.exists()
    # The same key may be used again once the file is fixed: nothing was kept under it.
    response = desk.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "idempotency_key": key, "doc_deed": deed()},
    )
    assert response.status_code == 302
    assert Case.objects.count() == 1


def _stored_files() -> int:
    from django.conf import settings

    root = Path(settings.MEDIA_ROOT) / "cases"
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.exists() else 0


def test_a_second_file_refused_also_undoes_the_first(desk: Client, service_version: Any) -> None:
    _html, key = _file_form(desk, service_version.code)
    files_before = _stored_files()
    response = desk.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "idempotency_key": key, "doc_deed": deed(), "doc_photo": deed(b"not an image", "p.jpg")},
    )
    assert response.status_code == 400
    assert 'id="id_doc_photo_errors"' in response.content.decode()
    assert not Case.objects.exists()
    assert not Document.objects.exists()
    assert _stored_files() == files_before  # the deed already written was removed again


def test_a_double_submit_with_the_same_key_files_once(desk: Client, service_version: Any) -> None:
    _html, key = _file_form(desk, service_version.code)
    url = reverse("web:desk_file", args=[service_version.code])
    first = desk.post(url, {**INTAKE, "idempotency_key": key, "doc_deed": deed()})
    second = desk.post(url, {**INTAKE, "idempotency_key": key, "doc_deed": deed()})
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1
    assert Document.objects.count() == 1


def test_the_desk_is_only_for_office_staff(reviewer_user: Any, citizen_user: Any) -> None:
    response = signed_in(reviewer_user).get(reverse("web:desk"))
    assert response.status_code == 403
    assert "اجازه ندارید" in response.content.decode()
    assert signed_in(citizen_user).get(reverse("web:desk")).status_code == 403
    anonymous = Client().get(reverse("web:desk"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("web:staff_signin"))


def test_an_operator_of_a_suspended_office_gets_no_desk(operator_user: Any, office: Office) -> None:
    office.licence_status = "suspended"
    office.save()
    assert signed_in(operator_user).get(reverse("web:desk")).status_code == 403


def test_the_desk_never_takes_an_applicant_from_the_form(desk: Client, service_version: Any) -> None:
    other = Person.objects.create(national_code="0084575948", first_name="دیگری", last_name="کسی")
    _html, key = _file_form(desk, service_version.code)
    desk.post(
        reverse("web:desk_file", args=[service_version.code]),
        {**INTAKE, "idempotency_key": key, "doc_deed": deed(), "applicant": other.pk},
    )
    assert Case.objects.get().applicant.national_code == "0012345679"


# --- the case page -------------------------------------------------------------------------------


def _case_with_deed(filed_case: Case, operator_user: Any) -> Document:
    from daftar.documents.services import document_upload

    return document_upload(
        case=filed_case, requirement="deed", content=pdf_bytes(), file_name="d.pdf", actor=operator_user
    )


def test_the_case_page_shows_labels_titles_and_timeline(filed_case: Case, operator_user: Any) -> None:
    document = _case_with_deed(filed_case, operator_user)
    html = signed_in(operator_user).get(reverse("web:case", args=[filed_case.tracking_code])).content.decode()
    assert "کد نوسازی" in html
    assert "مسکونی" in html
    assert "در انتظار بررسی" in html  # the state's Persian name
    assert reverse("documents:download", args=[document.pk]) in html
    assert 'name="expected_version"' in html
    assert 'data-action="withdraw"' in html
    assert "پرونده در دفتر خدمات الکترونیک شهر کد ۱۱۰۲ — ونک ثبت شد" in html  # the timeline
    assert "مریم کاظمی" in html  # staff see who acted


def test_the_case_page_reads_in_english_too(filed_case: Case, operator_user: Any) -> None:
    client = signed_in(operator_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("web:case", args=[filed_case.tracking_code])).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "Awaiting review" in html
    assert "No-violation certificate" in html


def test_a_stranger_and_another_office_get_404_like_a_missing_case(
    filed_case: Case, city: Any, zone: Any
) -> None:
    url = reverse("web:case", args=[filed_case.tracking_code])
    stranger = User.objects.create_user(username="09350000000", mobile="09350000000")
    assert signed_in(stranger).get(url).status_code == 404
    other_office = Office.objects.create(
        city=city, zone=zone, code="2207", name="دفتر ۲۲۰۷", licence_status="active"
    )
    other = User.objects.create_user(username="operator2", password="x-test-password-1405")
    staff_assign(user=other, role="office_operator", city=city, office=other_office)
    assert signed_in(other).get(url).status_code == 404
    assert signed_in(other).get(reverse("web:case", args=["ABCDEFGHJK"])).status_code == 404
    assert (
        signed_in(other).get(reverse("web:desk_receipt", args=[filed_case.tracking_code])).status_code == 404
    )


def test_the_applicant_sees_their_case_without_internal_details(filed_case: Case, citizen_user: Any) -> None:
    response = signed_in(citizen_user).get(reverse("web:case", args=[filed_case.tracking_code]))
    assert response.status_code == 200
    assert "تأیید مدارک" not in response.content.decode()  # a reviewer's action is not offered


def test_an_operator_sees_no_review_forms_and_forged_reviews_are_refused(
    filed_case: Case, operator_user: Any
) -> None:
    document = _case_with_deed(filed_case, operator_user)
    client = signed_in(operator_user)
    html = client.get(reverse("web:case", args=[filed_case.tracking_code])).content.decode()
    review_url = reverse("web:document_review", args=[filed_case.tracking_code, document.pk])
    assert review_url not in html
    assert 'data-action="accept"' not in html
    forged = client.post(review_url, {"verdict": "verify"})
    assert forged.status_code == 403
    document.refresh_from_db()
    assert document.status == "pending"
    act = client.post(
        reverse("web:case_act", args=[filed_case.tracking_code]), {"action": "accept", "expected_version": 1}
    )
    assert act.status_code in (403, 409)
    filed_case.refresh_from_db()
    assert filed_case.state == "submitted"


def test_a_reviewer_rejects_a_document_with_a_reason_and_the_case_goes_to_correction(
    filed_case: Case, operator_user: Any, reviewer_user: Any
) -> None:
    document = _case_with_deed(filed_case, operator_user)
    client = signed_in(reviewer_user)
    url = reverse("web:document_review", args=[filed_case.tracking_code, document.pk])
    no_reason = client.post(url, {"verdict": "reject", "reason": ""})
    assert no_reason.status_code == 400
    document.refresh_from_db()
    assert document.status == "pending"
    response = client.post(url, {"verdict": "reject", "reason": "سند ناخوانا است"})
    assert response.status_code == 302
    filed_case.refresh_from_db()
    assert filed_case.state == "correction"
    page = client.get(response["Location"]).content.decode()
    assert "نقص مدارک" in page
    assert "سند ناخوانا است" in page


def test_acting_on_a_stale_version_answers_409_in_persian(filed_case: Case, reviewer_user: Any) -> None:
    client = signed_in(reviewer_user)
    url = reverse("web:case_act", args=[filed_case.tracking_code])
    first = client.post(url, {"action": "suspend", "expected_version": 1, "reason": "استعلام"})
    assert first.status_code == 302
    stale = client.post(url, {"action": "resume", "expected_version": 1, "reason": "ادامه"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "پرونده در این فاصله تغییر کرده است" in html
    assert "ادامه" in html  # the reason typed is kept


def test_a_required_reason_missing_is_a_field_error(filed_case: Case, reviewer_user: Any) -> None:
    response = signed_in(reviewer_user).post(
        reverse("web:case_act", args=[filed_case.tracking_code]), {"action": "reject", "expected_version": 1}
    )
    assert response.status_code == 400
    assert 'id="reason-reject-errors"' in response.content.decode()


def test_the_applicant_uploads_a_new_file_and_rates_the_closed_case(
    filed_case: Case, citizen_user: Any, operator_user: Any
) -> None:
    client = signed_in(citizen_user)
    url = reverse("web:document_upload", args=[filed_case.tracking_code])
    assert client.post(url, {"requirement": "deed", "file": deed()}).status_code == 302
    assert Document.objects.filter(case=filed_case, uploaded_by=citizen_user).exists()
    withdraw = client.post(
        reverse("web:case_act", args=[filed_case.tracking_code]),
        {"action": "withdraw", "expected_version": 1},
    )
    assert withdraw.status_code == 302
    page = client.get(reverse("web:case", args=[filed_case.tracking_code])).content.decode()
    assert reverse("web:case_rate", args=[filed_case.tracking_code]) in page
    assert url not in page  # a closed case takes no more files
    rated = client.post(
        reverse("web:case_rate", args=[filed_case.tracking_code]), {"rating": "5", "comment": "خوب"}
    )
    assert rated.status_code == 302
    filed_case.refresh_from_db()
    assert filed_case.rating == 5
    again = client.post(reverse("web:case_rate", args=[filed_case.tracking_code]), {"rating": "4"})
    assert again.status_code == 409


# --- inbox and my cases ----------------------------------------------------------------------------


def test_the_inbox_lists_waiting_cases_overdue_first_and_searches(
    filed_case: Case, reviewer_user: Any, citizen_user: Any
) -> None:
    Case.objects.filter(pk=filed_case.pk).update(overdue=True, escalated=True)
    client = signed_in(reviewer_user)
    html = client.get(reverse("web:inbox")).content.decode()
    assert f'data-tracking-code="{filed_case.tracking_code}"' in html
    assert "تأخیر" in html
    assert "گواهی عدم خلاف" in html
    assert "سارا احمدی" in html
    found = client.get(reverse("web:inbox"), {"q": "۰۰۱۲۳۴۵۶۷۹"}).content.decode()
    assert f'data-tracking-code="{filed_case.tracking_code}"' in found
    missing = client.get(reverse("web:inbox"), {"q": "ZZZZZ"}).content.decode()
    assert f'data-tracking-code="{filed_case.tracking_code}"' not in missing
    assert signed_in(citizen_user).get(reverse("web:inbox")).status_code == 403


def test_the_inbox_costs_the_same_queries_for_one_case_or_many(
    filed_case: Case, reviewer_user: Any, operator_user: Any, citizen_user: Any, service_version: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from daftar.cases.services import case_file

    client = signed_in(reviewer_user)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("web:inbox"))
    for _n in range(5):
        case_file(
            service=service_version,
            applicant=citizen_user.person,
            office=filed_case.office,
            channel="office",
            data=INTAKE,
            actor=operator_user,
        )
    with CaptureQueriesContext(connection) as six:
        html = client.get(reverse("web:inbox")).content.decode()
    assert html.count("data-tracking-code=") == 6
    assert len(six) == len(one)


def test_my_cases_lists_the_citizens_own_cases(filed_case: Case, citizen_user: Any) -> None:
    html = signed_in(citizen_user).get(reverse("web:my_cases")).content.decode()
    assert reverse("web:case", args=[filed_case.tracking_code]) in html
    assert "در انتظار بررسی" in html


def test_navigation_offers_each_user_their_pages(
    operator_user: Any, reviewer_user: Any, citizen_user: Any
) -> None:
    operator = signed_in(operator_user).get(reverse("web:home")).content.decode()
    reviewer = signed_in(reviewer_user).get(reverse("web:home")).content.decode()
    citizen = signed_in(citizen_user).get(reverse("web:home")).content.decode()
    anonymous = Client().get(reverse("web:home")).content.decode()
    assert reverse("web:desk") in operator
    assert reverse("web:inbox") in operator
    assert reverse("web:desk") not in reviewer
    assert reverse("web:inbox") in reviewer
    assert reverse("web:my_cases") in citizen
    assert reverse("web:inbox") not in citizen
    assert reverse("web:track") in anonymous
    assert reverse("web:services") in anonymous


# --- online filing -----------------------------------------------------------------------------------


def test_a_citizen_files_online_in_their_own_name(citizen_user: Any, service_version: Any, city: Any) -> None:
    client = signed_in(citizen_user)
    listing = client.get(reverse("web:services")).content.decode()
    assert reverse("web:apply", args=[service_version.code]) in listing
    html = client.get(reverse("web:apply", args=[service_version.code])).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html)
    assert key is not None
    response = client.post(
        reverse("web:apply", args=[service_version.code]),
        {**INTAKE, "idempotency_key": key.group(1), "doc_deed": deed()},
    )
    case = Case.objects.get()
    assert response["Location"] == reverse("web:case", args=[case.tracking_code])
    assert (case.channel, case.office, case.applicant_id) == ("online", None, citizen_user.person_id)


def test_a_citizen_without_details_is_sent_to_complete_them(service_version: Any) -> None:
    user = User.objects.create_user(username="09351112233", mobile="09351112233")
    response = signed_in(user).get(reverse("web:apply", args=[service_version.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:account")
    assert Client().get(reverse("web:apply", args=[service_version.code])).status_code == 302


# --- public tracking ---------------------------------------------------------------------------------


def _result(html: str) -> str:
    """The page without what changes on every render (CSRF token, captcha)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"captcha/image/[0-9a-f]+|value=\"[0-9a-f]{40}\"", "", html)


def test_tracking_answers_the_same_for_an_unknown_code_and_a_wrong_national_code(filed_case: Case) -> None:
    client = Client()
    wrong = client.post(
        reverse("web:track"),
        {"tracking_code": filed_case.tracking_code, "national_code": "0084575948", **_track_fields(client)},
    )
    unknown = client.post(
        reverse("web:track"),
        {"tracking_code": "ABCDEFGHJK", "national_code": "0012345679", **_track_fields(client)},
    )
    assert wrong.status_code == unknown.status_code == 200
    assert _result(wrong.content.decode()) == _result(unknown.content.decode())
    right = client.post(
        reverse("web:track"),
        {
            "tracking_code": display(filed_case.tracking_code).lower(),
            "national_code": "۰۰۱۲۳۴۵۶۷۹",
            **_track_fields(client),
        },
    )
    html = right.content.decode()
    assert "در انتظار بررسی" in html
    assert "گواهی عدم خلاف" in html
    assert "operator1" not in html
    assert "کاظمی" not in html


@override_settings(DAFTAR_CASE_TRACK_RATE_PER_IP="2/m")
def test_tracking_is_rate_limited_per_connection(filed_case: Case) -> None:
    client = Client()
    for _attempt in range(2):
        client.post(reverse("web:track"), {"tracking_code": "ABCDEFGHJK", "national_code": "0012345679"})
    response = client.post(
        reverse("web:track"), {"tracking_code": filed_case.tracking_code, "national_code": "0012345679"}
    )
    assert response.status_code == 429
    assert "در انتظار بررسی" not in response.content.decode()
