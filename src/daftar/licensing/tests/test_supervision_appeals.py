"""Appeals (اعتراض): only the office files, within the window, once; someone other than the issuer
decides; overturning restores the office (and, for a revocation, a fresh certificate)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from daftar.accounts.roles import Role
from daftar.certificates.selectors import certificate_verification
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import local_today
from daftar.licensing.models import Appeal, AppealStatus, OfficeLicence, Sanction, SanctionStatus
from daftar.licensing.supervision import appeal_decide, appeal_file, sanction_issue, sanctions_due_apply
from daftar.offices.models import LicenceStatus, Office, Zone
from daftar.outbox.models import OutboxMessage

from .conftest import Licensing
from .supervision_builders import (
    People,
    holder_user,
    licensed_office,
    people,
    staff,
    violation,
    violation_types,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(office: Office) -> People:
    violation_types()
    return people(office.city, office)


@pytest.fixture
def suspension(crew: People, office: Office) -> Sanction:
    return sanction_issue(
        office=office,
        actor=crew.admin,
        kind="suspension",
        violation_ids=[violation(office, crew.inspector).pk],
        reason="دریافت وجه بیش از تعرفه",
        ends_on=local_today() + timedelta(days=30),
    )


def test_only_the_offices_manager_or_licence_holder_may_appeal(
    crew: People, office: Office, zone: Zone, suspension: Sanction
) -> None:
    other = Office.objects.create(city=office.city, zone=zone, code="2205", name="دفتر ۲۲۰۵", address="تهران")
    other_manager = staff("sv-other-manager", Role.OFFICE_MANAGER, office.city, other)
    for actor in (crew.operator, other_manager, crew.officer, crew.admin):
        with pytest.raises(Forbidden):
            appeal_file(sanction=suspension, actor=actor, statement="اعتراض")
    appeal = appeal_file(sanction=suspension, actor=crew.manager, statement="  وجه اضافه بابت کپی مدارک بود ")
    assert appeal.status == AppealStatus.PENDING
    assert appeal.statement == "وجه اضافه بابت کپی مدارک بود"


def test_an_appeal_needs_grounds_and_is_filed_once(crew: People, suspension: Sanction) -> None:
    with pytest.raises(InvalidValue):
        appeal_file(sanction=suspension, actor=crew.manager, statement="  ")
    appeal_file(sanction=suspension, actor=crew.manager, statement="اعتراض دارم")
    with pytest.raises(Conflict) as caught:
        appeal_file(sanction=suspension, actor=crew.manager, statement="دوباره")
    assert caught.value.code == "appeal.already_filed"
    assert Appeal.objects.count() == 1


def test_an_appeal_after_twenty_days_is_refused(crew: People, suspension: Sanction) -> None:
    Sanction.objects.filter(pk=suspension.pk).update(issued_at=timezone.now() - timedelta(days=20, minutes=1))
    suspension.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        appeal_file(sanction=suspension, actor=crew.manager, statement="دیر")
    assert caught.value.code == "appeal.too_late"
    Sanction.objects.filter(pk=suspension.pk).update(issued_at=timezone.now() - timedelta(days=19, hours=23))
    suspension.refresh_from_db()
    assert appeal_file(sanction=suspension, actor=crew.manager, statement="به موقع").pk


def test_an_ended_sanction_cannot_be_appealed(crew: People, suspension: Sanction) -> None:
    sanctions_due_apply(today=local_today() + timedelta(days=30))
    suspension.refresh_from_db()
    assert suspension.status == SanctionStatus.ENDED
    with pytest.raises(Conflict) as caught:
        appeal_file(sanction=suspension, actor=crew.manager, statement="اعتراض")
    assert caught.value.code == "appeal.not_in_force"


def test_the_issuer_may_not_decide_the_appeal_and_only_a_city_administrator_may(
    crew: People, suspension: Sanction
) -> None:
    appeal = appeal_file(sanction=suspension, actor=crew.manager, statement="اعتراض")
    with pytest.raises(Forbidden) as issuer:
        appeal_decide(appeal=appeal, actor=crew.admin, uphold=False, reason="نقض")
    assert issuer.value.code == "appeal.issuer"
    for actor in (crew.officer, crew.inspector, crew.auditor):
        with pytest.raises(Forbidden):
            appeal_decide(appeal=appeal, actor=actor, uphold=False, reason="نقض")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


def test_a_decision_needs_reasons_and_is_made_once(crew: People, suspension: Sanction) -> None:
    appeal = appeal_file(sanction=suspension, actor=crew.manager, statement="اعتراض")
    with pytest.raises(InvalidValue):
        appeal_decide(appeal=appeal, actor=crew.second_admin, uphold=True, reason=" ")
    appeal_decide(appeal=appeal, actor=crew.second_admin, uphold=True, reason="مستندات بازرسی کافی است")
    with pytest.raises(Conflict):
        appeal_decide(appeal=appeal, actor=crew.second_admin, uphold=False, reason="تغییر نظر")


def test_an_upheld_suspension_stays_in_force(crew: People, office: Office, suspension: Sanction) -> None:
    appeal = appeal_file(sanction=suspension, actor=crew.manager, statement="اعتراض")
    decided = appeal_decide(appeal=appeal, actor=crew.second_admin, uphold=True, reason="مستندات کافی است")
    assert decided.status == AppealStatus.UPHELD
    assert decided.decided_by == crew.second_admin
    suspension.refresh_from_db()
    office.refresh_from_db()
    assert suspension.status == SanctionStatus.IN_FORCE
    assert office.licence_status == LicenceStatus.SUSPENDED


def test_overturning_a_suspension_restores_the_office(
    crew: People, office: Office, suspension: Sanction
) -> None:
    office.refresh_from_db()
    assert not office.can_serve
    appeal = appeal_file(sanction=suspension, actor=crew.manager, statement="اعتراض")
    decided = appeal_decide(
        appeal=appeal, actor=crew.second_admin, uphold=False, reason="بازرسی در ساعت کاری نبود"
    )
    assert decided.status == AppealStatus.OVERTURNED
    suspension.refresh_from_db()
    office.refresh_from_db()
    assert suspension.status == SanctionStatus.OVERTURNED
    assert office.licence_status == LicenceStatus.ACTIVE
    assert office.can_serve
    assert OutboxMessage.objects.filter(
        idempotency_key=f"appeal-{appeal.pk}-decided-{crew.manager.mobile}"
    ).exists()
    # An overturned sanction no longer counts on the ladder, and its violation may be sanctioned anew.
    assert sanction_issue(
        office=office,
        actor=crew.officer,
        kind="warning",
        violation_ids=list(suspension.violations.values_list("pk", flat=True)),
        reason="تذکر به جای تعلیق",
    ).pk


@pytest.fixture
def revoked(
    licensing: Licensing, pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> tuple[OfficeLicence, Sanction]:
    violation_types()
    licence = licensed_office(licensing, pay_case_bills, django_capture_on_commit_callbacks)
    seen = violation(licence.office, licensing.inspector, "citizen_data_misuse")
    sanction = sanction_issue(
        office=licence.office,
        actor=licensing.officer,
        kind="revocation",
        violation_ids=[seen.pk],
        reason="افشای اطلاعات",
    )
    return licence, sanction


def test_overturning_a_revocation_restores_the_licence_with_a_fresh_certificate(
    licensing: Licensing, revoked: tuple[OfficeLicence, Sanction]
) -> None:
    licence, sanction = revoked
    assert licence.certificate is not None
    old_number = licence.certificate.number
    assert certificate_verification(number=old_number).status == "revoked"
    appeal = appeal_file(sanction=sanction, actor=holder_user(licence), statement="اطلاعات افشا نشده است")
    appeal_decide(appeal=appeal, actor=licensing.admin, uphold=False, reason="گزارش بازرسی اثبات نشد")
    licence.refresh_from_db()
    office = Office.objects.get(pk=licence.office_id)
    assert licence.revoked_at is None
    assert office.licence_status == LicenceStatus.ACTIVE
    assert licence.certificate is not None
    assert licence.certificate.number != old_number
    fresh = certificate_verification(number=licence.certificate.number)
    assert fresh.status == "valid"
    assert dict(fresh.payload["fields"])["شماره مجوز"] == licence.number
    assert certificate_verification(number=old_number).status == "revoked"
