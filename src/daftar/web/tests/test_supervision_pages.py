"""The supervision pages: the city's offices, an office's file, recording an inspection, issuing a
sanction, deciding appeals, and the office's own page where it appeals — flows and who may do what."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from daftar.accounts.roles import Role
from daftar.core.jalali import format_jalali_date, format_jalali_datetime, local_today
from daftar.licensing.models import (
    Appeal,
    AppealStatus,
    Inspection,
    Sanction,
    SanctionKind,
    SanctionStatus,
    Violation,
)
from daftar.licensing.supervision import ViolationSpec, appeal_file, inspection_report, sanction_issue
from daftar.licensing.tests.supervision_builders import (
    People,
    past_sanction,
    people,
    staff,
    violation,
    violation_types,
)
from daftar.offices.models import City, LicenceStatus, Office, Zone

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def crew(office: Office) -> People:
    violation_types()
    return people(office.city, office)


def office_url(name: str, office: Office) -> str:
    return reverse(name, args=[office.code])


def _suspension(office: Office, crew: People, *, by: Any = None) -> Sanction:
    return sanction_issue(
        office=office,
        actor=by or crew.officer,
        kind="suspension",
        violation_ids=[violation(office, crew.inspector).pk],
        reason="کار خارج از ساعت مصوب",
        ends_on=local_today() + timedelta(days=14),
    )


# --- who may open what ---------------------------------------------------------------------------


def test_supervision_pages_send_visitors_to_sign_in_and_refuse_citizens_and_office_staff(
    crew: People, office: Office, citizen_user: Any
) -> None:
    urls = [
        reverse("web:supervision_offices"),
        office_url("web:supervision_office", office),
        office_url("web:supervision_inspect", office),
        office_url("web:supervision_sanction", office),
        reverse("web:supervision_appeals"),
    ]
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:staff_signin"))
    for user in (citizen_user, crew.operator, crew.manager):
        client = signed_in(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)


def test_a_supervisor_of_another_city_finds_no_office_here(crew: People, office: Office) -> None:
    mashhad = City.objects.create(code="mashhad", name_fa="مشهد", name_en="Mashhad")
    Zone.objects.create(city=mashhad, number=1, name="منطقه ۱ مشهد")
    client = signed_in(staff("mashhad-officer", Role.LICENSING_OFFICER, mashhad))
    for name in ("web:supervision_office", "web:supervision_inspect", "web:supervision_sanction"):
        assert client.get(office_url(name, office) + "?city=tehran").status_code == 404
    listing = client.get(reverse("web:supervision_offices"))
    assert listing.status_code == 200
    assert f'data-office="{office.code}"' not in listing.content.decode()


def test_the_auditor_reads_the_files_but_acts_on_nothing(crew: People, office: Office) -> None:
    sanction = _suspension(office, crew)
    appeal = appeal_file(sanction=sanction, actor=crew.manager, statement="اعتراض")
    client = signed_in(crew.auditor)
    assert client.get(reverse("web:supervision_offices")).status_code == 200
    page = client.get(office_url("web:supervision_office", office))
    assert page.status_code == 200
    assert office_url("web:supervision_inspect", office) not in page.content.decode()
    assert office_url("web:supervision_sanction", office) not in page.content.decode()
    assert client.get(office_url("web:supervision_inspect", office)).status_code == 403
    assert client.get(office_url("web:supervision_sanction", office)).status_code == 403
    appeals = client.get(reverse("web:supervision_appeals"))
    assert appeals.status_code == 200
    assert reverse("web:supervision_appeal_decide", args=[appeal.pk]) not in appeals.content.decode()
    decided = client.post(
        reverse("web:supervision_appeal_decide", args=[appeal.pk]),
        {f"a{appeal.pk}-decision": "overturn", f"a{appeal.pk}-reason": "نقض"},
    )
    assert decided.status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def test_a_technical_inspector_records_inspections_but_issues_no_sanction(
    crew: People, office: Office
) -> None:
    client = signed_in(crew.inspector)
    assert client.get(office_url("web:supervision_inspect", office)).status_code == 200
    assert client.get(office_url("web:supervision_sanction", office)).status_code == 403
    assert client.post(office_url("web:supervision_sanction", office), {"kind": "warning"}).status_code == 403


# --- the city's offices --------------------------------------------------------------------------


def test_the_offices_list_shows_standing_sanctions_and_recent_violations_filtered_and_paged(
    crew: People, office: Office, zone: Zone, django_assert_max_num_queries: Any
) -> None:
    other_zone = Zone.objects.create(city=office.city, number=6, name="منطقه ۶")
    Office.objects.bulk_create(
        [
            Office(
                city=office.city,
                zone=other_zone,
                code=f"6{n:03d}",
                name=f"دفتر {n}",
                address="تهران",
                licence_status=LicenceStatus.ACTIVE,
            )
            for n in range(1, 33)
        ]
    )
    violation(office, crew.inspector, days_ago=100)  # older than 90 days: not counted
    _suspension(office, crew)
    client = signed_in(crew.officer)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("web:supervision_offices"))
    body = first.content.decode()
    assert first.status_code == 200
    assert body.count('data-office="') == 30
    assert f'data-office="{office.code}" data-standing="suspended"' in body
    assert 'data-sanctions="1"' in body
    assert 'data-violations="1"' in body
    with django_assert_max_num_queries(12):
        second = client.get(reverse("web:supervision_offices") + "?page=2")
    assert second.content.decode().count('data-office="') == 3
    suspended = client.get(reverse("web:supervision_offices") + "?status=suspended").content.decode()
    assert suspended.count('data-office="') == 1
    district = client.get(reverse("web:supervision_offices") + f"?district={zone.number}").content.decode()
    assert district.count('data-office="') == 1
    assert client.get(reverse("web:supervision_offices") + "?status=nonsense").status_code == 400


# --- an office's file and the inspection form ----------------------------------------------------


def _inspection_post(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "routine",
        "inspected_at": format_jalali_datetime(timezone.now() - timedelta(minutes=10)),  # Persian digits
        "check_licence_displayed": "on",
        "check_equipment_complete": "on",
        "findings": "تعرفه‌ها نصب نشده بود و دفتر پس از ساعت ۱۴ کار می‌کرد",
        "violation_types": ["hours_tariffs_not_posted", "outside_approved_hours"],
        "violation_description": "ساعت ۱۶:۳۰ پرونده پذیرفته شد",
    }
    data.update(changes)
    return data


def test_an_inspection_with_its_checklist_and_violations_is_recorded_from_the_form(
    crew: People, office: Office
) -> None:
    client = signed_in(crew.inspector)
    form = client.get(office_url("web:supervision_inspect", office))
    assert 'name="check_hours_posted"' in form.content.decode()
    response = client.post(office_url("web:supervision_inspect", office), _inspection_post())
    assert response.status_code == 302
    assert response["Location"].startswith(office_url("web:supervision_office", office))
    inspection = Inspection.objects.get(office=office)
    assert inspection.inspector == crew.inspector
    assert inspection.checklist["licence_displayed"] is True
    assert inspection.checklist["hours_posted"] is False
    assert set(Violation.objects.filter(inspection=inspection).values_list("type__code", flat=True)) == {
        "hours_tariffs_not_posted",
        "outside_approved_hours",
    }
    page = client.get(response["Location"]).content.decode()
    assert f'data-inspection="{inspection.pk}"' in page
    assert page.count('data-violation="') == 2


def test_a_ticked_violation_without_a_description_is_refused_and_nothing_is_saved(
    crew: People, office: Office
) -> None:
    client = signed_in(crew.officer)
    response = client.post(
        office_url("web:supervision_inspect", office), _inspection_post(violation_description="")
    )
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    future = client.post(
        office_url("web:supervision_inspect", office),
        _inspection_post(inspected_at=format_jalali_datetime(timezone.now() + timedelta(hours=3))),
    )
    assert future.status_code == 400
    unknown_complaint = client.post(
        office_url("web:supervision_inspect", office), _inspection_post(complaint="99999")
    )
    assert unknown_complaint.status_code == 400
    assert not Inspection.objects.exists()
    assert not Violation.objects.exists()


def test_the_office_file_shows_the_sanctions_with_their_appeals_in_a_bounded_number_of_queries(
    crew: People, office: Office, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        inspection_report(
            office=office,
            actor=crew.inspector,
            kind="routine",
            inspected_at=timezone.now() - timedelta(days=n + 1),
            checklist={"hours_posted": False},
            findings=f"بازدید {n}",
            violations=[ViolationSpec("hours_tariffs_not_posted", "تعرفه نصب نشده")],
        )
    for n in range(3):
        past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=300 + n)
    sanction = _suspension(office, crew)
    appeal_file(sanction=sanction, actor=crew.manager, statement="اعتراض به تعلیق")
    client = signed_in(crew.admin)
    with django_assert_max_num_queries(16):
        response = client.get(office_url("web:supervision_office", office))
    page = response.content.decode()
    assert page.count('data-inspection="') == 6
    assert page.count('data-violation="') == 7
    assert f'data-sanction="{sanction.pk}" data-kind="suspension" data-status="in_force"' in page
    assert 'data-appeal-status="pending"' in page
    assert 'data-standing="suspended"' in page


# --- the sanction form ---------------------------------------------------------------------------


def test_the_sanction_form_preselects_the_ladders_suggestion_and_issues_it(
    crew: People, office: Office
) -> None:
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=200)
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=50)
    seen = violation(office, crew.inspector, "above_approved_tariff")
    client = signed_in(crew.officer)
    page = client.get(office_url("web:supervision_sanction", office)).content.decode()
    assert 'data-suggested="suspension"' in page
    assert re.search(r'<input[^>]*value="suspension"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="warning"[^>]*checked', page)
    assert re.search(rf'<input[^>]*value="{seen.pk}"[^>]*checked', page)
    ends = format_jalali_date(local_today() + timedelta(days=20))
    response = client.post(
        office_url("web:supervision_sanction", office),
        {
            "kind": "suspension",
            "violations": [str(seen.pk)],
            "reason": "دریافت وجه اضافه پس از دو تذکر",
            "ends_on": ends,
        },
    )
    assert response.status_code == 302
    sanction = Sanction.objects.get(office=office, status=SanctionStatus.IN_FORCE)
    assert sanction.kind == SanctionKind.SUSPENSION
    assert sanction.ends_on == local_today() + timedelta(days=20)
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.SUSPENDED


def test_a_suspension_without_an_end_is_shown_back_with_400_and_nothing_is_issued(
    crew: People, office: Office
) -> None:
    seen = violation(office, crew.inspector)
    response = signed_in(crew.admin).post(
        office_url("web:supervision_sanction", office),
        {"kind": "suspension", "violations": [str(seen.pk)], "reason": "تعلیق", "ends_on": ""},
    )
    assert response.status_code == 400
    assert 'id="id_ends_on_errors"' in response.content.decode()
    assert not Sanction.objects.exists()
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE


def test_the_counter_desk_refuses_the_staff_of_a_suspended_office(crew: People, office: Office) -> None:
    desk = signed_in(crew.operator)
    assert desk.get(reverse("web:desk")).status_code == 200
    _suspension(office, crew)
    assert desk.get(reverse("web:desk")).status_code == 403


# --- appeals -------------------------------------------------------------------------------------


def test_the_manager_appeals_from_the_office_page_and_another_administrator_decides(
    crew: People, office: Office, django_assert_max_num_queries: Any
) -> None:
    sanction = _suspension(office, crew, by=crew.admin)
    manager = signed_in(crew.manager)
    page = manager.get(reverse("web:office_sanctions")).content.decode()
    assert f'data-sanction="{sanction.pk}"' in page
    assert reverse("web:office_sanction_appeal", args=[sanction.pk]) in page
    filed = manager.post(
        reverse("web:office_sanction_appeal", args=[sanction.pk]),
        {f"s{sanction.pk}-statement": "در آن ساعت دفتر بسته بود"},
    )
    assert filed.status_code == 302
    appeal = Appeal.objects.get(sanction=sanction)
    again = manager.post(
        reverse("web:office_sanction_appeal", args=[sanction.pk]), {f"s{sanction.pk}-statement": "دوباره"}
    )
    assert again.status_code == 409
    decide_url = reverse("web:supervision_appeal_decide", args=[appeal.pk])
    issuer = signed_in(crew.admin)
    assert decide_url not in issuer.get(reverse("web:supervision_appeals")).content.decode()
    refused = issuer.post(decide_url, {f"a{appeal.pk}-decision": "overturn", f"a{appeal.pk}-reason": "نقض"})
    assert refused.status_code == 403
    other = signed_in(crew.second_admin)
    with django_assert_max_num_queries(12):
        listed = other.get(reverse("web:supervision_appeals"))
    assert decide_url in listed.content.decode()
    no_reason = other.post(decide_url, {f"a{appeal.pk}-decision": "overturn", f"a{appeal.pk}-reason": ""})
    assert no_reason.status_code == 400
    decided = other.post(
        decide_url, {f"a{appeal.pk}-decision": "overturn", f"a{appeal.pk}-reason": "شواهد کافی نبود"}
    )
    assert decided.status_code == 302
    appeal.refresh_from_db()
    office.refresh_from_db()
    assert appeal.status == AppealStatus.OVERTURNED
    assert office.licence_status == LicenceStatus.ACTIVE


def test_the_office_page_shows_only_ones_own_offices_sanctions(
    crew: People, office: Office, zone: Zone
) -> None:
    sanction = _suspension(office, crew)
    other = Office.objects.create(
        city=office.city, zone=zone, code="2205", name="دفتر ۲۲۰۵", address="تهران", licence_status="active"
    )
    other_manager = signed_in(staff("other-manager", Role.OFFICE_MANAGER, office.city, other))
    page = other_manager.get(reverse("web:office_sanctions")).content.decode()
    assert f'data-sanction="{sanction.pk}"' not in page
    response = other_manager.post(
        reverse("web:office_sanction_appeal", args=[sanction.pk]), {f"s{sanction.pk}-statement": "اعتراض"}
    )
    assert response.status_code == 404
    assert signed_in(crew.operator).get(reverse("web:office_sanctions")).status_code == 403
    assert signed_in(crew.officer).get(reverse("web:office_sanctions")).status_code == 403
    assert not Appeal.objects.exists()
