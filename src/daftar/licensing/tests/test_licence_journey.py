"""From an open call to an active office that files its first case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from daftar.accounts.roles import Role
from daftar.cases.services import case_act, case_file
from daftar.certificates.selectors import certificate_verification
from daftar.licensing.models import Assessment, LicenceApplication, OfficeLicence
from daftar.licensing.services import assessment_record, assessment_schedule, site_visit_record
from daftar.offices.models import LicenceStatus, StaffAssignment, WeeklyHours

from .builders import (
    EQUIPMENT_ALL,
    applicant,
    apply,
    licensing_services,
    municipal_user,
    open_call,
    verify_documents,
)

pytestmark = pytest.mark.django_db


def _hold(case: Any, kind: str, officer: Any, score: int, capture: Any) -> None:
    assessment_schedule(
        case=case,
        kind=kind,
        scheduled_at=timezone.now() + timedelta(days=3),
        place="ساختمان فناوری، سالن ۲",
        actor=officer,
    )
    Assessment.objects.filter(application__case=case, kind=kind).update(
        scheduled_at=timezone.now() - timedelta(hours=1)
    )
    with capture(execute=True):
        assessment_record(case=case, kind=kind, actor=officer, score=score)
    case.refresh_from_db()


def test_an_application_in_an_open_call_becomes_an_active_office_that_files_its_first_case(
    city: Any,
    zone: Any,
    categories: Any,
    tehran_tariffs: Any,
    service_version: Any,
    pay_case_bills: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services = licensing_services()
    officer = municipal_user(city, "licensing1", Role.LICENSING_OFFICER)
    inspector = municipal_user(city, "inspector1", Role.TECHNICAL_INSPECTOR)
    open_call(city, zone, actor=officer)
    user = applicant()

    case = apply(services["licensing.office_licence"], user)
    assert case.state == "submitted"
    assert LicenceApplication.objects.get(case=case).zone == zone

    verify_documents(case, officer)
    case = case_act(case=case, action="accept_documents", actor=officer, expected_version=case.version)
    assert case.state == "awaiting_payment"
    pay_case_bills(case)
    assert case.state == "exam"

    _hold(case, "exam", officer, 75, django_capture_on_commit_callbacks)
    assert case.state == "interview"
    _hold(case, "interview", officer, 68, django_capture_on_commit_callbacks)
    assert case.state == "site_visit"

    with django_capture_on_commit_callbacks(execute=True):
        site_visit_record(
            case=case,
            actor=inspector,
            measured_area_m2="82.5",
            building_use="commercial",
            equipment=EQUIPMENT_ALL,
            latitude="35.7601",
            longitude="51.4302",
        )
    case.refresh_from_db()
    assert case.state == "decision"

    case = case_act(
        case=case,
        action="approve",
        actor=officer,
        expected_version=case.version,
        reason="همه شرایط احراز شد؛ صدور مجوز تأیید می‌شود.",
    )
    assert case.state == "licensed"
    licence = OfficeLicence.objects.select_related("office", "certificate").get(application=case)
    office = licence.office
    assert office.licence_status == LicenceStatus.ACTIVE
    assert office.can_serve
    assert office.zone == zone
    assert office.area_m2 == 82
    assert WeeklyHours.objects.filter(office=office).count() == 6
    assert StaffAssignment.objects.filter(user=user, office=office, role=Role.OFFICE_MANAGER).exists()
    assert certificate_verification(number=licence.certificate.number).status == "valid"

    first = case_file(
        service=service_version,
        applicant=user.person,
        office=office,
        channel="office",
        data={"renewal_code": "3-123-45-6", "deed_number": "12345", "floors": "4", "use": "residential"},
        actor=user,
    )
    assert first.office == office
