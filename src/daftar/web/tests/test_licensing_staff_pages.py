"""The licence application on the case page (the eligibility panel, scheduling and scoring the exam
and interview), the inspector's site visit, and the city's calls for applications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.core.jalali import format_jalali_datetime
from daftar.documents.tests.samples import pdf_bytes
from daftar.licensing.models import ApplicationCall, Assessment, SiteVisit, SiteVisitPhoto
from daftar.licensing.tests.builders import applicant, apply, licensing_services, municipal_user, open_call
from daftar.offices.models import City, Zone

from .licensing_flow import LICENCE, at_exam, at_site_visit, held_earlier, jpeg_upload, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def lic(city: City, zone: Zone, categories: Any, tehran_tariffs: Any) -> dict[str, Any]:
    """The licensing service, its officer and inspector, an open call with two places in district 3."""
    services = licensing_services()
    officer = municipal_user(city, "licensing1", Role.LICENSING_OFFICER)
    inspector = municipal_user(city, "inspector1", Role.TECHNICAL_INSPECTOR)
    call = open_call(city, zone, actor=officer)
    return {"service": services[LICENCE], "officer": officer, "inspector": inspector, "call": call}


def _jalali(delta: timedelta, *, persian: bool = False) -> str:
    return format_jalali_datetime(timezone.now() + delta, persian_digits=persian)


def _case_url(case: Case) -> str:
    return reverse("web:case", args=[case.tracking_code])


# --- the eligibility panel -------------------------------------------------------------------------


def test_the_panel_shows_each_rule_as_met_not_met_with_its_reason_or_pending(lic: dict[str, Any]) -> None:
    from daftar.licensing.tests.builders import verify_documents

    user = applicant()
    case = apply(lic["service"], user)
    verify_documents(case, lic["officer"], reject={"non_addiction": "تصویر گواهی ناخواناست"})
    for viewer in (user, lic["officer"]):
        html = signed_in(viewer).get(_case_url(case)).content.decode()
        assert "data-licence-panel" in html
        assert 'data-rule="applicant_iranian_citizen" data-rule-state="passed"' in html
        assert 'data-rule="applicant_not_addicted" data-rule-state="failed"' in html
        assert "تصویر گواهی ناخواناست" in html
        assert 'data-rule="applicant_passed_exam" data-rule-state="pending"' in html
        assert 'data-rule="premises_area" data-rule-state="pending"' in html
        assert lic["call"].title in html
        assert "منطقه ۳" in html
    # the applicant sees no staff forms
    assert 'data-form="schedule"' not in signed_in(user).get(_case_url(case)).content.decode()


def test_a_case_of_another_service_has_no_licence_panel(filed_case: Any, operator_user: Any) -> None:
    html = signed_in(operator_user).get(_case_url(filed_case)).content.decode()
    assert "data-licence-panel" not in html


def test_the_case_page_of_a_licence_application_costs_a_bounded_number_of_queries(
    lic: dict[str, Any], pay_case_bills: Any, django_assert_max_num_queries: Any
) -> None:
    case = at_exam(lic["service"], applicant(), lic["officer"], pay_case_bills)
    client = signed_in(lic["officer"])
    client.get(_case_url(case))  # warm the workflow cache
    with django_assert_max_num_queries(22):
        response = client.get(_case_url(case))
    assert response.status_code == 200


# --- exam and interview ----------------------------------------------------------------------------


def test_the_officer_schedules_then_records_the_exam_and_the_case_moves_to_the_interview(
    lic: dict[str, Any], pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = at_exam(lic["service"], applicant(), lic["officer"], pay_case_bills)
    client = signed_in(lic["officer"])
    assert 'data-form="schedule"' in client.get(_case_url(case)).content.decode()
    when = _jalali(timedelta(days=3), persian=True)
    response = client.post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": when, "schedule-place": "سالن ۲", "schedule-panel": "دکتر رحیمی"},
    )
    assert response.status_code == 302
    exam = Assessment.objects.get(application__case=case, kind="exam")
    assert (exam.place, exam.panel) == ("سالن ۲", "دکتر رحیمی")
    html = client.get(_case_url(case)).content.decode()
    assert "data-record-from" in html  # not held yet: no result form
    assert 'data-form="record"' not in html

    held_earlier(case, "exam")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:licence_assessment_record", args=[case.tracking_code, "exam"]),
            {"record-score": "۷۵٫۵", "record-notes": ""},
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "interview"
    exam.refresh_from_db()
    assert str(exam.score) == "75.50"
    html = client.get(_case_url(case)).content.decode()
    assert 'data-result="passed"' in html
    assert 'data-form="schedule"' in html  # now for the interview


def test_an_absent_applicant_fails_and_the_application_closes_as_not_qualified(
    lic: dict[str, Any], pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = at_exam(lic["service"], applicant(), lic["officer"], pay_case_bills)
    client = signed_in(lic["officer"])
    client.post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": _jalali(timedelta(days=1)), "schedule-place": "سالن ۲"},
    )
    held_earlier(case, "exam")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("web:licence_assessment_record", args=[case.tracking_code, "exam"]),
            {"record-absent": "on"},
        )
    case.refresh_from_db()
    assert case.state == "not_qualified"
    assert 'data-result="absent"' in client.get(_case_url(case)).content.decode()


def test_a_date_in_the_past_answers_400_in_persian_and_nothing_is_scheduled(
    lic: dict[str, Any], pay_case_bills: Any
) -> None:
    case = at_exam(lic["service"], applicant(), lic["officer"], pay_case_bills)
    response = signed_in(lic["officer"]).post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": _jalali(-timedelta(days=1)), "schedule-place": "سالن ۲"},
    )
    assert response.status_code == 400
    assert escape(gettext("The date must be in the future.")) in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_malformed_date_or_score_answers_400_and_writes_nothing(
    lic: dict[str, Any], pay_case_bills: Any
) -> None:
    case = at_exam(lic["service"], applicant(), lic["officer"], pay_case_bills)
    client = signed_in(lic["officer"])
    response = client.post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": "فردا ساعت ده", "schedule-place": "سالن ۲"},
    )
    assert response.status_code == 400
    assert 'id="id_schedule-scheduled_at_errors"' in response.content.decode()
    assert not Assessment.objects.exists()
    client.post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": _jalali(timedelta(days=1)), "schedule-place": "سالن ۲"},
    )
    held_earlier(case, "exam")
    response = client.post(
        reverse("web:licence_assessment_record", args=[case.tracking_code, "exam"]), {"record-score": "۱۲۰"}
    )
    assert response.status_code == 400
    assert escape(gettext("The score must be a number from 0 to 100.")) in response.content.decode()
    assert not Assessment.objects.get().is_recorded


def test_recording_before_the_exam_is_held_answers_409(lic: dict[str, Any], pay_case_bills: Any) -> None:
    case = at_exam(lic["service"], applicant(), lic["officer"], pay_case_bills)
    client = signed_in(lic["officer"])
    client.post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": _jalali(timedelta(days=1)), "schedule-place": "سالن ۲"},
    )
    response = client.post(
        reverse("web:licence_assessment_record", args=[case.tracking_code, "exam"]), {"record-score": "80"}
    )
    assert response.status_code == 409
    assert (
        escape(gettext("The result can be recorded only after it has been held."))
        in response.content.decode()
    )
    assert not Assessment.objects.get().is_recorded


def test_scheduling_an_exam_before_the_documents_are_accepted_answers_409(lic: dict[str, Any]) -> None:
    case = apply(lic["service"], applicant())
    response = signed_in(lic["officer"]).post(
        reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"]),
        {"schedule-scheduled_at": _jalali(timedelta(days=1)), "schedule-place": "سالن ۲"},
    )
    assert response.status_code == 409
    assert not Assessment.objects.exists()


def test_only_licensing_officers_schedule_others_get_403_or_404(
    lic: dict[str, Any], city: City, pay_case_bills: Any
) -> None:
    user = applicant()
    case = at_exam(lic["service"], user, lic["officer"], pay_case_bills)
    url = reverse("web:licence_assessment_schedule", args=[case.tracking_code, "exam"])
    data = {"schedule-scheduled_at": _jalali(timedelta(days=1)), "schedule-place": "سالن ۲"}
    other_city = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    stranger = applicant(national_code="0013542419", mobile="09127654321")
    expected = [
        (user, 403),
        (lic["inspector"], 403),
        (municipal_user(other_city, "licensing2", Role.LICENSING_OFFICER), 404),
        (stranger, 404),
    ]
    for who, status in expected:
        assert signed_in(who).post(url, data).status_code == status
    assert (
        signed_in(lic["officer"])
        .post(reverse("web:licence_assessment_schedule", args=[case.tracking_code, "quiz"]), data)
        .status_code
        == 404
    )
    assert not Assessment.objects.exists()


# --- the site visit --------------------------------------------------------------------------------


def _visit_data(**changes: Any) -> dict[str, Any]:
    data = {
        "measured_area_m2": "۸۲٫۵",
        "building_use": "commercial",
        "latitude": "35.760100",
        "longitude": "51.430200",
        "notes": "تابلو نصب شده است",
        **{
            f"eq_{name}": "on"
            for name in (
                "has_computers",
                "has_fast_internet",
                "has_printer",
                "has_sign",
                "has_visitor_facilities",
            )
        },
    }
    data.update(changes)
    return data


def test_the_inspector_records_the_visit_with_jpeg_photos_and_the_case_moves_to_decision(
    lic: dict[str, Any], pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = applicant()
    case = at_site_visit(
        lic["service"], user, lic["officer"], pay_case_bills, django_capture_on_commit_callbacks
    )
    client = signed_in(lic["inspector"])
    url = reverse("web:licence_site_visit", args=[case.tracking_code])
    assert "data-site-visit-link" in client.get(_case_url(case)).content.decode()
    page = client.get(url).content.decode()
    assert "اینترنت پرسرعت" in page  # the equipment's titles come from the intake schema
    assert "site_visit.js" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                **_visit_data(eq_has_sign=""),
                "photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg", (0, 90, 0))],
            },
        )
    assert response.status_code == 302
    visit = SiteVisit.objects.get(application__case=case)
    assert str(visit.measured_area_m2) == "82.50"
    assert visit.equipment["has_sign"] is False
    assert visit.equipment["has_computers"] is True
    photos = list(SiteVisitPhoto.objects.filter(visit=visit))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/jpeg"]
    case.refresh_from_db()
    assert case.state == "decision"
    html = client.get(_case_url(case)).content.decode()
    assert "data-site-visit" in html
    assert 'data-equipment-found="no"' in html
    photo_url = reverse("web:licence_site_visit_photo", args=[case.tracking_code, photos[0].pk])
    download = client.get(photo_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/jpeg"
    assert signed_in(user).get(photo_url).status_code == 404


def test_a_photo_that_is_not_an_image_is_refused_with_400_and_nothing_is_written(
    lic: dict[str, Any], pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = at_site_visit(
        lic["service"], applicant(), lic["officer"], pay_case_bills, django_capture_on_commit_callbacks
    )
    disguised = SimpleUploadedFile("photo.jpg", pdf_bytes(), content_type="image/jpeg")
    response = signed_in(lic["inspector"]).post(
        reverse("web:licence_site_visit", args=[case.tracking_code]), {**_visit_data(), "photos": [disguised]}
    )
    assert response.status_code == 400
    assert escape(gettext("Photos must be JPEG or PNG images.")) in response.content.decode()
    assert not SiteVisit.objects.exists()
    case.refresh_from_db()
    assert case.state == "site_visit"


def test_a_missing_area_answers_400_and_nothing_is_written(
    lic: dict[str, Any], pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = at_site_visit(
        lic["service"], applicant(), lic["officer"], pay_case_bills, django_capture_on_commit_callbacks
    )
    response = signed_in(lic["inspector"]).post(
        reverse("web:licence_site_visit", args=[case.tracking_code]),
        _visit_data(measured_area_m2="", latitude="عرض"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_measured_area_m2_errors"' in html
    assert 'id="id_latitude_errors"' in html
    assert not SiteVisit.objects.exists()


def test_the_site_visit_page_is_404_to_other_roles_and_cities(
    lic: dict[str, Any], city: City, pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = applicant()
    case = at_site_visit(
        lic["service"], user, lic["officer"], pay_case_bills, django_capture_on_commit_callbacks
    )
    url = reverse("web:licence_site_visit", args=[case.tracking_code])
    other_city = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    for who in (
        user,
        municipal_user(city, "reviewer9", Role.MUNICIPAL_REVIEWER),
        municipal_user(other_city, "inspector2", Role.TECHNICAL_INSPECTOR),
    ):
        client = signed_in(who)
        assert client.get(url).status_code == 404
        assert client.post(url, _visit_data()).status_code == 404
    assert Client().get(url).status_code == 302  # to the staff sign-in
    assert signed_in(lic["officer"]).get(url).status_code == 200  # licensing officers may visit too
    assert not SiteVisit.objects.exists()


def test_before_the_site_visit_stage_the_page_has_no_form_and_a_post_answers_409(lic: dict[str, Any]) -> None:
    case = apply(lic["service"], applicant())
    client = signed_in(lic["inspector"])
    url = reverse("web:licence_site_visit", args=[case.tracking_code])
    page = client.get(url)
    assert page.status_code == 200
    assert "data-not-at-stage" in page.content.decode()
    assert 'data-form="site-visit"' not in page.content.decode()
    assert client.post(url, _visit_data()).status_code == 409
    assert not SiteVisit.objects.exists()


# --- managing calls --------------------------------------------------------------------------------


def test_a_licensing_officer_announces_a_call_with_places_per_district(
    lic: dict[str, Any], zone: Zone
) -> None:
    client = signed_in(lic["officer"])
    url = reverse("web:licence_calls_manage")
    assert 'name="places_3"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": "فراخوان دوم ۱۴۰۵",
            "description": "برای مناطق پرجمعیت",
            "opens_at": _jalali(timedelta(days=5), persian=True),
            "closes_at": _jalali(timedelta(days=35)),
            "places_3": "۴",
        },
    )
    assert response.status_code == 302
    call = ApplicationCall.objects.get(title="فراخوان دوم ۱۴۰۵")
    assert [(q.zone.number, q.places) for q in call.quotas.all()] == [(3, 4)]
    assert call.created_by == lic["officer"]
    assert f'data-call-id="{call.pk}"' in client.get(url).content.decode()


def test_a_call_that_closes_before_it_opens_answers_400_in_persian_and_writes_nothing(
    lic: dict[str, Any],
) -> None:
    before = ApplicationCall.objects.count()
    response = signed_in(lic["officer"]).post(
        reverse("web:licence_calls_manage"),
        {
            "title": "فراخوان نادرست",
            "opens_at": _jalali(timedelta(days=10)),
            "closes_at": _jalali(timedelta(days=5)),
            "places_3": "2",
        },
    )
    assert response.status_code == 400
    assert escape(gettext("The call must close after it opens.")) in response.content.decode()
    assert ApplicationCall.objects.count() == before


def test_a_call_without_any_district_answers_400(lic: dict[str, Any]) -> None:
    response = signed_in(lic["officer"]).post(
        reverse("web:licence_calls_manage"),
        {"title": "بی‌سهمیه", "opens_at": _jalali(timedelta(days=1)), "closes_at": _jalali(timedelta(days=5))},
    )
    assert response.status_code == 400
    assert ApplicationCall.objects.count() == 1


def test_only_licensing_officers_and_city_administrators_manage_calls(
    lic: dict[str, Any], city: City, citizen_user: Any
) -> None:
    url = reverse("web:licence_calls_manage")
    assert signed_in(lic["inspector"]).get(url).status_code == 403
    assert signed_in(citizen_user).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert signed_in(municipal_user(city, "admin1", Role.CITY_ADMINISTRATOR)).get(url).status_code == 200
    data = {
        "title": "x",
        "opens_at": _jalali(timedelta(days=1)),
        "closes_at": _jalali(timedelta(days=5)),
        "places_3": "1",
    }
    assert signed_in(lic["inspector"]).post(url, data).status_code == 403
    assert ApplicationCall.objects.count() == 1


def test_cancelling_a_call_needs_a_reason_and_stops_new_applications(lic: dict[str, Any]) -> None:
    from daftar.core.errors import Conflict

    call = lic["call"]
    client = signed_in(lic["officer"])
    url = reverse("web:licence_call_cancel", args=[call.pk])
    response = client.post(url, {f"cancel{call.pk}-reason": "  "})
    assert response.status_code == 400
    call.refresh_from_db()
    assert call.cancelled_at is None
    assert client.post(url, {f"cancel{call.pk}-reason": "بازنگری در سهمیه مناطق"}).status_code == 302
    call.refresh_from_db()
    assert call.cancelled_at is not None
    assert call.cancel_reason == "بازنگری در سهمیه مناطق"
    again = client.post(url, {f"cancel{call.pk}-reason": "دوباره"})
    assert again.status_code == 409
    assert escape(gettext("This call has already been cancelled.")) in again.content.decode()
    with pytest.raises(Conflict):
        apply(lic["service"], applicant())


def test_a_call_of_another_city_cannot_be_cancelled_here(lic: dict[str, Any]) -> None:
    other_city = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    other_zone = Zone.objects.create(city=other_city, number=1, name="منطقه ۱")
    other_officer = municipal_user(other_city, "licensing2", Role.LICENSING_OFFICER)
    other_call = open_call(other_city, other_zone, actor=other_officer)
    url = reverse("web:licence_call_cancel", args=[other_call.pk])
    assert signed_in(lic["officer"]).post(url, {f"cancel{other_call.pk}-reason": "نه"}).status_code == 404
    other_call.refresh_from_db()
    assert other_call.cancelled_at is None
