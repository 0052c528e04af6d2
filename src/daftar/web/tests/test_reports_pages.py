"""The municipality's reports pages (list and map) and a report's follow-up on the case page: who
may see and do what, the filters, the map drawn from our own data, and refusals that write nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from daftar.accounts.models import Person, User
from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.services import Location, case_act, case_file
from daftar.core.jalali import format_jalali_date, local_today, tehran_date
from daftar.offices.models import City, StaffAssignment, Zone
from daftar.offices.services import staff_assign
from daftar.testing import shipped_service

pytestmark = pytest.mark.django_db

HERE = (Decimal("35.760000"), Decimal("51.430000"))  # inside district 3 (conftest's zone)
NEAR = (Decimal("35.760900"), Decimal("51.430000"))  # about 100 m from HERE
FAR = (Decimal("35.770000"), Decimal("51.450000"))
EXCAVATION = {"hazards": ["no_fence", "debris"], "description": "ترانشه بدون حفاظ رها شده است"}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(username: str, role: str, city: City, department: str = "") -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405")
    staff_assign(user=user, role=role, city=city)
    if department:
        StaffAssignment.objects.filter(user=user, role=role, city=city).update(department=department)
    return user


@pytest.fixture
def excavation(categories: Any) -> Any:
    return shipped_service("citizen_reports.yaml", "report.open_excavation")


@pytest.fixture
def light(categories: Any) -> Any:
    return shipped_service("citizen_reports.yaml", "report.street_light")


def report(
    service: Any, citizen: Any, *, point: tuple[Decimal, Decimal] | None = None, address: str = ""
) -> Case:
    data = (
        EXCAVATION
        if service.service_type.code == "report.open_excavation"
        else {"problem": "flickering", "description": "چراغ کوچه چشمک می‌زند"}
    )
    return case_file(
        service=service,
        applicant=citizen.person,
        office=None,
        channel="online",
        data=data,
        actor=citizen,
        location=Location(
            latitude=point[0] if point else None, longitude=point[1] if point else None, address=address
        ),
    )


def resolve(case: Case, reviewer: User) -> Case:
    case = case_act(case=case, action="accept", actor=reviewer, expected_version=case.version)
    return case_act(
        case=case, action="resolve", actor=reviewer, expected_version=case.version, reason="رفع شد"
    )


@pytest.fixture
def reviewer(city: City) -> User:
    return staff("reviewer-reports", "municipal_reviewer", city)


def codes_on(html: str) -> set[str]:
    return set(re.findall(r'<tr data-tracking-code="([A-Z0-9]+)"', html))


# --- the list --------------------------------------------------------------------------------------


def test_the_list_shows_the_citys_reports_linked_to_their_cases_and_only_reports(
    excavation: Any, filed_case: Case, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    placed = report(excavation, citizen_user, point=HERE)
    addressed = report(excavation, citizen_user, address="تهران، خیابان شریعتی، کوچه ۵")
    response = signed_in(reviewer).get(reverse("web:reports"))
    html = response.content.decode()
    assert response.status_code == 200
    assert codes_on(html) == {placed.tracking_code, addressed.tracking_code}  # not the building case
    assert reverse("web:case", args=[placed.tracking_code]) in html
    assert "گزارش حفاری رهاشده" in html
    assert "خیابان شریعتی، کوچه ۵" in html
    assert 'data-status="new"' in html


def test_the_list_filters_by_service_status_district_date_and_text(
    excavation: Any, light: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    hole = report(excavation, citizen_user, point=HERE)
    addressed = report(excavation, citizen_user, address="تهران، خیابان پاسداران")
    lamp = resolve(report(light, citizen_user, point=FAR), reviewer)
    client = signed_in(reviewer)

    def listed(**query: str) -> set[str]:
        response = client.get(reverse("web:reports"), query)
        assert response.status_code == 200, response.content.decode()
        return codes_on(response.content.decode())

    assert listed(service="report.street_light") == {lamp.tracking_code}
    assert listed(status="open") == {hole.tracking_code, addressed.tracking_code}
    assert listed(status="closed") == {lamp.tracking_code}
    assert listed(district="3", status="open") == {hole.tracking_code}
    assert listed(q="پاسداران") == {addressed.tracking_code}
    today = format_jalali_date(local_today(), persian_digits=True)
    assert listed(date_from=today, date_to=today) == {
        hole.tracking_code,
        addressed.tracking_code,
        lamp.tracking_code,
    }
    tomorrow = format_jalali_date(local_today() + timedelta(days=1), persian_digits=False)
    assert listed(date_from=tomorrow) == set()


def test_a_wrong_filter_is_refused_with_400_and_its_message_and_the_others_still_apply(
    excavation: Any, citizen_user: Any, city: City, reviewer: User
) -> None:
    open_one = report(excavation, citizen_user, address="تهران، کوچه الف")
    resolve(report(excavation, citizen_user, address="تهران، کوچه ب"), reviewer)
    client = signed_in(reviewer)
    response = client.get(reverse("web:reports"), {"date_from": "31/12/1405", "status": "open"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "سال/ماه/روز" in html  # the date parser's Persian message
    assert codes_on(html) == {open_one.tracking_code}
    assert client.get(reverse("web:reports"), {"service": "nope"}).status_code == 400
    assert client.get(reverse("web:reports"), {"district": "99"}).status_code == 400
    reversed_range = client.get(reverse("web:reports"), {"date_from": "1405/09/10", "date_to": "1405/09/01"})
    assert reversed_range.status_code == 400


def test_office_staff_other_roles_and_citizens_are_refused_and_visitors_sent_to_sign_in(
    city: City, operator_user: Any, citizen_user: Any
) -> None:
    finance = staff("finance-1", "finance_officer", city)
    for user in (operator_user, citizen_user, finance):
        for name in ("web:reports", "web:reports_map"):
            assert signed_in(user).get(reverse(name)).status_code == 403
    response = Client().get(reverse("web:reports"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:staff_signin"))


@pytest.mark.parametrize("role", ["technical_inspector", "city_administrator", "auditor"])
def test_the_other_municipal_roles_see_the_list_and_the_map(
    role: str, excavation: Any, citizen_user: Any, city: City
) -> None:
    case = report(excavation, citizen_user, address="تهران، کوچه الف")
    client = signed_in(staff(f"user-{role}", role, city))
    assert case.tracking_code in client.get(reverse("web:reports")).content.decode()
    assert client.get(reverse("web:reports_map")).status_code == 200


def test_another_citys_reviewer_is_refused_this_city_and_sees_none_of_its_reports(
    excavation: Any, citizen_user: Any, city: City
) -> None:
    report(excavation, citizen_user, address="تهران، کوچه الف")
    karaj = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    client = signed_in(staff("karaj-reviewer", "municipal_reviewer", karaj))
    assert client.get(reverse("web:reports"), {"city": "tehran"}).status_code == 403
    assert client.get(reverse("web:reports_map"), {"city": "tehran"}).status_code == 403
    assert codes_on(client.get(reverse("web:reports")).content.decode()) == set()


def test_a_department_scoped_reviewer_lists_only_their_departments_reports(
    excavation: Any, citizen_user: Any, city: City
) -> None:
    ours = report(excavation, citizen_user, address="تهران، کوچه الف")
    theirs = report(excavation, citizen_user, address="تهران، کوچه ب")
    Case.objects.filter(pk=theirs.pk).update(department="roads")
    client = signed_in(staff("urban-only", "municipal_reviewer", city, department="urban_services"))
    assert codes_on(client.get(reverse("web:reports")).content.decode()) == {ours.tracking_code}


def test_pages_keep_the_filters_and_take_the_same_queries_however_many_rows(
    excavation: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    client = signed_in(reviewer)
    for _ in range(3):
        report(excavation, citizen_user, point=HERE)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("web:reports"), {"status": "open"}).status_code == 200
    for n in range(60):
        report(excavation, citizen_user, point=FAR if n % 2 else HERE)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("web:reports"), {"status": "open"})
    assert len(many.captured_queries) == len(few.captured_queries)
    html = response.content.decode()
    assert len(codes_on(html)) == 50
    assert "?status=open&amp;page=2" in html
    second = client.get(reverse("web:reports"), {"status": "open", "page": "2"}).content.decode()
    assert len(codes_on(second)) == 13
    assert "?status=open&amp;page=1" in second


def test_a_row_with_an_open_report_of_the_same_service_nearby_is_marked(
    excavation: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    first = report(excavation, citizen_user, point=HERE)
    second = report(excavation, citizen_user, point=NEAR)
    alone = report(excavation, citizen_user, point=FAR)
    html = signed_in(reviewer).get(reverse("web:reports")).content.decode()
    marked = set(re.findall(r'<tr data-tracking-code="([A-Z0-9]+)"[^>]*data-duplicates', html))
    assert marked == {first.tracking_code, second.tracking_code}
    assert alone.tracking_code not in marked


# --- the map ---------------------------------------------------------------------------------------


def test_the_map_is_an_inline_svg_of_the_districts_with_a_dot_per_report_with_a_point(
    excavation: Any, light: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    new = report(excavation, citizen_user, point=HERE)
    taken = report(light, citizen_user, point=NEAR)
    case_act(case=taken, action="accept", actor=reviewer, expected_version=taken.version)
    closed = resolve(report(excavation, citizen_user, point=FAR), reviewer)
    addressed = report(excavation, citizen_user, address="تهران، خیابان پاسداران، کوچه ۷")
    response = signed_in(reviewer).get(reverse("web:reports_map"))
    assert response.status_code == 200
    html = response.content.decode()
    svg = html[html.index('<svg class="report-map"') : html.index("</svg>", html.index("data-dots"))]
    assert re.search(r'viewBox="0 0 720 [\d.]+"', svg)
    assert '<path d="M' in svg
    assert 'data-district="3"' in svg
    assert 'data-label="3">۳</text>' in svg  # the district's number at its centroid
    dots = dict(re.findall(r'<a href="/cases/([A-Z0-9]+)/"[^>]*data-status="(\w+)"', svg))
    assert dots == {
        new.tracking_code: "new",
        taken.tracking_code: "in_progress",
        closed.tracking_code: "closed",
    }
    colours = re.findall(r'data-status="(\w+)"><title>[^<]*</title><circle [^>]*fill="(#[0-9a-f]{6})"', svg)
    assert dict(colours) == {"new": "#a4161a", "in_progress": "#8a4b00", "closed": "#16653a"}
    assert (
        f"گزارش حفاری رهاشده — {new.tracking_code[:5]}-{new.tracking_code[5:]} — ثبت‌شده، در انتظار بررسی"
        in svg
    )
    assert addressed.tracking_code not in svg
    beside = html[html.index("data-address-only") :]
    assert addressed.tracking_code in beside
    assert "کوچه ۷" in beside
    assert "<script" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_the_map_takes_the_filters_and_the_same_queries_however_many_reports(
    excavation: Any, light: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    client = signed_in(reviewer)
    hole = report(excavation, citizen_user, point=HERE)
    lamp = report(light, citizen_user, point=FAR)
    svg = client.get(reverse("web:reports_map"), {"service": "report.street_light"}).content.decode()
    assert lamp.tracking_code in svg
    assert hole.tracking_code not in svg
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:reports_map"))
    for _ in range(20):
        report(excavation, citizen_user, point=NEAR)
        report(excavation, citizen_user, address="تهران، کوچه")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:reports_map"))
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the case page: follow-up ------------------------------------------------------------------------


@pytest.fixture
def hole(excavation: Any, citizen_user: Any, zone: Zone) -> Case:
    return report(excavation, citizen_user, address="تهران، خیابان شریعتی، روبروی پارک")


def test_the_applicant_adds_information_to_an_open_report(hole: Case, citizen_user: Any) -> None:
    client = signed_in(citizen_user)
    page = client.get(reverse("web:case", args=[hole.tracking_code])).content.decode()
    assert 'data-followup="note"' in page
    assert 'data-followup="reopen"' not in page
    response = client.post(
        reverse("web:case_note", args=[hole.tracking_code]), {"text": "امروز عابری در آن افتاد"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:case", args=[hole.tracking_code])
    note = CaseEvent.objects.get(case=hole, kind=EventKind.NOTE)
    assert (note.message, note.public) == ("امروز عابری در آن افتاد", True)
    assert "امروز عابری در آن افتاد" in client.get(response["Location"]).content.decode()


def test_an_empty_note_is_refused_with_400_and_nothing_is_written(hole: Case, citizen_user: Any) -> None:
    response = signed_in(citizen_user).post(
        reverse("web:case_note", args=[hole.tracking_code]), {"text": "  "}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not CaseEvent.objects.filter(case=hole, kind=EventKind.NOTE).exists()


def test_a_closed_report_takes_no_note_409(hole: Case, citizen_user: Any, reviewer: User) -> None:
    resolve(hole, reviewer)
    client = signed_in(citizen_user)
    assert (
        'data-followup="note"'
        not in client.get(reverse("web:case", args=[hole.tracking_code])).content.decode()
    )
    response = client.post(reverse("web:case_note", args=[hole.tracking_code]), {"text": "هنوز خراب است"})
    assert response.status_code == 409
    assert "پرونده بسته شده است" in response.content.decode()
    assert not CaseEvent.objects.filter(case=hole, kind=EventKind.NOTE).exists()


def test_no_one_but_the_applicant_adds_information_or_reopens(
    hole: Case, citizen_user: Any, reviewer: User, operator_user: Any
) -> None:
    stranger_person = Person.objects.create(national_code="0084575948", first_name="علی", last_name="کریمی")
    stranger = User.objects.create_user(
        username="09120000000", password="x-pass-1405", person=stranger_person
    )
    for url in (
        reverse("web:case_note", args=[hole.tracking_code]),
        reverse("web:case_reopen", args=[hole.tracking_code]),
    ):
        assert (
            signed_in(stranger).post(url, {"text": "x", "reason": "x", "expected_version": "1"}).status_code
            == 404
        )
        assert (
            signed_in(operator_user)
            .post(url, {"text": "x", "reason": "x", "expected_version": "1"})
            .status_code
            == 404
        )
        assert (
            signed_in(reviewer).post(url, {"text": "x", "reason": "x", "expected_version": "1"}).status_code
            == 403
        )
    staff_page = signed_in(reviewer).get(reverse("web:case", args=[hole.tracking_code])).content.decode()
    assert "data-followup" not in staff_page
    assert not CaseEvent.objects.filter(case=hole, kind=EventKind.NOTE).exists()


def test_the_applicant_reopens_a_resolved_report_within_the_window_shown_as_a_jalali_day(
    hole: Case, citizen_user: Any, reviewer: User
) -> None:
    resolved = resolve(hole, reviewer)
    assert resolved.closed_at is not None
    client = signed_in(citizen_user)
    page = client.get(reverse("web:case", args=[hole.tracking_code])).content.decode()
    last_day = tehran_date(resolved.closed_at) + timedelta(days=14)
    assert 'data-followup="reopen"' in page
    assert format_jalali_date(last_day, style="long") in page
    response = client.post(
        reverse("web:case_reopen", args=[hole.tracking_code]),
        {"reason": "حفاظ دوباره برداشته شد", "expected_version": str(resolved.version)},
    )
    assert response.status_code == 302
    hole.refresh_from_db()
    assert (hole.state, hole.closed_at) == ("in_progress", None)
    assert CaseEvent.objects.filter(case=hole, action="reopen", message="حفاظ دوباره برداشته شد").exists()


def test_after_the_window_the_form_is_gone_and_a_late_reopen_is_refused_409_writing_nothing(
    hole: Case, citizen_user: Any, reviewer: User
) -> None:
    resolved = resolve(hole, reviewer)
    Case.objects.filter(pk=hole.pk).update(closed_at=timezone.now() - timedelta(days=15))
    client = signed_in(citizen_user)
    assert (
        'data-followup="reopen"'
        not in client.get(reverse("web:case", args=[hole.tracking_code])).content.decode()
    )
    response = client.post(
        reverse("web:case_reopen", args=[hole.tracking_code]),
        {"reason": "باز هم خراب است", "expected_version": str(resolved.version)},
    )
    assert response.status_code == 409
    assert "مهلت ۱۴ روزه بازگشایی این پرونده گذشته است." in response.content.decode()
    hole.refresh_from_db()
    assert (hole.state, hole.version) == ("resolved", resolved.version)
    assert not CaseEvent.objects.filter(case=hole, action="reopen").exists()


def test_a_reopen_on_a_stale_page_is_refused_409_and_offers_the_current_version_with_the_reason_kept(
    hole: Case, citizen_user: Any, reviewer: User
) -> None:
    resolved = resolve(hole, reviewer)
    client = signed_in(citizen_user)
    response = client.post(
        reverse("web:case_reopen", args=[hole.tracking_code]),
        {"reason": "هنوز رها شده", "expected_version": str(resolved.version - 1)},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f'name="expected_version" value="{resolved.version}"' in html
    assert "هنوز رها شده" in html
    assert not CaseEvent.objects.filter(case=hole, action="reopen").exists()
    empty = client.post(
        reverse("web:case_reopen", args=[hole.tracking_code]), {"expected_version": str(resolved.version)}
    )
    assert empty.status_code == 400


# --- the case page: duplicates ---------------------------------------------------------------------


def test_staff_see_similar_reports_nearby_with_their_distance_and_the_applicant_does_not(
    excavation: Any, citizen_user: Any, zone: Zone, reviewer: User
) -> None:
    first = report(excavation, citizen_user, point=HERE)
    second = report(excavation, citizen_user, point=NEAR)
    page = signed_in(reviewer).get(reverse("web:case", args=[first.tracking_code])).content.decode()
    panel = page[page.index("data-duplicates") :]
    assert second.tracking_code in panel
    assert re.search(r'data-distance="(\d+)"', panel).group(1) == "100"  # type: ignore[union-attr]
    assert "۱۰۰" in panel
    citizen_page = (
        signed_in(citizen_user).get(reverse("web:case", args=[first.tracking_code])).content.decode()
    )
    assert "data-duplicates" not in citizen_page
    far = report(excavation, citizen_user, point=FAR)
    assert (
        "data-duplicates"
        not in signed_in(reviewer).get(reverse("web:case", args=[far.tracking_code])).content.decode()
    )


# --- filing a report through the web form --------------------------------------------------------


def test_a_citizen_files_a_report_with_two_hazards_and_an_address_only(
    excavation: Any, citizen_user: Any, city: City
) -> None:
    client = signed_in(citizen_user)
    form = client.get(reverse("web:apply", args=["report.open_excavation"])).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form)
    assert key is not None
    assert form.count('name="hazards"') == 6  # a checkbox per listed hazard
    response = client.post(
        reverse("web:apply", args=["report.open_excavation"]),
        {
            "hazards": ["no_fence", "water"],
            "description": "ترانشه بدون حفاظ کنار مدرسه",
            "loc_latitude": "",
            "loc_longitude": "",
            "loc_address": "تهران، خیابان شریعتی، روبروی مدرسه",
            "idempotency_key": key.group(1),
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.data["hazards"] == ["no_fence", "water"]
    assert (case.latitude, case.longitude, case.address) == (None, None, "تهران، خیابان شریعتی، روبروی مدرسه")
