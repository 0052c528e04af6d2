"""Never overbooked: requests racing for the last place of a slot on PostgreSQL, each in its own
connection, released together — exactly one gets it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from daftar.accounts.models import User
from daftar.appointments.models import Booking, OfficeServiceDesk, SlotUsage
from daftar.appointments.services import booking_create
from daftar.catalog.models import ServiceType
from daftar.core.errors import Conflict
from daftar.offices.models import Office
from daftar.testing import run_at_once

from .conftest import at, national_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"),
]

RACERS = 8


def _racers(make_citizen: Callable[[str, str], User]) -> list[User]:
    return [make_citizen(national_code(900 + n), f"091230000{n:02d}") for n in range(RACERS)]


def _booker(
    user: User, office: Office, service_type: ServiceType, starts_at: datetime, now: datetime
) -> Callable[[], Any]:
    def book() -> Booking:
        return booking_create(
            office=office,
            service_type=service_type,
            person=user.person,
            starts_at=starts_at,
            actor=user,
            channel="online",
            now=now,
        )

    return book


def test_eight_citizens_racing_for_the_last_place_one_gets_it(
    office: Office,
    service_type: ServiceType,
    make_citizen: Callable[[str, str], User],
    saturday: date,
    before: datetime,
) -> None:
    OfficeServiceDesk.objects.create(office=office, category=service_type.category, counters=2)
    first, *racers = _racers(make_citizen)
    slot = at(saturday, 9)
    _booker(first, office, service_type, slot, before)()  # one of the two places is already taken

    results = run_at_once([_booker(user, office, service_type, slot, before) for user in racers])

    winners = [r for r in results if isinstance(r, Booking)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == RACERS - 2, results
    assert {c.code for c in losers} == {"booking.slot_full"}
    assert Booking.objects.filter(starts_at=slot).count() == 2
    usage = SlotUsage.objects.get(office=office, category=service_type.category, starts_at=slot)
    assert usage.booked == usage.capacity == 2


def test_racing_for_a_slot_nobody_has_booked_yet_creates_one_counter_and_fills_it_exactly(
    office: Office,
    service_type: ServiceType,
    make_citizen: Callable[[str, str], User],
    saturday: date,
    before: datetime,
) -> None:
    OfficeServiceDesk.objects.create(office=office, category=service_type.category, counters=3)
    slot = at(saturday, 10)
    results = run_at_once(
        [_booker(user, office, service_type, slot, before) for user in _racers(make_citizen)]
    )
    assert sum(isinstance(r, Booking) for r in results) == 3, results
    assert all(isinstance(r, Booking | Conflict) for r in results), results
    usage = SlotUsage.objects.get(office=office, category=service_type.category, starts_at=slot)
    assert usage.booked == usage.capacity == 3
    assert Booking.objects.filter(starts_at=slot).count() == 3


def test_one_person_racing_for_two_slots_the_same_day_gets_one_booking_and_one_place(
    office: Office,
    service_type: ServiceType,
    citizen_user: User,
    saturday: date,
    before: datetime,
) -> None:
    starts = [at(saturday, 8) + timedelta(minutes=20 * n) for n in range(RACERS)]
    results = run_at_once([_booker(citizen_user, office, service_type, s, before) for s in starts])
    assert sum(isinstance(r, Booking) for r in results) == 1, results
    assert {r.code for r in results if isinstance(r, Conflict)} == {"booking.one_per_day"}
    assert sum(SlotUsage.objects.values_list("booked", flat=True)) == 1
