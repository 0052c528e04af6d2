"""Inquiries travel to the agencies and back for real: the outbox, a Celery worker on the local
Redis, the agency simulator (a real HTTP server verifying signatures) and Daftar's agency API on a
live server. Nothing is lost and nothing arrives twice, even when the agencies are down for a while."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from daftar.accounts.models import User
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.selectors import bills_of_case
from daftar.billing.tariffs import tariffs_load
from daftar.cases.models import Case
from daftar.cases.services import case_act, case_file
from daftar.catalog.selectors import service_current
from daftar.catalog.services import catalog_load
from daftar.documents.services import document_upload
from daftar.inquiries.models import Agency, Inquiry, InquiryState
from daftar.inquiries.services import agency_connect, agency_key_create
from daftar.outbox.models import OutboxMessage, OutboxState
from daftar.outbox.services import outbox_deliver_due
from daftar.outbox.tests.test_worker import Worker, celery_worker  # noqa: F401 - the fixture
from daftar.simulators.agencies import AgencyConfig, AgencySimulator, SimulatorConfig

UTILITIES = ("water", "electricity", "gas", "telecom")
DATA = {"renewal_code": "3-123-45-6-7-8", "water_bill_id": "1234567890", "purpose": "transfer"}


def _pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


@pytest.fixture
def simulator(live_server: Any, transactional_db: None) -> Iterator[AgencySimulator]:
    catalog_load(directory=settings.DAFTAR_CATALOG_DIR)
    port = _free_port()
    agencies = {}
    for code in UTILITIES:
        url = f"http://127.0.0.1:{port}/agencies/{code}/webhook"
        agency = agency_connect(agency=Agency.objects.get(code=code), channel="push", webhook_url=url)
        key = agency_key_create(agency=agency, name="simulator").secret
        agencies[code] = AgencyConfig(code=code, webhook_secret=agency.webhook_secret, api_key=key)
    sim = AgencySimulator(SimulatorConfig(daftar_url=str(live_server), agencies=agencies), port=port)
    sim.start()
    yield sim
    sim.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _utilities_case(office: Any, operator: User, applicant: User) -> Case:
    tariffs_load(path=Path(settings.DAFTAR_CATALOG_DIR) / "tariffs" / "tehran.yaml")
    service = service_current(code="inquiry.utilities")
    assert service is not None
    case = case_file(
        service=service,
        applicant=applicant.person,
        office=office,
        channel="office",
        data=DATA,
        actor=operator,
    )
    document_upload(case=case, requirement="deed", content=_pdf(), file_name="deed.pdf", actor=operator)
    for bill in bills_of_case(case_id=case.pk):  # paid on the card terminal at filing
        payment_collect_at_counter(
            bill=bill, office=office, actor=operator, terminal_reference=f"9{bill.number[:8]}"
        )
    return case


def _accept(case: Case, reviewer: User) -> None:
    case.refresh_from_db()
    with transaction.atomic():
        case_act(case=case, action="accept", actor=reviewer, expected_version=case.version)


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not done within {seconds} s")


def _state(case: Case) -> str:
    return Case.objects.values_list("state", flat=True).get(pk=case.pk)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_inquiries_and_the_answers_move_the_case(
    celery_worker: Worker,  # noqa: F811 - the imported fixture
    simulator: AgencySimulator,
    office: Any,
    operator_user: User,
    reviewer_user: User,
    citizen_user: User,
) -> None:
    case = _utilities_case(office, operator_user, citizen_user)
    _accept(case, reviewer_user)
    _wait(lambda: _state(case) == "answered")
    stats = simulator.stats()
    assert {
        code: (s["received"], s["duplicates"], s["answered"]) for code, s in stats.items()
    } == dict.fromkeys(UTILITIES, (1, 0, 1))
    assert set(Inquiry.objects.filter(case=case).values_list("state", flat=True)) == {InquiryState.ANSWERED}
    webhooks = OutboxMessage.objects.filter(kind="webhook.post")
    assert [m.state for m in webhooks] == [OutboxState.DELIVERED] * len(UTILITIES)
    # The applicant's SMS (filed, inquiring, answered) go through the same worker, right after.
    _wait(lambda: OutboxMessage.objects.filter(kind="sms.send", state=OutboxState.DELIVERED).count() == 3)
    assert "Task outbox.deliver" in celery_worker.output()
    assert case.certificates.count() == 1


@pytest.mark.django_db(transaction=True)
def test_agencies_down_for_a_while_get_every_inquiry_exactly_once_when_they_are_back(
    simulator: AgencySimulator, office: Any, operator_user: User, reviewer_user: User, citizen_user: User
) -> None:
    simulator.set_down(None)
    case = _utilities_case(office, operator_user, citizen_user)
    _accept(case, reviewer_user)  # delivery is tried right after commit, and fails: they are down
    messages = OutboxMessage.objects.filter(idempotency_key__startswith="inquiry-")
    assert messages.count() == len(UTILITIES)
    assert all(m.state == OutboxState.PENDING and m.attempts == 1 for m in messages)

    later = timezone.now() + timedelta(minutes=5)
    assert outbox_deliver_due(now=later) == 0  # still down: each fails again, nothing is lost
    assert all(m.attempts == 2 for m in OutboxMessage.objects.filter(idempotency_key__startswith="inquiry-"))
    assert _state(case) == "inquiring"

    simulator.set_up()
    assert outbox_deliver_due(now=later + timedelta(hours=2)) == len(UTILITIES)
    _wait(lambda: _state(case) == "answered")
    # Delivered webhooks never go again (the answers' SMS may still be in flight: only webhooks count).
    outbox_deliver_due(now=later + timedelta(hours=4))
    webhooks = OutboxMessage.objects.filter(kind="webhook.post")
    assert [(m.state, m.attempts) for m in webhooks] == [(OutboxState.DELIVERED, 3)] * len(UTILITIES)
    simulator.wait_idle(10)
    stats = simulator.stats()
    assert all(s["received"] == 1 and s["duplicates"] == 0 and s["answered"] == 1 for s in stats.values())
