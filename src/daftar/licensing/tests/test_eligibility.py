"""Every eligibility rule: an applicant who fails only that rule is told exactly why, and one who
meets every condition passes them all.

Rules an application can already break on what it declares refuse the filing itself (with the
reason); rules decided later (documents, exam, interview, site visit) fail at that stage and
block approval, or close the application when an exam or interview is failed.
"""

from __future__ import annotations

from typing import Any

import pytest

from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.cases.services import case_act
from daftar.core.errors import Conflict
from daftar.licensing.eligibility import RULES, eligibility_of
from daftar.offices.services import staff_assign

from .builders import EQUIPMENT_ALL, applicant, apply, hold_assessment, verify_documents, visit
from .conftest import Licensing

pytestmark = pytest.mark.django_db


def states(case: Case) -> dict[str, str]:
    return {status.rule.name: status.state for status in eligibility_of(case)}


def failed(case: Case) -> dict[str, str]:
    return {s.rule.name: str(s.result.reason) for s in eligibility_of(case) if s.state == "failed"}


def refused(licensing: Licensing, **changes: Any) -> str:
    """The filing is refused; returns the reason given (and no case was created)."""
    user = applicant()
    with pytest.raises(Conflict) as caught:
        apply(licensing.application, user, **changes)
    assert caught.value.code == "case.filing_refused"
    assert not Case.objects.filter(applicant=user.person).exists()
    return str(caught.value)


# --- the applicant who meets every condition --------------------------------------------------


def test_an_applicant_meeting_every_condition_passes_every_rule_at_the_decision(
    licensing: Licensing, advance: Any
) -> None:
    case = apply(licensing.application, applicant())
    case = advance(case, "decision")
    assert set(states(case)) == set(RULES)
    assert set(states(case).values()) == {"passed"}


def test_before_any_evidence_the_later_rules_are_pending_and_none_has_failed(licensing: Licensing) -> None:
    case = apply(licensing.application, applicant())
    result = states(case)
    assert "failed" not in result.values()
    for name in (
        "applicant_no_criminal_record",
        "applicant_passed_exam",
        "premises_area",
        "applicant_degree",
    ):
        assert result[name] == "pending"
    assert result["applicant_iranian_citizen"] == "passed"
    assert result["applicant_not_state_employee"] == "passed"


# --- rules decided on what the application declares: the filing is refused --------------------


def test_a_foreign_national_is_refused_for_citizenship_only(licensing: Licensing) -> None:
    assert refused(licensing, nationality="foreign") == (
        "تنها اتباع جمهوری اسلامی ایران می‌توانند مجوز دفتر دریافت کنند."
    )


def test_a_state_employee_is_refused(licensing: Licensing) -> None:
    assert refused(licensing, is_state_employee=True) == (
        "شاغلان دستگاه‌های دولتی نمی‌توانند مجوز دفتر دریافت کنند."
    )


def test_the_representative_of_another_office_is_refused(licensing: Licensing) -> None:
    assert refused(licensing, represents_other_office=True) == (
        "دارنده یا نماینده دفتر خدمات دیگر نمی‌تواند درخواست مجوز دهد."
    )


def test_the_manager_of_another_office_is_refused_even_when_declaring_otherwise(
    licensing: Licensing, office: Any
) -> None:
    user = applicant()
    staff_assign(user=user, role=Role.OFFICE_MANAGER, city=office.city, office=office)
    with pytest.raises(Conflict) as caught:
        apply(licensing.application, user)
    assert str(caught.value) == "متقاضی هم‌اکنون دارنده یا مدیر دفتر 1102 است."


def test_an_associate_degree_is_refused(licensing: Licensing) -> None:
    assert refused(licensing, degree_level="associate") == "حداقل مدرک کارشناسی لازم است."


def test_a_degree_in_an_unrelated_field_is_refused(licensing: Licensing) -> None:
    assert refused(licensing, degree_field="other") == (
        "رشته تحصیلی باید عمران، معماری، شهرسازی، حقوق، فناوری اطلاعات یا مدیریت باشد."
    )


def test_less_than_three_years_of_experience_is_refused(licensing: Licensing) -> None:
    assert refused(licensing, experience_years=2) == (
        "حداقل 3 سال سابقه کار در امور شهری یا فناوری اطلاعات لازم است."
    )


def test_experience_outside_urban_affairs_or_it_is_refused(licensing: Licensing) -> None:
    assert (
        refused(licensing, experience_field="other") == "سابقه کار باید در امور شهری یا فناوری اطلاعات باشد."
    )


def test_a_missing_training_course_is_refused_naming_the_course(licensing: Licensing) -> None:
    assert refused(licensing, course_citizen_rights=False) == (
        "این دوره‌های آموزشی مصوب گذرانده نشده است: "
        "دوره آموزشی «حقوق شهروندی و تکریم ارباب رجوع» را گذرانده‌ام."
    )


def test_a_residential_building_is_refused(licensing: Licensing) -> None:
    assert refused(licensing, premises_use="residential") == (
        "محل دفتر باید در ساختمان تجاری یا اداری باشد؛ کاربری محل: مسکونی."
    )


def test_premises_below_the_citys_minimum_area_are_refused(licensing: Licensing) -> None:
    assert refused(licensing, premises_area_m2=55) == (
        "مساحت مفید اظهارشده 55 متر مربع است؛ حداقل 60 متر مربع لازم است."
    )


def test_the_minimum_area_is_the_citys_own_setting(licensing: Licensing, city: Any) -> None:
    city.min_office_area_m2 = 50
    city.save()
    case = apply(licensing.application, applicant(), premises_area_m2=55)
    assert states(case)["premises_area"] == "pending"


