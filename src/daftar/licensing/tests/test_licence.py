"""The licence: what its certificate states, and renewing it before (or after) it expires."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from daftar.cases.models import Case
from daftar.cases.services import case_act, case_file
from daftar.certificates.payload import payload_parse
from daftar.certificates.selectors import certificate_verification
from daftar.core.errors import Conflict, Forbidden
from daftar.core.jalali import local_today
from daftar.licensing.models import LicenceRenewal, OfficeLicence
from daftar.licensing.services import assessment_record, assessment_schedule, site_visit_record
from daftar.offices.models import LicenceStatus, Office

from .builders import applicant, apply, verify_documents
from .conftest import Licensing

pytestmark = pytest.mark.django_db


@pytest.fixture
def licensed(licensing: Licensing, advance: Any) -> OfficeLicence:
    user = applicant()
    case = advance(apply(licensing.application, user), "decision")
    case_act(
        case=case,
        action="approve",
        actor=licensing.officer,
        expected_version=case.version,
        reason="همه شرایط احراز شد؛ صدور مجوز تأیید می‌شود.",
    )
    return OfficeLicence.objects.select_related("office", "certificate", "holder").get(application=case)


def test_the_licence_certificate_states_number_office_district_and_validity(licensed: OfficeLicence) -> None:
    payload = payload_parse(licensed.certificate.payload)
    fields = dict(payload["fields"])
    assert fields["شماره مجوز"] == licensed.number
    assert fields["کد دفتر"] == licensed.office.code
    assert fields["منطقه"] == "منطقه ۳"
    assert payload["valid_until"] == licensed.valid_until.isoformat()
    assert payload["applicant"]["name"] == "نادر کاظمی"
    assert licensed.number.startswith("TEH-")
    assert licensed.office.code == "301"  # the first free code of district 3
    assert licensed.office.licence_valid_until == licensed.valid_until
    assert (licensed.valid_until - licensed.valid_from).days in (1825, 1826)  # five years less a day


def test_an_expired_licence_stops_the_office_from_serving_before_any_sweep(
    licensed: OfficeLicence, service_version: Any
) -> None:
    office = licensed.office
    Office.objects.filter(pk=office.pk).update(licence_valid_until=local_today() - timedelta(days=1))
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE
    assert not office.can_serve
    manager = licensed.application.filed_by
    with pytest.raises(Conflict) as caught:
        case_file(
            service=service_version,
            applicant=manager.person,
            office=office,
            channel="office",
            data={"renewal_code": "3-123-45-6", "deed_number": "12345", "floors": "4", "use": "residential"},
            actor=manager,
        )
    assert caught.value.code == "case.office_inactive"


def _renew(licensing: Licensing, licensed: OfficeLicence, pay: Any) -> Case:
    user = licensed.application.filed_by
    from daftar.documents.services import case_file_with_documents

    from .builders import all_documents

    case = case_file_with_documents(
        service=licensing.renewal,
        applicant=user.person,
        office=None,
        channel="online",
        data={"office_code": licensed.office.code, "premises_unchanged": True},
        actor=user,
        files=all_documents(licensing.renewal),
    )
    verify_documents(case, licensing.officer)
    case = case_act(case=case, action="accept", actor=licensing.officer, expected_version=case.version)
    pay(case)
    return case_act(case=case, action="approve", actor=licensing.officer, expected_version=case.version)


def test_renewal_is_refused_until_ninety_days_before_expiry(
    licensing: Licensing, licensed: OfficeLicence
) -> None:
    with pytest.raises(Conflict) as caught:
        _renew(licensing, licensed, lambda case: None)
    assert "روز پیش از پایان اعتبار مجوز" in str(caught.value)


def test_renewal_extends_the_licence_from_its_end_with_a_new_certificate(
    licensing: Licensing, licensed: OfficeLicence, pay_case_bills: Any
) -> None:
    end = local_today() + timedelta(days=30)
    OfficeLicence.objects.filter(pk=licensed.pk).update(valid_until=end)
    first_certificate = licensed.certificate
    case = _renew(licensing, licensed, pay_case_bills)
    assert case.state == "renewed"
    licensed.refresh_from_db()
    renewal = LicenceRenewal.objects.get(case=case)
    assert renewal.previous_until == end
    assert licensed.valid_until == renewal.valid_until > end
    assert licensed.certificate != first_certificate
    assert certificate_verification(number=licensed.certificate.number).status == "valid"
    licensed.office.refresh_from_db()
    assert licensed.office.licence_valid_until == licensed.valid_until


def test_an_expired_licence_renewed_becomes_active_again(
    licensing: Licensing, licensed: OfficeLicence, pay_case_bills: Any
) -> None:
    OfficeLicence.objects.filter(pk=licensed.pk).update(
        valid_from=local_today() - timedelta(days=1830), valid_until=local_today() - timedelta(days=3)
    )
    Office.objects.filter(pk=licensed.office_id).update(licence_status=LicenceStatus.EXPIRED)
    _renew(licensing, licensed, pay_case_bills)
    office = Office.objects.get(pk=licensed.office_id)
    assert office.licence_status == LicenceStatus.ACTIVE
    assert office.can_serve


def test_only_the_holder_or_manager_may_renew(licensing: Licensing, licensed: OfficeLicence) -> None:
    OfficeLicence.objects.filter(pk=licensed.pk).update(valid_until=local_today() + timedelta(days=10))
    stranger = applicant("0079876541", "09129990000")
    with pytest.raises(Conflict) as caught:
        case_file(
            service=licensing.renewal,
            applicant=stranger.person,
            office=None,
            channel="online",
            data={"office_code": licensed.office.code, "premises_unchanged": True},
            actor=stranger,
        )
    assert str(caught.value) == "تنها دارنده مجوز یا مدیر دفتر می‌تواند مجوز را تمدید کند."


def test_a_revoked_licence_cannot_be_renewed(licensing: Licensing, licensed: OfficeLicence) -> None:
    OfficeLicence.objects.filter(pk=licensed.pk).update(
        valid_until=local_today() + timedelta(days=10), revoked_at=licensed.created_at
    )
    user = licensed.application.filed_by
    with pytest.raises(Conflict) as caught:
        case_file(
            service=licensing.renewal,
            applicant=user.person,
            office=None,
            channel="online",
            data={"office_code": licensed.office.code, "premises_unchanged": True},
            actor=user,
        )
    assert str(caught.value) == "مجوز این دفتر لغو شده است و قابل تمدید نیست."


# --- exam, interview and site visit: who and when ------------------------------------------------


def test_the_exam_is_scheduled_only_at_the_exam_stage_by_licensing_staff_and_in_the_future(
    licensing: Licensing, advance: Any
) -> None:
    from django.utils import timezone

    from daftar.core.errors import InvalidValue

    case = apply(licensing.application, applicant())
    soon = timezone.now() + timedelta(days=2)
    with pytest.raises(Conflict):  # still at document review
        assessment_schedule(
            case=case, kind="exam", scheduled_at=soon, place="سالن ۱", actor=licensing.officer
        )
    case = advance(case, "exam")
    with pytest.raises(Forbidden):
        assessment_schedule(
            case=case, kind="exam", scheduled_at=soon, place="سالن ۱", actor=licensing.inspector
        )
    with pytest.raises(InvalidValue):
        assessment_schedule(
            case=case,
            kind="exam",
            scheduled_at=timezone.now() - timedelta(hours=1),
            place="سالن ۱",
            actor=licensing.officer,
        )
    assessment_schedule(case=case, kind="exam", scheduled_at=soon, place="سالن ۱", actor=licensing.officer)
    with pytest.raises(Conflict) as caught:  # not held yet
        assessment_record(case=case, kind="exam", actor=licensing.officer, score=80)
    assert caught.value.code == "assessment.not_held"
    from daftar.licensing.models import Assessment

    Assessment.objects.filter(application__case=case).update(scheduled_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(InvalidValue):
        assessment_record(case=case, kind="exam", actor=licensing.officer, score=101)


def test_a_result_is_recorded_once(
    licensing: Licensing, advance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from .builders import hold_assessment

    case = advance(apply(licensing.application, applicant()), "exam")
    hold_assessment(case, "exam", licensing.officer, django_capture_on_commit_callbacks, score=40)
    with pytest.raises(Conflict):
        assessment_record(case=case, kind="exam", actor=licensing.officer, score=90)


def test_site_visit_photos_are_checked_by_content_and_nothing_is_kept_on_refusal(
    licensing: Licensing, advance: Any
) -> None:
    from daftar.core.errors import InvalidValue
    from daftar.documents.tests.samples import pdf_bytes
    from daftar.licensing.models import SiteVisit

    from .builders import EQUIPMENT_ALL

    case = advance(apply(licensing.application, applicant()), "site_visit")
    with pytest.raises(InvalidValue) as caught:
        site_visit_record(
            case=case,
            actor=licensing.inspector,
            measured_area_m2="80",
            building_use="commercial",
            equipment=EQUIPMENT_ALL,
            latitude="35.76",
            longitude="51.43",
            photos=[("fake.jpg", pdf_bytes())],
        )
    assert caught.value.field_messages() == {"photos": ["عکس‌ها باید از نوع JPEG یا PNG باشند."]}
    assert not SiteVisit.objects.exists()
    with pytest.raises(Forbidden):
        site_visit_record(
            case=case,
            actor=licensing.admin,
            measured_area_m2="80",
            building_use="commercial",
            equipment=EQUIPMENT_ALL,
            latitude="35.76",
            longitude="51.43",
        )


def test_the_decision_to_license_states_its_reasons(licensing: Licensing, advance: Any) -> None:
    from daftar.core.errors import InvalidValue

    case = advance(apply(licensing.application, applicant()), "decision")
    with pytest.raises(InvalidValue) as caught:
        case_act(case=case, action="approve", actor=licensing.officer, expected_version=case.version)
    assert caught.value.code == "case.reason_required"
    assert not OfficeLicence.objects.exists()
