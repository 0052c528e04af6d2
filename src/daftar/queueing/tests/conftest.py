"""Fixtures of the queue's tests: a second office and its operator, a manager, a ticket factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from daftar.offices.models import LicenceStatus, Office, Zone
from daftar.queueing.models import Ticket
from daftar.queueing.services import ticket_issue

PASSWORD = "x-test-password-1405"


def make_user(username: str, *, role: str, office: Office) -> Any:
    from daftar.accounts.models import User
    from daftar.offices.services import staff_assign

    user = User.objects.create_user(username=username, password=PASSWORD)
    staff_assign(user=user, role=role, city=office.city, office=office)
    return user


@pytest.fixture
def manager_user(office: Office) -> Any:
    return make_user("manager1", role="office_manager", office=office)


@pytest.fixture
def other_office(office: Office, zone: Zone) -> Office:
    return Office.objects.create(
        city=office.city,
        zone=zone,
        code="1205",
        name="دفتر خدمات الکترونیک شهر کد ۱۲۰۵",
        licence_status=LicenceStatus.ACTIVE,
        address="تهران، خیابان ولیعصر",
        counters=2,
    )


@pytest.fixture
def other_operator(other_office: Office) -> Any:
    return make_user("operator2", role="office_operator", office=other_office)


@pytest.fixture
def issue(office: Office) -> Callable[..., Ticket]:
    """ticket_issue with this office and a walk-in at the building group by default."""

    def make(
        group: str = "building", kind: str = "walk_in", reference: str = "", due_at: datetime | None = None
    ) -> Ticket:
        return ticket_issue(office=office, group=group, kind=kind, reference=reference, due_at=due_at)  # type: ignore[arg-type]

    return make
