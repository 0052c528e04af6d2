"""Calling tickets to counters: due bookings first, then first come first served; staff of the office only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.offices.models import Office
from daftar.queueing.models import Ticket, TicketStatus
from daftar.queueing.services import (
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_start,
)
from daftar.queueing.signals import ticket_changed

pytestmark = pytest.mark.django_db


def _serve(ticket: Ticket, actor: Any) -> None:
    ticket_start(ticket=ticket, actor=actor)
    ticket_finish(ticket=ticket, actor=actor)


def _call_all(office: Office, actor: Any, groups: list[str] | None = None) -> list[str]:
    labels = []
    while (ticket := ticket_call_next(office=office, counter=1, actor=actor, groups=groups)) is not None:
        labels.append(ticket.label)
        _serve(ticket, actor)
    return labels


def test_walk_ins_are_called_first_come_first_served(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue(group="fees")
    issue()
    issue(group="fees")
    assert _call_all(office, operator_user) == ["F-001", "B-001", "F-002"]


def test_a_booking_due_now_goes_before_walk_ins_who_came_earlier(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    now = timezone.now()
    issue()  # B-001, walk-in
    issue(kind="booking", reference="EARLY", due_at=now + timedelta(minutes=45))  # B-002: too early
    issue(kind="booking", reference="SOON", due_at=now + timedelta(minutes=8))  # B-003: within 10 minutes
    issue(kind="booking", reference="LATE", due_at=now - timedelta(minutes=30))  # B-004: past due
    issue()  # B-005
    # Due bookings by slot time (the late one first), then everyone else by issue time.
    assert _call_all(office, operator_user) == ["B-004", "B-003", "B-001", "B-002", "B-005"]


def test_a_booking_becomes_due_ten_minutes_before_its_slot(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    now = timezone.now()
    issue()
    issue(kind="booking", reference="B11", due_at=now + timedelta(minutes=11))
    issue(kind="booking", reference="B9", due_at=now + timedelta(minutes=9))
    assert _call_all(office, operator_user) == ["B-003", "B-001", "B-002"]


def test_a_counter_can_serve_chosen_groups_only(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue()
    issue(group="fees")
    issue(group="licences")
    issue(group="fees")
    assert _call_all(office, operator_user, groups=["fees", "licences"]) == ["F-001", "L-001", "F-002"]
    assert Ticket.objects.get(label="B-001").status == TicketStatus.WAITING


def test_nobody_waiting_calls_no_one(office: Office, operator_user: Any) -> None:
    assert ticket_call_next(office=office, counter=1, actor=operator_user) is None


def test_yesterdays_tickets_are_not_called(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    old = issue()
    Ticket.objects.filter(pk=old.pk).update(day=old.day - timedelta(days=1))
    assert ticket_call_next(office=office, counter=1, actor=operator_user) is None


def test_calling_marks_the_counter_time_and_caller(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue()
    called = ticket_call_next(office=office, counter=2, actor=operator_user)
    assert called is not None
    assert (called.status, called.counter, called.called_by) == (TicketStatus.CALLED, 2, operator_user)
    assert called.called_at is not None
    assert called.announced_at == called.called_at


def test_two_counters_get_different_tickets(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue()
    issue()
    first = ticket_call_next(office=office, counter=1, actor=operator_user)
    second = ticket_call_next(office=office, counter=2, actor=operator_user)
    assert first is not None
    assert second is not None
    assert (first.label, second.label) == ("B-001", "B-002")


def test_a_called_ticket_not_yet_started_is_called_again(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue()
    issue()
    first = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert first is not None
    again = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert again is not None
    assert again.pk == first.pk
    assert again.called_at == first.called_at  # the wait is measured to the first call
    assert again.announced_at is not None
    assert first.announced_at is not None
    assert again.announced_at >= first.announced_at
    recalled = ticket_recall(ticket=again, actor=operator_user)
    assert recalled.status == TicketStatus.CALLED
    assert Ticket.objects.filter(status=TicketStatus.WAITING).count() == 1


def test_a_counter_serving_someone_must_finish_first(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue()
    issue()
    ticket = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert ticket is not None
    ticket_start(ticket=ticket, actor=operator_user)
    with pytest.raises(Conflict) as caught:
        ticket_call_next(office=office, counter=1, actor=operator_user)
    assert caught.value.code == "queue.counter_busy"


def test_service_goes_called_serving_done(
    issue: Callable[..., Ticket], office: Office, operator_user: Any
) -> None:
    issue()
    ticket = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert ticket is not None
    with pytest.raises(Conflict):
        ticket_finish(ticket=ticket, actor=operator_user)
    ticket_start(ticket=ticket, actor=operator_user)
    assert ticket.status == TicketStatus.SERVING
    assert ticket.started_at is not None
    with pytest.raises(Conflict):
        ticket_no_show(ticket=ticket, actor=operator_user)
    ticket_finish(ticket=ticket, actor=operator_user)
    assert ticket.status == TicketStatus.DONE
    assert ticket.finished_at is not None


def test_a_no_show_leaves_the_queue(issue: Callable[..., Ticket], office: Office, operator_user: Any) -> None:
    issue()
    issue()
    ticket = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert ticket is not None
    ticket_no_show(ticket=ticket, actor=operator_user)
    assert ticket.status == TicketStatus.NO_SHOW
    assert ticket.finished_at is not None
    with pytest.raises(Conflict):
        ticket_start(ticket=ticket, actor=operator_user)
    following = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert following is not None
    assert following.label == "B-002"


def test_only_the_offices_staff_work_its_queue(
    issue: Callable[..., Ticket], office: Office, operator_user: Any, other_operator: Any, citizen_user: Any
) -> None:
    issue()
    for outsider in (other_operator, citizen_user):
        with pytest.raises(Forbidden):
            ticket_call_next(office=office, counter=1, actor=outsider)
    ticket = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert ticket is not None
    for move in (ticket_recall, ticket_start, ticket_finish, ticket_no_show):
        with pytest.raises(Forbidden):
            move(ticket=ticket, actor=other_operator)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED


def test_the_manager_may_call_too(issue: Callable[..., Ticket], office: Office, manager_user: Any) -> None:
    issue()
    assert ticket_call_next(office=office, counter=1, actor=manager_user) is not None


@pytest.mark.parametrize("counter", [0, 4, -1])
def test_a_counter_the_office_does_not_have_is_refused(
    office: Office, operator_user: Any, counter: int
) -> None:
    with pytest.raises(InvalidValue) as caught:
        ticket_call_next(office=office, counter=counter, actor=operator_user)  # the office has 3
    assert caught.value.code == "queue.counter"


def test_changes_are_announced_after_commit(
    issue: Callable[..., Ticket],
    office: Office,
    operator_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    heard: list[tuple[str, str]] = []

    def listener(sender: Any, ticket: Ticket, event: str, **kwargs: Any) -> None:
        heard.append((ticket.label, event))

    ticket_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            issue(kind="booking", reference="BK1", due_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=False) as pending:
            ticket = ticket_call_next(office=office, counter=1, actor=operator_user)
        assert heard == [("B-001", "issued")]  # not before the commit
        for callback in pending:
            callback()
        assert ticket is not None
        with django_capture_on_commit_callbacks(execute=True):
            ticket_no_show(ticket=ticket, actor=operator_user)
    finally:
        ticket_changed.disconnect(listener)
    assert heard == [("B-001", "issued"), ("B-001", "called"), ("B-001", "no_show")]


@pytest.mark.django_db(transaction=True)
def test_counters_calling_at_once_never_get_the_same_ticket(office: Office, operator_user: Any) -> None:
    office.counters = 6
    office.save()
    for _ in range(6):
        ticket_issue(office=office, group="building", kind="walk_in")
    start = threading.Barrier(6)
    called: list[Any] = []

    def call(counter: int) -> None:
        try:
            start.wait()
            ticket = ticket_call_next(office=office, counter=counter, actor=operator_user)
            called.append(ticket.label if ticket else None)
        except BaseException as exc:
            called.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(called) == [f"B-00{n}" for n in range(1, 7)]
    assert sorted(Ticket.objects.values_list("counter", flat=True)) == [1, 2, 3, 4, 5, 6]