def test_missing_equipment_is_refused_naming_the_item(licensing: Licensing) -> None:
    assert refused(licensing, has_sign=False) == "تجهیزات ناقص: تابلوی دفتر."


# --- rules decided by documents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "document", "title"),
    [
        ("applicant_no_criminal_record", "no_criminal_record", "گواهی عدم سوء پیشینه کیفری"),
        ("applicant_not_addicted", "non_addiction", "گواهی عدم اعتیاد"),
        ("applicant_healthy", "health_certificate", "گواهی سلامت جسمی و روانی"),
        ("applicant_degree", "degree", "مدرک تحصیلی کارشناسی یا بالاتر"),
        ("applicant_experience", "experience_certificate", "گواهی سابقه کار (حداقل سه سال)"),
        ("applicant_training", "training_certificates", "گواهی دوره‌های آموزشی گذرانده‌شده"),
    ],
)
def test_a_rejected_certificate_fails_only_its_rule_with_the_officers_reason(
    licensing: Licensing, rule: str, document: str, title: str
) -> None:
    case = apply(licensing.application, applicant())
    verify_documents(case, licensing.officer, reject={document: "تاریخ گواهی گذشته است"})
    case.refresh_from_db()
    assert failed(case) == {rule: f"«{title}» پذیرفته نشد: تاریخ گواهی گذشته است"}


def test_documents_awaiting_review_keep_their_rules_pending(licensing: Licensing) -> None:
    case = apply(licensing.application, applicant())
    result = {s.rule.name: str(s.result.reason) for s in eligibility_of(case)}
    assert result["applicant_healthy"] == "در انتظار بررسی «گواهی سلامت جسمی و روانی» توسط کارشناس."


def test_documents_cannot_be_accepted_while_a_document_rule_fails(licensing: Licensing) -> None:
    case = apply(licensing.application, applicant())
    verify_documents(case, licensing.officer)
    case.refresh_from_db()
    # Verified documents, but the officer learns later that the applicant is a state employee.
    Case.objects.filter(pk=case.pk).update(data={**case.data, "is_state_employee": True})
    case.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        case_act(case=case, action="accept_documents", actor=licensing.officer, expected_version=case.version)
    assert "شاغلان دستگاه‌های دولتی" in str(caught.value)


# --- the exam and the interview ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "rule", "label"),
    [
        ("exam", "applicant_passed_exam", "آزمون کتبی تخصصی"),
        ("interview", "applicant_passed_interview", "مصاحبه علمی و فنی"),
    ],
)
def test_a_score_below_the_pass_mark_fails_only_that_rule_and_closes_the_application(
    licensing: Licensing,
    advance: Any,
    django_capture_on_commit_callbacks: Any,
    kind: str,
    rule: str,
    label: str,
) -> None:
    case = apply(licensing.application, applicant())
    case = advance(case, kind)
    case = hold_assessment(case, kind, licensing.officer, django_capture_on_commit_callbacks, score="59.5")
    assert case.state == "not_qualified"
    assert case.outcome == "rejected"
    assert failed(case) == {rule: f"{label} با موفقیت گذرانده نشد: نمره 59.5، حد نصاب 60."}


def test_an_absent_applicant_fails_the_exam(
    licensing: Licensing, advance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = advance(apply(licensing.application, applicant()), "exam")
    case = hold_assessment(case, "exam", licensing.officer, django_capture_on_commit_callbacks, absent=True)
    assert case.state == "not_qualified"
    assert failed(case) == {"applicant_passed_exam": "متقاضی در آزمون کتبی تخصصی حاضر نشد."}


def test_exactly_the_pass_mark_passes(
    licensing: Licensing, advance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = advance(apply(licensing.application, applicant()), "exam")
    case = hold_assessment(case, "exam", licensing.officer, django_capture_on_commit_callbacks, score=60)
    assert case.state == "interview"


# --- the site visit decides the premises ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "rule", "reason"),
    [
        (
            {"building_use": "residential"},
            "premises_use",
            "محل دفتر باید در ساختمان تجاری یا اداری باشد؛ کاربری محل: مسکونی.",
        ),
        (
            {"measured_area_m2": "57.25"},
            "premises_area",
            "مساحت مفید اندازه‌گیری‌شده 57.25 متر مربع است؛ حداقل 60 متر مربع لازم است.",
        ),
        (
            {"equipment": {**EQUIPMENT_ALL, "has_printer": False}},
            "premises_equipped",
            "تجهیزات ناقص: چاپگر و اسکنر.",
        ),
        (
            {"latitude": "35.7000", "longitude": "51.4300"},
            "premises_in_permitted_zone",
            "محلی که در بازدید میدانی دیده شد خارج از منطقه ۳، منطقه مورد درخواست، است.",
        ),
    ],
)
def test_what_the_inspector_finds_fails_only_that_premises_rule_and_blocks_approval(
    licensing: Licensing,
    advance: Any,
    django_capture_on_commit_callbacks: Any,
    changes: dict[str, Any],
    rule: str,
    reason: str,
) -> None:
    case = advance(apply(licensing.application, applicant()), "site_visit")
    case = visit(case, licensing.inspector, django_capture_on_commit_callbacks, **changes)
    assert case.state == "decision"
    assert failed(case) == {rule: reason}
    with pytest.raises(Conflict) as caught:
        case_act(
            case=case,
            action="approve",
            actor=licensing.officer,
            expected_version=case.version,
            reason="همه شرایط احراز شد؛ صدور مجوز تأیید می‌شود.",
        )
    assert str(caught.value) == reason
