"""Graduated sanctions: the ladder's suggestion, issuing (who, what is refused), what a suspension
stops (filing at the counter, through the API, booking), the nightly sweep that ends it, and a
revocation whose certificate no longer verifies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from daftar.accounts.models import Person
from daftar.accounts.services import api_token_create
from daftar.appointments.services import booking_create
from daftar.cases.services import case_file
from daftar.certificates.selectors import certificate_verification
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import local_today
from daftar.licensing.models import OfficeLicence, Sanction, SanctionKind, SanctionStatus
from daftar.licensing.supervision import (
    office_standing_recompute,
    sanction_issue,
    sanction_suggest,
    sanctions_due_apply,
)
from daftar.offices.models import LicenceStatus, Office, Zone
from daftar.outbox.models import OutboxMessage

from .conftest import Licensing
from .supervision_builders import (
    People,
    licensed_office,
    past_sanction,
    people,
    violation,
    violation_types,
)

pytestmark = pytest.mark.django_db
CASE_DATA = {"renewal_code": "3-123-45-6", "deed_number": "12345", "floors": "4", "use": "residential"}


@pytest.fixture
def crew(office: Office) -> People:
    violation_types()
    return people(office.city, office)


def _suspend(office: Office, crew: People, *, days: int = 10, **extra: Any) -> Sanction:
    return sanction_issue(
        office=office,
        actor=crew.officer,
        kind="suspension",
        violation_ids=[violation(office, crew.inspector).pk],
        reason="کار خارج از ساعت مصوب پس از دو تذکر",
        ends_on=extra.pop("ends_on", local_today() + timedelta(days=days)),
        **extra,
    )


# --- the ladder ----------------------------------------------------------------------------------


def test_an_office_with_no_earlier_sanction_is_first_given_a_warning(crew: People, office: Office) -> None:
    assert (
        sanction_suggest(office=office, violations=[violation(office, crew.inspector)])
        == SanctionKind.WARNING
    )


def test_a_single_earlier_warning_still_suggests_a_warning(crew: People, office: Office) -> None:
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=100)
    assert (
        sanction_suggest(office=office, violations=[violation(office, crew.inspector)])
        == SanctionKind.WARNING
    )


def test_two_warnings_within_a_year_suggest_a_suspension(crew: People, office: Office) -> None:
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=200)
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=30)
    suggested = sanction_suggest(office=office, violations=[violation(office, crew.inspector)])
    assert suggested == SanctionKind.SUSPENSION


def test_warnings_older_than_a_year_or_overturned_do_not_count(crew: People, office: Office) -> None:
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=400)
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=30, status=SanctionStatus.OVERTURNED)
    past_sanction(office, SanctionKind.WARNING, crew.officer, days_ago=20)
    assert (
        sanction_suggest(office=office, violations=[violation(office, crew.inspector)])
        == SanctionKind.WARNING
    )


def test_after_a_suspension_within_a_year_revocation_is_suggested(crew: People, office: Office) -> None:
    past_sanction(office, SanctionKind.SUSPENSION, crew.officer, days_ago=90)
    suggested = sanction_suggest(office=office, violations=[violation(office, crew.inspector)])
    assert suggested == SanctionKind.REVOCATION


def test_misuse_of_citizens_data_is_never_suggested_below_a_suspension(crew: People, office: Office) -> None:
    misuse = violation(office, crew.inspector, "citizen_data_misuse")
    assert sanction_suggest(office=office, violations=[misuse]) == SanctionKind.SUSPENSION


def test_a_sanction_below_the_violations_least_sanction_is_refused(crew: People, office: Office) -> None:
    misuse = violation(office, crew.inspector, "citizen_data_misuse")
    with pytest.raises(InvalidValue) as caught:
        sanction_issue(
            office=office,
            actor=crew.officer,
            kind="warning",
            violation_ids=[misuse.pk],
            reason="افشای اطلاعات",
        )
    assert caught.value.code == "sanction.below_minimum"
    assert not Sanction.objects.exists()


# --- issuing -------------------------------------------------------------------------------------


def test_a_warning_changes_no_status_and_notifies_the_manager_once(
    crew: People, office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    seen = violation(office, crew.inspector, "hours_tariffs_not_posted")
    with django_capture_on_commit_callbacks(execute=True):
        warning = sanction_issue(
            office=office,
            actor=crew.admin,
            kind="warning",
            violation_ids=[seen.pk],
            reason="  نصب نکردن تعرفه ",
        )
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE
    assert warning.reason == "نصب نکردن تعرفه"
    assert warning.starts_on == local_today()
    assert list(warning.violations.all()) == [seen]
    notices = OutboxMessage.objects.filter(idempotency_key__startswith=f"sanction-{warning.pk}-issued")
    assert [n.payload["to"] for n in notices] == [crew.manager.mobile]
    assert "تذکر" in notices[0].payload["body"]


def test_only_licensing_officers_and_city_administrators_issue_sanctions(
    crew: People, office: Office
) -> None:
    seen = violation(office, crew.inspector)
    for actor in (crew.inspector, crew.auditor, crew.manager):
        with pytest.raises(Forbidden):
            sanction_issue(office=office, actor=actor, kind="warning", violation_ids=[seen.pk], reason="تذکر")
    assert not Sanction.objects.exists()


def test_a_sanction_needs_reasons_and_violations_of_that_office(
    crew: People, office: Office, zone: Zone
) -> None:
    other = Office.objects.create(
        city=office.city, zone=zone, code="2205", name="دفتر ۲۲۰۵", address="تهران", licence_status="active"
    )
    theirs = violation(other, crew.inspector)
    with pytest.raises(InvalidValue) as empty:
        sanction_issue(office=office, actor=crew.officer, kind="warning", violation_ids=[], reason=" ")
    assert set(empty.value.fields) == {"reason", "violations"}
    with pytest.raises(InvalidValue) as foreign:
        sanction_issue(
            office=office, actor=crew.officer, kind="warning", violation_ids=[theirs.pk], reason="تذکر"
        )
    assert foreign.value.code == "sanction.violations"


def test_a_suspension_needs_an_end_after_its_start_and_after_today(crew: People, office: Office) -> None:
    seen = violation(office, crew.inspector)
    today = local_today()
    for starts_on, ends_on in (
        (None, None),
        (today + timedelta(days=5), today + timedelta(days=5)),
        (
            today - timedelta(days=10),
            today,
        ),
    ):
        with pytest.raises(InvalidValue) as caught:
            sanction_issue(
                office=office,
                actor=crew.officer,
                kind="suspension",
                violation_ids=[seen.pk],
                reason="تعلیق",
                starts_on=starts_on,
                ends_on=ends_on,
            )
        assert "ends_on" in caught.value.fields
    assert not Sanction.objects.exists()


def test_a_violation_is_not_sanctioned_twice(crew: People, office: Office) -> None:
    seen = violation(office, crew.inspector)
    sanction_issue(office=office, actor=crew.officer, kind="warning", violation_ids=[seen.pk], reason="تذکر")
    with pytest.raises(Conflict) as caught:
        sanction_issue(
            office=office, actor=crew.officer, kind="warning", violation_ids=[seen.pk], reason="تذکر"
        )
    assert caught.value.code == "sanction.violation_taken"


# --- what a suspension stops ---------------------------------------------------------------------


def test_a_suspended_office_cannot_file_a_case(
    crew: People, office: Office, service_version: Any, citizen_user: Any
) -> None:
    sanction = _suspend(office, crew)
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.SUSPENDED
    assert sanction.previous_status == LicenceStatus.ACTIVE
    with pytest.raises(Conflict) as caught:
        case_file(
            service=service_version,
            applicant=citizen_user.person,
            office=office,
            channel="office",
            data=CASE_DATA,
            actor=crew.operator,
        )
    assert caught.value.code == "case.office_inactive"


def test_a_suspended_office_cannot_file_a_case_through_the_api(
    crew: People, office: Office, service_version: Any
) -> None:
    _suspend(office, crew)
    token = api_token_create(user=crew.operator, name="counter").secret
    response = Client().post(
        "/api/v1/cases",
        {
            "service": service_version.code,
            "channel": "office",
            "office": office.code,
            "applicant": {"national_code": "0012345679", "first_name": "سارا", "last_name": "احمدی"},
            "data": CASE_DATA,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "case.office_inactive"


def test_a_suspended_office_takes_no_booking_and_its_coming_bookings_are_cancelled(
    crew: People,
    office: Office,
    service_version: Any,
    citizen_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from daftar.appointments.models import Booking, BookingStatus

    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    booked = Booking.objects.create(
        code="SV000001",
        office=office,
        service_type=service_version.service_type,
        category=service_version.service_type.category,
        person=citizen_user.person,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        day=timezone.localdate(starts_at),
        status=BookingStatus.BOOKED,
        channel="online",
        created_by=citizen_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _suspend(office, crew)
    booked.refresh_from_db()
    assert booked.status != BookingStatus.BOOKED
    office.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        booking_create(
            office=office,
            service_type=service_version.service_type,
            person=citizen_user.person,
            starts_at=starts_at,
            actor=citizen_user,
            channel="online",
        )
    assert caught.value.code == "booking.office_inactive"


# --- the nightly sweep ---------------------------------------------------------------------------


def test_the_sweep_ends_a_suspension_and_the_office_serves_again(
    crew: People, office: Office, service_version: Any, citizen_user: Any
) -> None:
    sanction = _suspend(office, crew, days=10)
    assert sanctions_due_apply(today=local_today() + timedelta(days=9)) == 0
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.SUSPENDED
    assert sanctions_due_apply(today=local_today() + timedelta(days=10)) == 1
    sanction.refresh_from_db()
    office.refresh_from_db()
    assert sanction.status == SanctionStatus.ENDED
    assert sanction.ended_at is not None
    assert office.licence_status == LicenceStatus.ACTIVE
    assert office.can_serve
    assert OutboxMessage.objects.filter(idempotency_key__startswith=f"sanction-{sanction.pk}-ended").exists()
    assert sanctions_due_apply(today=local_today() + timedelta(days=10)) == 0
    case = case_file(
        service=service_version,
        applicant=citizen_user.person,
        office=office,
        channel="office",
        data=CASE_DATA,
        actor=crew.operator,
    )
    assert case.office == office


def test_a_suspension_dated_ahead_takes_effect_on_its_first_day(crew: People, office: Office) -> None:
    start = local_today() + timedelta(days=3)
    sanction = _suspend(office, crew, starts_on=start, ends_on=start + timedelta(days=7))
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE
    assert sanctions_due_apply(today=start - timedelta(days=1)) == 0
    assert sanctions_due_apply(today=start) == 1
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.SUSPENDED
    assert sanctions_due_apply(today=start) == 0
    assert sanctions_due_apply(today=start + timedelta(days=7)) == 1
    office.refresh_from_db()
    sanction.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE
    assert sanction.status == SanctionStatus.ENDED


def test_standing_is_derived_from_licence_and_sanctions(crew: People, office: Office) -> None:
    today = local_today()
    Office.objects.filter(pk=office.pk).update(licence_valid_until=today - timedelta(days=1))
    office.refresh_from_db()
    assert office_standing_recompute(office=office, today=today).licence_status == LicenceStatus.EXPIRED
    Office.objects.filter(pk=office.pk).update(licence_valid_until=today + timedelta(days=100))
    office.refresh_from_db()
    assert office_standing_recompute(office=office, today=today).licence_status == LicenceStatus.ACTIVE
    pending = Office.objects.create(
        city=office.city, zone=office.zone, code="3301", name="دفتر در انتظار", address="تهران"
    )
    assert office_standing_recompute(office=pending, today=today).licence_status == LicenceStatus.PENDING


# --- revocation ----------------------------------------------------------------------------------


@pytest.fixture
def licence(
    licensing: Licensing, pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> OfficeLicence:
    violation_types()
    return licensed_office(licensing, pay_case_bills, django_capture_on_commit_callbacks)


def test_a_revoked_licence_stops_the_office_and_its_certificate_no_longer_verifies(
    licensing: Licensing, licence: OfficeLicence
) -> None:
    office = licence.office
    assert licence.certificate is not None
    number = licence.certificate.number
    assert certificate_verification(number=number).status == "valid"
    seen = violation(office, licensing.inspector, "citizen_data_misuse")
    sanction_issue(
        office=office,
        actor=licensing.officer,
        kind="revocation",
        violation_ids=[seen.pk],
        reason="افشای اطلاعات شهروندان پس از تعلیق قبلی",
    )
    licence.refresh_from_db()
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.REVOKED
    assert not office.can_serve
    assert licence.revoked_at is not None
    assert certificate_verification(number=number).status == "revoked"
    page = Client().get(reverse("certificates:verify_detail", args=[number]))
    assert page.status_code == 200
    with override("fa"):
        assert gettext("Revoked") in page.content.decode()
    holder = Person.objects.get(pk=licence.holder_id)
    notices = OutboxMessage.objects.filter(kind="sms.send", payload__to=holder.mobile)
    assert any("لغو" in n.payload["body"] for n in notices)


def test_a_revoked_office_is_not_sanctioned_again(licensing: Licensing, licence: OfficeLicence) -> None:
    office = licence.office
    first = violation(office, licensing.inspector, "citizen_data_misuse")
    sanction_issue(
        office=office, actor=licensing.officer, kind="revocation", violation_ids=[first.pk], reason="لغو"
    )
    again = violation(office, licensing.inspector, "service_refused")
    with pytest.raises(Conflict) as caught:
        sanction_issue(
            office=office, actor=licensing.officer, kind="warning", violation_ids=[again.pk], reason="تذکر"
        )
    assert caught.value.code == "sanction.office_revoked"
