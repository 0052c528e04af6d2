"""Acting on a case: roles and scope, optimistic concurrency, the shared states, deadlines, sweep."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import close_old_connections

from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.selectors import case_events_for, case_for_user, case_roles_of, case_track_public, inbox_for
from daftar.cases.services import case_act, case_rate, cases_sweep_overdue
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import local_today
from daftar.offices.selectors import working_days_add

pytestmark = pytest.mark.django_db


def act(case: Case, action: str, actor: Any, **kwargs: Any) -> Case:
    case.refresh_from_db()
    return case_act(case=case, action=action, actor=actor, expected_version=case.version, **kwargs)


def test_a_reviewer_moves_the_case_and_the_timeline_records_it(plain_case: Case, reviewer_user: Any) -> None:
    case = act(plain_case, "accept", reviewer_user)
    assert case.state == "approval"
    assert case.version == 2
    event = case.events.order_by("-seq").first()
    assert event is not None
    assert (event.kind, event.action, event.from_state, event.to_state) == (
        EventKind.ACTION,
        "accept",
        "submitted",
        "approval",
    )
    assert event.actor == reviewer_user
    assert event.actor_role == "municipal_reviewer"


def test_an_operator_may_not_take_a_reviewers_action(plain_case: Case, operator_user: Any) -> None:
    with pytest.raises(Forbidden):
        act(plain_case, "accept", operator_user)
    plain_case.refresh_from_db()
    assert plain_case.state == "submitted"
    assert plain_case.version == 1


def test_a_reviewer_of_another_department_may_not_act(plain_case: Case, city: Any) -> None:
    from daftar.accounts.models import User
    from daftar.offices.models import StaffAssignment

    user = User.objects.create_user(username="revenue1", password="x-test-password-1405")
    StaffAssignment.objects.create(user=user, role="municipal_reviewer", city=city, department="revenue")
    with pytest.raises(Forbidden):
        act(plain_case, "accept", user)


def test_an_action_not_offered_in_the_state_is_a_conflict(plain_case: Case, reviewer_user: Any) -> None:
    with pytest.raises(Conflict) as caught:
        act(plain_case, "approve", reviewer_user)
    assert caught.value.code == "case.action_unavailable"


def test_a_stale_version_is_refused(plain_case: Case, reviewer_user: Any) -> None:
    act(plain_case, "accept", reviewer_user)
    with pytest.raises(Conflict) as caught:
        case_act(case=plain_case, action="approve", actor=reviewer_user, expected_version=1)
    assert caught.value.code == "case.stale"


@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_exactly_one_wins(plain_case: Case, reviewer_user: Any, city: Any) -> None:
    from daftar.accounts.models import User
    from daftar.offices.services import staff_assign

    second = User.objects.create_user(username="reviewer2", password="x-test-password-1405")
    staff_assign(user=second, role="municipal_reviewer", city=city)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(user: Any, action: str) -> None:
        try:
            barrier.wait()
            case_act(case=plain_case, action=action, actor=user, expected_version=1, reason="مدارک ناقص است")
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=attempt, args=(reviewer_user, "accept")),
        threading.Thread(target=attempt, args=(second, "request_correction")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["case.stale", "won"]
    plain_case.refresh_from_db()
    assert plain_case.version == 2
    assert CaseEvent.objects.filter(case=plain_case, kind=EventKind.ACTION).count() == 1


def test_correction_pauses_the_clock_and_resubmission_returns_with_deadlines_moved(
    plain_case: Case, reviewer_user: Any, operator_user: Any
) -> None:
    filed_due, state_due = plain_case.due_date, plain_case.state_due_date
    with pytest.raises(InvalidValue):
        act(plain_case, "request_correction", reviewer_user)  # a reason is required
    case = act(plain_case, "request_correction", reviewer_user, reason="تصویر سند خوانا نیست")
    assert case.state == "correction"
    assert case.paused_on == local_today()
    assert case.waiting_on == "|applicant|office_operator|"
    later = local_today() + timedelta(days=14)
    with mock.patch("daftar.cases.services.local_today", return_value=later):
        case = act(case, "resubmit", operator_user)
    from daftar.offices.selectors import working_days_count

    paused = working_days_count(city=case.city, start=local_today(), end=later)
    assert case.state == "submitted"
    assert case.paused_on is None
    assert case.return_state == ""
    assert case.due_date == working_days_add(city=case.city, start=filed_due, days=paused)
    assert case.state_due_date == working_days_add(city=case.city, start=state_due, days=paused)


def test_suspension_needs_a_reason_and_resume_returns_to_the_same_state(
    plain_case: Case, reviewer_user: Any
) -> None:
    case = act(plain_case, "accept", reviewer_user)
    case = act(case, "suspend", reviewer_user, reason="در انتظار رأی کمیسیون ماده ۱۰۰")
    assert case.state == "suspended"
    assert case.is_paused
    assert case.state_due_date is None
    case = act(case, "resume", reviewer_user)
    assert case.state == "approval"
    assert not case.is_paused


def test_the_applicant_may_withdraw_and_the_case_closes(plain_case: Case, citizen_user: Any) -> None:
    case = act(plain_case, "withdraw", citizen_user)
    assert case.state == "withdrawn"
    assert case.outcome == "withdrawn"
    assert case.closed_at is not None
    assert case.waiting_on == ""


def test_a_rejection_closes_the_case_with_its_reason(plain_case: Case, reviewer_user: Any) -> None:
    case = act(plain_case, "reject", reviewer_user, reason="ملک در طرح تعریض معبر است")
    assert case.outcome == "rejected"
    assert case.events.order_by("-seq")[0].message == "ملک در طرح تعریض معبر است"


def test_the_sweep_marks_overdue_and_escalates_to_the_city_administrator(
    plain_case: Case, admin_user: Any
) -> None:
    assert not inbox_for(user=admin_user).rows
    later = plain_case.state_due_date + timedelta(days=1)
    assert cases_sweep_overdue(today=later) == 1
    assert cases_sweep_overdue(today=later) == 0  # idempotent
    plain_case.refresh_from_db()
    assert plain_case.overdue
    assert plain_case.escalated
    assert [row.case.pk for row in inbox_for(user=admin_user).rows] == [plain_case.pk]
    event = plain_case.events.order_by("-seq")[0]
    assert event.kind == EventKind.OVERDUE
    assert not event.public
    case = act(plain_case, "accept", admin_user)  # escalation lets the administrator act
    assert case.state == "approval"
    assert not case.escalated


def test_internal_events_are_hidden_from_the_applicant(
    plain_case: Case, reviewer_user: Any, citizen_user: Any
) -> None:
    case = act(plain_case, "accept", reviewer_user)
    act(case, "note", reviewer_user, reason="بررسی سابقه کمیسیون")
    citizen_roles = case_roles_of(case=case, user=citizen_user)
    staff_roles = case_roles_of(case=case, user=reviewer_user)
    assert "بررسی سابقه کمیسیون" not in [e.message for e in case_events_for(case=case, roles=citizen_roles)]
    assert "بررسی سابقه کمیسیون" in [e.message for e in case_events_for(case=case, roles=staff_roles)]


def test_nobody_outside_the_case_can_read_it(
    plain_case: Case, other_operator: Any, operator_user: Any, citizen_user: Any
) -> None:
    from daftar.accounts.models import Person, User

    stranger = User.objects.create_user(
        username="09350000000",
        password="x-test-password-1405",
        person=Person.objects.create(national_code="0499370899"),
    )
    assert case_for_user(tracking_code=plain_case.tracking_code, user=other_operator) is None
    assert case_for_user(tracking_code=plain_case.tracking_code, user=stranger) is None
    assert case_for_user(tracking_code=plain_case.tracking_code, user=citizen_user) is not None
    assert case_for_user(tracking_code=plain_case.tracking_code, user=operator_user) is not None


def test_public_tracking_needs_the_applicants_national_code(plain_case: Case) -> None:
    code = plain_case.tracking_code
    assert case_track_public(tracking_code=code, national_code="۰۰۱۲۳۴۵۶۷۹") == plain_case
    assert case_track_public(tracking_code=code, national_code="0499370899") is None
    assert (
        case_track_public(
            tracking_code=code[:-1] + ("2" if code[-1] != "2" else "3"), national_code="0012345679"
        )
        is None
    )


def test_the_applicant_rates_a_closed_case_once(
    plain_case: Case, citizen_user: Any, reviewer_user: Any
) -> None:
    with pytest.raises(Conflict):
        case_rate(case=plain_case, actor=citizen_user, rating=5)
    act(plain_case, "reject", reviewer_user, reason="خارج از محدوده")
    plain_case.refresh_from_db()
    with pytest.raises(Forbidden):
        case_rate(case=plain_case, actor=reviewer_user, rating=1)
    with pytest.raises(InvalidValue):
        case_rate(case=plain_case, actor=citizen_user, rating=9)
    case_rate(case=plain_case, actor=citizen_user, rating=4, comment="سریع بود")
    with pytest.raises(Conflict):
        case_rate(case=plain_case, actor=citizen_user, rating=5)
    plain_case.refresh_from_db()
    assert plain_case.rating == 4


def test_the_inbox_query_count_does_not_grow_with_the_number_of_cases(
    reviewer_user: Any, django_assert_max_num_queries: Any, file_plain: Any
) -> None:

    def file(n: int) -> None:
        for _ in range(n):
            file_plain()

    file(2)
    with django_assert_max_num_queries(5) as few:
        assert len(inbox_for(user=reviewer_user).rows) == 2
    file(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = inbox_for(user=reviewer_user, page_size=20).rows
    assert len(rows) == 20
    assert all(row.working_days_left is not None for row in rows)


def test_the_inbox_shows_an_office_only_its_own_cases(
    plain_case: Case, other_operator: Any, citizen_user: Any, reviewer_user: Any
) -> None:
    case = act(plain_case, "request_correction", reviewer_user, reason="کپی سند ناخواناست")
    assert case.state == "correction"
    assert not inbox_for(user=other_operator).rows


def test_an_automatic_transition_fires_after_commit_once_its_guard_passes(
    categories: None,
    office: Any,
    operator_user: Any,
    citizen_user: Any,
    intake: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import copy

    from daftar.cases.services import Location, case_file
    from daftar.cases.tests.conftest import PLAIN_WORKFLOW
    from daftar.catalog.models import ServiceCategory
    from daftar.catalog.services import service_entry_compile, service_version_load
    from daftar.conftest import TEST_SERVICE

    workflow = copy.deepcopy(PLAIN_WORKFLOW)
    workflow["start"] = "triage"
    workflow["states"]["triage"] = {
        "auto": [{"to": "submitted", "guards": ["has_location"]}],
        "actions": {"accept": {"to": "submitted", "roles": ["municipal_reviewer"]}},
    }
    entry = copy.deepcopy(TEST_SERVICE)
    entry.update(code="building.auto_test", workflow=workflow, documents=[], output={}, location="optional")
    service = service_version_load(
        compiled=service_entry_compile(
            entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
        )
    )[0]

    with django_capture_on_commit_callbacks(execute=True):
        without = case_file(
            service=service,
            applicant=citizen_user.person,
            office=office,
            channel="office",
            data=intake,
            actor=operator_user,
        )
    with django_capture_on_commit_callbacks(execute=True):
        located = case_file(
            service=service,
            applicant=citizen_user.person,
            office=office,
            channel="office",
            data=intake,
            actor=operator_user,
            location=Location(latitude=35.75, longitude=51.41),
        )  # type: ignore[arg-type]
    without.refresh_from_db()
    located.refresh_from_db()
    assert without.state == "triage"
    assert located.state == "submitted"
    assert located.events.filter(kind=EventKind.AUTO, to_state="submitted").count() == 1


def test_the_sweep_command_reports_what_it_marked(plain_case: Case) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with mock.patch(
        "daftar.cases.services.local_today", return_value=plain_case.due_date + timedelta(days=1)
    ):
        call_command("cases_sweep", stdout=out)
    assert "1 case(s) newly overdue" in out.getvalue()
