"""Filing a case: validation, scope, one transaction, idempotency, tracking codes."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import close_old_connections
from hypothesis import given
from hypothesis import strategies as st

from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.services import Location
from daftar.cases.tracking import (
    ALPHABET,
    BODY_LENGTH,
    check_character,
    display,
    is_well_formed,
    tracking_code_new,
)
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.offices.models import LicenceStatus

pytestmark = pytest.mark.django_db


def test_filing_creates_the_case_in_its_start_state_with_a_timeline_entry(plain_case: Case) -> None:
    assert plain_case.state == "submitted"
    assert is_well_formed(plain_case.tracking_code)
    assert plain_case.waiting_on == "|municipal_reviewer|"
    assert plain_case.state_due_date is not None
    assert plain_case.due_date is not None
    assert plain_case.state_due_date < plain_case.due_date
    events = list(plain_case.events.all())
    assert [e.kind for e in events] == [EventKind.FILED]
    assert events[0].to_state == "submitted"


def test_filing_normalises_persian_input_and_links_the_property(plain_case: Case) -> None:
    assert plain_case.data == {
        "renewal_code": "3-123-45-6",
        "deed_number": "12345",
        "floors": 4,
        "use": "residential",
    }
    assert plain_case.renewal_code == "3-123-45-6"
    assert plain_case.links == {"property": "3-123-45-6"}
    assert plain_case.applicant_name  # searchable name kept


def test_invalid_intake_names_every_field_and_writes_nothing(file_plain: Any) -> None:
    with pytest.raises(InvalidValue) as caught:
        file_plain(
            data={"renewal_code": "abc", "floors": "100", "use": "castle", "colour": "red"},
        )
    fields = caught.value.field_messages()
    assert set(fields) == {"renewal_code", "deed_number", "floors", "use", "colour"}
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_a_suspended_office_cannot_file(office: Any, file_plain: Any) -> None:
    office.licence_status = LicenceStatus.SUSPENDED
    office.save()
    with pytest.raises(Conflict) as caught:
        file_plain()
    assert caught.value.code == "case.office_inactive"
    assert Case.objects.count() == 0


def test_an_operator_files_only_at_their_own_office(other_operator: Any, file_plain: Any) -> None:
    with pytest.raises(Forbidden):
        file_plain(
            actor=other_operator,
        )


def test_online_a_citizen_files_only_in_their_own_name(citizen_user: Any, file_plain: Any) -> None:
    from daftar.accounts.models import Person

    stranger = Person.objects.create(national_code="0499370899", first_name="رضا", last_name="نوری")
    with pytest.raises(Forbidden):
        file_plain(
            applicant=stranger,
            office=None,
            channel="online",
            actor=citizen_user,
        )
    case = file_plain(
        office=None,
        channel="online",
        actor=citizen_user,
    )
    assert case.office is None
    assert case.channel == "online"


def test_a_required_location_must_be_given_and_its_district_is_found(
    plain_service: Any, zone: Any, file_plain: Any
) -> None:
    plain_service.location = "required"
    plain_service.save()
    with pytest.raises(InvalidValue):
        file_plain()
    case = file_plain(
        location=Location(latitude=35.76, longitude=51.42, address="خیابان ولیعصر"),
    )  # type: ignore[arg-type]
    assert case.zone == zone


def test_the_same_idempotency_key_files_once(file_plain: Any) -> None:
    first = file_plain(
        idempotency_key="k-1",
    )
    again = file_plain(
        idempotency_key="k-1",
    )
    assert first.pk == again.pk
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_with_the_same_idempotency_key_make_one_case(file_plain: Any) -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def file_once() -> None:
        try:
            barrier.wait()
            case = file_plain(
                idempotency_key="double-click",
            )
            results.append(case.pk)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=file_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(set(results)) == 1
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.FILED).count() == 1


def test_filing_sends_the_tracking_code_by_sms_through_the_outbox_after_commit(
    django_capture_on_commit_callbacks: Any, file_plain: Any
) -> None:
    from daftar.outbox.models import OutboxMessage, OutboxState
    from daftar.sms.models import SmsMessage

    with django_capture_on_commit_callbacks(execute=True):
        case = file_plain()
        assert not SmsMessage.objects.exists()  # nothing leaves before the filing commits
    message = OutboxMessage.objects.get(idempotency_key=f"case-{case.pk}-filed")
    assert message.state == OutboxState.DELIVERED
    sms = SmsMessage.objects.filter(to="09121234567", purpose="case_filed").get()
    assert display(case.tracking_code) in sms.body


def test_a_failed_filing_leaves_no_message_to_send(file_plain: Any) -> None:
    from daftar.outbox.models import OutboxMessage

    with pytest.raises(InvalidValue):
        file_plain(
            data={"renewal_code": "x"},
        )
    assert not OutboxMessage.objects.exists()


def test_applicants_waiting_on_a_correction_are_reminded_once_a_day(
    plain_case: Case, reviewer_user: Any
) -> None:
    from datetime import timedelta

    from daftar.cases.services import case_act, cases_remind_waiting_applicants
    from daftar.outbox.models import OutboxMessage

    case_act(
        case=plain_case,
        action="request_correction",
        actor=reviewer_user,
        expected_version=1,
        reason="سند ناخواناست",
    )
    plain_case.refresh_from_db()
    day3 = plain_case.paused_on + timedelta(days=3)
    assert cases_remind_waiting_applicants(today=day3 - timedelta(days=1)) == 0
    assert cases_remind_waiting_applicants(today=day3) == 1
    assert cases_remind_waiting_applicants(today=day3) == 1  # a second run the same day sends nothing new
    assert OutboxMessage.objects.filter(idempotency_key__contains="-reminder-").count() == 1


@given(st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH), st.data())
def test_the_check_character_catches_one_wrong_character_and_neighbour_swaps(body: str, data: Any) -> None:
    code = body + check_character(body)
    assert is_well_formed(code)
    position = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    wrong = data.draw(st.sampled_from([ch for ch in ALPHABET if ch != code[position]]))
    assert not is_well_formed(code[:position] + wrong + code[position + 1 :])
    swap = data.draw(st.integers(min_value=0, max_value=len(code) - 2))
    if code[swap] != code[swap + 1]:
        swapped = code[:swap] + code[swap + 1] + code[swap] + code[swap + 2 :]
        assert not is_well_formed(swapped)


def test_new_tracking_codes_are_well_formed_and_avoid_look_alikes() -> None:
    codes = {tracking_code_new() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(is_well_formed(code) and not set(code) & set("01OIL") for code in codes)
