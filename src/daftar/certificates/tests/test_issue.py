"""Issuing and revoking: the signed payload, one live certificate per case and kind, the timeline."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from daftar.cases.models import CaseEvent, EventKind
from daftar.certificates.models import Certificate
from daftar.certificates.selectors import certificate_verification, certificates_of_case
from daftar.certificates.services import certificate_issue, certificate_revoke
from daftar.certificates.signing import canonical_json, public_key_for, verify
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import local_today
from daftar.workflow.registry import EffectContext, effects

pytestmark = pytest.mark.django_db


def test_issued_payload_states_the_case_in_canonical_signed_form(
    certificate: Certificate, filed_case: Any
) -> None:
    payload = json.loads(certificate.payload)
    assert certificate.payload.encode() == canonical_json(payload)  # stored byte-exact as signed
    assert payload["v"] == 1
    assert payload["number"] == certificate.number
    assert payload["kind"] == "certificate"
    assert payload["title"] == {"fa": "گواهی عدم خلاف", "en": "No-violation certificate"}
    assert payload["service"] == {"code": "building.no_violation_certificate", "version": 1}
    assert payload["tracking_code"] == filed_case.tracking_code
    assert payload["applicant"] == {"name": "سارا احمدی", "national_code_masked": "001*****79"}
    assert payload["office"] == "1102"
    assert payload["city"] == "tehran"
    assert payload["issued_at"].endswith("Z")


def test_printed_fields_follow_the_output_order_with_persian_labels_and_enum_titles(
    certificate: Certificate,
) -> None:
    fields = json.loads(certificate.payload)["fields"]
    assert [label for label, _value in fields] == ["کد نوسازی", "شماره سند", "کاربری"]
    assert fields[2] == ["کاربری", "مسکونی"]  # "residential" shown by its x-enum-titles label


def test_validity_is_the_issue_day_plus_the_outputs_valid_days(certificate: Certificate) -> None:
    assert certificate.valid_until == local_today() + timedelta(days=90)
    assert json.loads(certificate.payload)["valid_until"] == certificate.valid_until.isoformat()


def test_the_signature_verifies_against_the_published_key(certificate: Certificate) -> None:
    public_key = public_key_for(certificate.key_id)
    assert public_key is not None
    assert verify(certificate.payload.encode(), certificate.signature, public_key)
    assert certificate_verification(number=certificate.number).status == "valid"


def test_the_pdf_is_stored_with_the_certificate(certificate: Certificate) -> None:
    with certificate.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert certificate.number in certificate.pdf.name


def test_issuing_twice_for_the_same_case_and_kind_conflicts(
    certificate: Certificate, reviewer_user: Any
) -> None:
    with pytest.raises(Conflict) as info:
        certificate_issue(case=certificate.case, actor=reviewer_user)
    assert info.value.code == "certificate.already_issued"
    assert Certificate.objects.filter(case=certificate.case).count() == 1


def test_after_revoking_a_new_certificate_may_be_issued(certificate: Certificate, reviewer_user: Any) -> None:
    certificate_revoke(certificate=certificate, actor=reviewer_user, reason="اشتباه در شماره سند")
    again = certificate_issue(case=certificate.case, actor=reviewer_user)
    assert again.number != certificate.number
    assert list(certificates_of_case(case=certificate.case)) == [again, certificate]


def test_issuing_and_revoking_are_recorded_on_the_public_timeline(
    certificate: Certificate, reviewer_user: Any
) -> None:
    certificate_revoke(certificate=certificate, actor=reviewer_user, reason="صدور اشتباه")
    events = CaseEvent.objects.filter(case=certificate.case, kind=EventKind.OUTPUT).order_by("seq")
    assert [(e.payload, e.public) for e in events] == [
        ({"certificate": certificate.number}, True),
        ({"certificate": certificate.number, "revoked": True}, True),
    ]
    assert events[1].message == "صدور اشتباه"


def test_revoking_needs_a_reason(certificate: Certificate, reviewer_user: Any) -> None:
    for blank in ("", "   ", "\u200c"):
        with pytest.raises(InvalidValue) as info:
            certificate_revoke(certificate=certificate, actor=reviewer_user, reason=blank)
        assert info.value.code == "certificate.reason_required"
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_revoking_twice_conflicts(certificate: Certificate, reviewer_user: Any) -> None:
    revoked = certificate_revoke(
        certificate=certificate, actor=reviewer_user, reason="ابطال به درخواست متقاضی"
    )
    assert revoked.is_revoked
    assert revoked.revoke_reason == "ابطال به درخواست متقاضی"
    with pytest.raises(Conflict):
        certificate_revoke(certificate=certificate, actor=reviewer_user, reason="دوباره")


def test_a_certificate_past_its_validity_verifies_as_expired(
    filed_case: Any, reviewer_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_ago = timezone.now() - timedelta(days=200)
    monkeypatch.setattr(timezone, "now", lambda: long_ago)  # issued 200 days ago, valid for 90
    certificate = certificate_issue(case=filed_case, actor=reviewer_user)
    monkeypatch.undo()
    assert certificate_verification(number=certificate.number).status == "expired"


def test_a_service_without_an_output_issues_nothing(filed_case: Any, reviewer_user: Any) -> None:
    filed_case.service_version.output = {}
    with pytest.raises(InvalidValue):
        certificate_issue(case=filed_case, actor=reviewer_user)
    assert not Certificate.objects.exists()


def test_the_workflow_effect_issue_certificate_issues_the_cases_certificate(
    filed_case: Any, reviewer_user: Any
) -> None:
    effect = effects.get("issue_certificate")
    effect(
        filed_case,
        EffectContext(actor=reviewer_user, action="approve", from_state="approval", to_state="issued"),
    )
    assert certificates_of_case(case=filed_case).count() == 1
