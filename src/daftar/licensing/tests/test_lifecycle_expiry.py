"""A licence's end: the nightly sweep marks it expired (bookings cancelled, holder told), the engine
refuses service past the last valid day even before it, and renewal reminders go once each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from daftar.accounts.models import Person
from daftar.appointments.models import Booking, BookingStatus
from daftar.cases.services import case_file
from daftar.core.errors import Conflict
from daftar.core.jalali import local_today
from daftar.licensing.lifecycle import licences_expire_due, licences_remind_renewal
from daftar.licensing.models import LicenceReminder, OfficeLicence
from daftar.offices.models import LicenceStatus, Office
from daftar.outbox.models import OutboxMessage

from .lifecycle_builders import CASE_DATA, at, booking_at, holder, licence_for, staff, upcoming

pytestmark = pytest.mark.django_db

HOLDER_MOBILE = "09121112233"
MANAGER_MOBILE = "09125556677"


@pytest.fixture
def licence(office: Office, filed_case: Any) -> OfficeLicence:
    return licence_for(
        office,
        application=filed_case,
        person=holder(mobile=HOLDER_MOBILE),
        valid_until=local_today() + timedelta(days=90),
    )


@pytest.fixture
def manager(office: Office) -> Any:
    return staff("manager1", "office_manager", office.city, office, mobile=MANAGER_MOBILE)


def sms_to(mobile: str, purpose: str) -> list[OutboxMessage]:
    return [
        m
        for m in OutboxMessage.objects.filter(kind="sms.send").order_by("pk")
        if m.payload["to"] == mobile and m.payload["purpose"] == purpose
    ]


def ends(licence: OfficeLicence, valid_until: date) -> None:
    OfficeLicence.objects.filter(pk=licence.pk).update(valid_until=valid_until)
    Office.objects.filter(pk=licence.office_id).update(licence_valid_until=valid_until)
    licence.refresh_from_db()


# --- expiry ----------------------------------------------------------------------------------------


def test_the_sweep_expires_a_licence_past_its_last_day_once_cancels_bookings_and_tells_the_holder(
    licence: OfficeLicence,
    office: Office,
    service_version: Any,
    citizen_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    today = local_today()
    ends(licence, today - timedelta(days=1))
    booking = booking_at(
        office, service_version.service_type, citizen_user.person, at(upcoming(5), 9), citizen_user
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert licences_expire_due(today=today) == 1
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.EXPIRED
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    [notice] = sms_to(HOLDER_MOBILE, "licence_expired")
    assert office.code in notice.payload["body"]
    assert "تمدید" in notice.payload["body"]

    with django_capture_on_commit_callbacks(execute=True):
        assert licences_expire_due(today=today) == 0
    assert len(sms_to(HOLDER_MOBILE, "licence_expired")) == 1


def test_the_sweep_leaves_a_licence_valid_today_and_a_suspended_office_alone(
    licence: OfficeLicence, office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    today = local_today()
    ends(licence, today)
    with django_capture_on_commit_callbacks(execute=True):
        assert licences_expire_due(today=today) == 0
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE

    Office.objects.filter(pk=office.pk).update(licence_status=LicenceStatus.SUSPENDED)
    with django_capture_on_commit_callbacks(execute=True):
        assert licences_expire_due(today=today + timedelta(days=1)) == 0
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.SUSPENDED


def test_the_engine_refuses_filing_the_day_after_expiry_even_before_the_sweep(
    licence: OfficeLicence, office: Office, service_version: Any, operator_user: Any, citizen_user: Any
) -> None:
    ends(licence, local_today() - timedelta(days=1))
    office.refresh_from_db()
    assert office.licence_status == LicenceStatus.ACTIVE  # the sweep has not run
    with pytest.raises(Conflict) as caught:
        case_file(
            service=service_version,
            applicant=citizen_user.person,
            office=office,
            channel="office",
            data=CASE_DATA,
            actor=operator_user,
        )
    assert caught.value.code == "case.office_inactive"


# --- reminders -------------------------------------------------------------------------------------


def test_reminders_go_at_sixty_thirty_and_seven_days_and_after_expiry_each_once_to_holder_and_manager(
    licence: OfficeLicence, manager: Any, django_capture_on_commit_callbacks: Any
) -> None:
    until = licence.valid_until
    sent: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        for days_left in range(61, -3, -1):
            today = until - timedelta(days=days_left)
            sent.append(licences_remind_renewal(today=today))
            assert licences_remind_renewal(today=today) == 0  # a re-run the same day sends nothing
    assert sum(sent) == 4
    assert sorted(
        LicenceReminder.objects.filter(licence=licence, valid_until=until).values_list(
            "days_before", flat=True
        )
    ) == [0, 7, 30, 60]
    for mobile in (HOLDER_MOBILE, MANAGER_MOBILE):
        messages = sms_to(mobile, "licence_renewal_reminder")
        assert len(messages) == 4
        assert all("تمدید مجوز دفتر خدمات الکترونیک شهر" in m.payload["body"] for m in messages)


def test_the_holder_is_told_of_the_end_once_when_both_the_sweep_and_the_reminder_run(
    licence: OfficeLicence, manager: Any, django_capture_on_commit_callbacks: Any
) -> None:
    day_after = licence.valid_until + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert licences_expire_due(today=day_after) == 1
        assert licences_remind_renewal(today=day_after) == 1
    holder_sms = [m for m in OutboxMessage.objects.all() if m.payload["to"] == HOLDER_MOBILE]
    assert len(holder_sms) == 1
    assert len(sms_to(MANAGER_MOBILE, "licence_renewal_reminder")) == 1


def test_a_renewed_licence_gets_fresh_reminders_for_its_new_last_day(
    licence: OfficeLicence, django_capture_on_commit_callbacks: Any
) -> None:
    first_until = licence.valid_until
    with django_capture_on_commit_callbacks(execute=True):
        assert licences_remind_renewal(today=first_until - timedelta(days=30)) == 1
        ends(licence, first_until + timedelta(days=365 * 5))  # as licence_renew does
        renewed_until = licence.valid_until
        assert licences_remind_renewal(today=renewed_until - timedelta(days=60)) == 1
        assert licences_remind_renewal(today=renewed_until - timedelta(days=60)) == 0
    assert set(LicenceReminder.objects.values_list("valid_until", "days_before")) == {
        (first_until, 30),
        (renewed_until, 60),
    }


def test_a_licence_first_seen_inside_a_window_gets_only_the_nearest_reminder(
    licence: OfficeLicence, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert licences_remind_renewal(today=licence.valid_until - timedelta(days=20)) == 1
    assert list(LicenceReminder.objects.values_list("days_before", flat=True)) == [30]
    assert len(sms_to(HOLDER_MOBILE, "licence_renewal_reminder")) == 1


def test_no_reminder_for_a_revoked_licence_or_one_ended_long_ago(
    licence: OfficeLicence, office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert licences_remind_renewal(today=licence.valid_until + timedelta(days=30)) == 0
        Office.objects.filter(pk=office.pk).update(licence_status=LicenceStatus.REVOKED)
        assert licences_remind_renewal(today=licence.valid_until - timedelta(days=7)) == 0
    assert not LicenceReminder.objects.exists()


def test_reminders_of_many_licences_take_a_bounded_number_of_queries(
    licence: OfficeLicence,
    office: Office,
    manager: Any,
    service_version: Any,
    operator_user: Any,
    citizen_user: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from daftar.billing.tests.builders import office_open

    for n in range(4):
        other = office_open(office.city, office.zone, code=f"33{n}", name=f"دفتر {n}")
        case = case_file(
            service=service_version,
            applicant=citizen_user.person,
            office=office,
            channel="office",
            data=CASE_DATA,
            actor=operator_user,
        )
        person = Person.objects.create(national_code=f"00{n}1234567"[:10], first_name="ا", last_name="ب")
        licence_for(other, application=case, person=person, valid_until=licence.valid_until)
    # per licence: a savepoint, the reminder row and its SMS rows; the reads are fixed
    with django_assert_max_num_queries(6 + 5 * 8):
        assert licences_remind_renewal(today=licence.valid_until - timedelta(days=7)) == 5
