"""A day's figures: tickets per kind, waits (issued → called), service (started → finished), no-shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from daftar.offices.models import Office
from daftar.queueing.models import Ticket, TicketKind, TicketStatus
from daftar.queueing.selectors import office_day_stats

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")
DAY = date(2026, 11, 22)  # 1 Azar 1405
OPENING = datetime(2026, 11, 22, 8, 0, tzinfo=TEHRAN)
_numbers: dict[str, int] = {}


def _ticket(
    office: Office,
    *,
    group: str = "building",
    kind: str = TicketKind.WALK_IN,
    status: str = TicketStatus.DONE,
    issued: int = 0,
    waited: int | None = None,
    served: int | None = None,
    day: date = DAY,
) -> Ticket:
    """A ticket issued ``issued`` minutes after opening, called ``waited`` minutes later and served for
    ``served`` minutes (a day made up for the figures, written straight to the table)."""
    key = f"{office.pk}{group}{day}"
    _numbers[key] = _numbers.get(key, 0) + 1
    issued_at = OPENING + timedelta(minutes=issued) + (day - DAY)
    called_at = issued_at + timedelta(minutes=waited) if waited is not None else None
    started_at = called_at + timedelta(minutes=1) if called_at is not None and served is not None else None
    finished_at = None
    if started_at is not None and served is not None:
        finished_at = started_at + timedelta(minutes=served)
    elif status == TicketStatus.NO_SHOW and called_at is not None:
        finished_at = called_at + timedelta(minutes=3)
    return Ticket.objects.create(
        office=office,
        day=day,
        group=group,
        number=_numbers[key],
        label=f"X-{_numbers[key]:03d}",
        kind=kind,
        reference="BK" + str(_numbers[key]) if kind == TicketKind.BOOKING else "",
        due_at=issued_at if kind == TicketKind.BOOKING else None,
        status=status,
        counter=1 if called_at else None,
        issued_at=issued_at,
        called_at=called_at,
        announced_at=called_at,
        started_at=started_at,
        finished_at=finished_at,
    )


@pytest.fixture
def made_up_day(office: Office, other_office: Office) -> None:
    _numbers.clear()
    _ticket(office, waited=5, served=4)
    _ticket(office, issued=2, waited=10, served=6)
    _ticket(office, group="fees", kind=TicketKind.BOOKING, issued=3, waited=30, served=11)
    _ticket(office, group="fees", status=TicketStatus.NO_SHOW, issued=4, waited=20)
    _ticket(office, group="fees", status=TicketStatus.WAITING, issued=50)
    # Neither another day nor another office counts.
    _ticket(office, waited=100, served=100, day=DAY - timedelta(days=1))
    _ticket(other_office, waited=100, served=100)


def test_the_days_figures_add_up(office: Office, made_up_day: None) -> None:
    stats = office_day_stats(office=office, day=DAY)
    assert (stats.issued, stats.walk_ins, stats.bookings) == (5, 4, 1)
    assert (stats.served, stats.no_shows, stats.open) == (3, 1, 1)
    # Waits 5, 10, 30, 20 minutes (the no-show was called too); the one still waiting has none yet.
    assert stats.waiting.count == 4
    assert stats.waiting.average == timedelta(minutes=16, seconds=15)
    assert stats.waiting.median == timedelta(minutes=15)
    # Service 4, 6, 11 minutes.
    assert (stats.service.count, stats.service.average, stats.service.median) == (
        3,
        timedelta(minutes=7),
        timedelta(minutes=6),
    )
    by_group = {g.code: g for g in stats.groups}
    assert [g.code for g in stats.groups] == ["building", "fees"]
    assert (by_group["fees"].issued, by_group["fees"].served, by_group["fees"].no_shows) == (3, 1, 1)
    assert by_group["building"].waiting.average == timedelta(minutes=7, seconds=30)


def test_a_day_without_tickets_has_no_averages(office: Office) -> None:
    stats = office_day_stats(office=office, day=DAY)
    assert stats.issued == 0
    assert stats.waiting.average is None
    assert stats.service.median is None
    assert stats.groups == ()


def test_the_manager_reads_a_jalali_day(
    client: Client, office: Office, manager_user: Any, made_up_day: None
) -> None:
    client.force_login(manager_user)
    url = reverse("queueing:stats", kwargs={"office_code": office.code})
    page = client.get(url, {"day": "۱۴۰۵/۰۹/۰۱"}).content.decode()
    assert 'data-stat="issued">۵<' in page
    assert 'data-stat="no_shows">۱<' in page
    assert "۱۶:۱۵" in page  # the average wait, minutes:seconds
    assert client.get(url, {"day": "1405/13/40"}).status_code == 400
