"""Tickets are numbered per office, group and local day, without gaps or duplicates under load."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from daftar.core.errors import Conflict, InvalidValue, NotFound
from daftar.offices.models import LicenceStatus, Office
from daftar.queueing.models import Ticket, TicketKind, TicketStatus
from daftar.queueing.services import ticket_issue

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


def test_numbers_count_up_per_group_with_the_group_letter(issue: Callable[..., Ticket]) -> None:
    first, second = issue(), issue()
    fee = issue(group="fees")
    assert (first.number, first.label) == (1, "B-001")
    assert (second.number, second.label) == (2, "B-002")
    assert (fee.number, fee.label) == (1, "F-001")
    assert first.status == TicketStatus.WAITING
    assert first.kind == TicketKind.WALK_IN


def test_each_office_numbers_its_own_queue(issue: Callable[..., Ticket], other_office: Office) -> None:
    issue()
    issue()
    assert ticket_issue(office=other_office, group="building", kind="walk_in").label == "B-001"


def test_numbering_starts_again_on_the_next_local_day(issue: Callable[..., Ticket]) -> None:
    # 23:50 in Tehran, then 00:10: a new day in Tehran although UTC is still on the same date.
    late = datetime(2026, 3, 10, 23, 50, tzinfo=TEHRAN)
    with mock.patch("django.utils.timezone.now", return_value=late):
        assert issue().label == "B-001"
        assert issue().label == "B-002"
    with mock.patch("django.utils.timezone.now", return_value=late + timedelta(minutes=20)):
        after_midnight = issue()
    assert after_midnight.label == "B-001"
    assert after_midnight.day == late.date() + timedelta(days=1)


def test_a_booking_checked_in_twice_keeps_its_first_ticket(issue: Callable[..., Ticket]) -> None:
    due = datetime.now(TEHRAN) + timedelta(minutes=5)
    first = issue(kind="booking", reference="BK7Q2M", due_at=due)
    again = issue(kind="booking", reference="BK7Q2M", due_at=due)
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert first.due_at == due
    assert first.reference == "BK7Q2M"


@pytest.mark.parametrize(
    ("kind", "reference", "due_at", "code"),
    [
        ("booking", "", None, "queue.reference_required"),
        ("walk_in", "BK7Q2M", None, "queue.walk_in_reference"),
        ("walk_in", "", datetime(2026, 3, 10, 9, 0, tzinfo=TEHRAN), "queue.walk_in_reference"),
        ("booking", "BK7Q2M", datetime(2026, 3, 10, 9, 0), "queue.naive_due_at"),
        ("taxi", "", None, "queue.kind"),
    ],
)
def test_malformed_tickets_are_refused(
    office: Office, kind: str, reference: str, due_at: datetime | None, code: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        ticket_issue(office=office, group="building", kind=kind, reference=reference, due_at=due_at)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert not Ticket.objects.exists()


def test_an_unknown_group_is_refused(office: Office) -> None:
    with pytest.raises(NotFound):
        ticket_issue(office=office, group="parking", kind="walk_in")


def test_a_suspended_office_gives_no_tickets(office: Office) -> None:
    office.licence_status = LicenceStatus.SUSPENDED
    office.save()
    with pytest.raises(Conflict) as caught:
        ticket_issue(office=office, group="building", kind="walk_in")
    assert caught.value.code == "queue.office_not_serving"


@pytest.mark.django_db(transaction=True)
def test_concurrent_kiosks_never_share_a_number(office: Office) -> None:
    workers = 8
    per_worker = 5
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def kiosk() -> None:
        try:
            start.wait()
            for _ in range(per_worker):
                ticket_issue(office=office, group="building", kind="walk_in")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=kiosk) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(1, workers * per_worker + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_of_one_booking_give_one_ticket(office: Office) -> None:
    workers = 6
    start = threading.Barrier(workers)
    results: list[Any] = []
    due = datetime.now(TEHRAN)

    def check_in() -> None:
        try:
            start.wait()
            results.append(
                ticket_issue(office=office, group="fees", kind="booking", reference="BK1", due_at=due).pk
            )
        except BaseException as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check_in) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.count() == 1
    assert results == [Ticket.objects.get().pk] * workers
