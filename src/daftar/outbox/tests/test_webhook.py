"""The built-in webhook.post handler against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from daftar.outbox.models import OutboxMessage, OutboxState
from daftar.outbox.registry import secrets
from daftar.outbox.services import DeliveryOutcome, outbox_deliver, outbox_enqueue
from daftar.outbox.signing import webhook_verify

from .conftest import Receiver

AGENCY_SECRETS: dict[str, str] = {}


@secrets.register("testagency")
def _agency_secret(code: str) -> str:
    return AGENCY_SECRETS.get(code, "")


@pytest.fixture(autouse=True)
def _water_secret() -> Iterator[None]:
    AGENCY_SECRETS["water"] = "whsec-water-1405"
    yield
    AGENCY_SECRETS.clear()


INQUIRY = {
    "event": "inquiry.created",
    "inquiry": {"id": 42, "agency": "water", "type": "connection_status", "case": "ABCDE-FGHJK"},
    "note": "پرونده ۴۲",
}


def _webhook(receiver: Receiver, key: str = "inquiry-42-created", **extra: Any) -> OutboxMessage:
    payload = {"url": receiver.url, "body": INQUIRY, "secret_ref": "testagency:water", **extra}
    return outbox_enqueue(
        kind="webhook.post", payload=payload, idempotency_key=key, subject="inquiry 42 → water"
    )


@pytest.mark.django_db(transaction=True)
def test_a_committed_webhook_reaches_the_receiver_signed_and_verifiable(receiver: Receiver) -> None:
    with transaction.atomic():
        message = _webhook(receiver)

    [hit] = receiver.received()
    assert hit.path == "/hooks/daftar"
    assert hit.headers["Content-Type"] == "application/json; charset=utf-8"
    assert hit.headers["X-Daftar-Event"] == "inquiry.created"
    assert hit.headers["X-Daftar-Delivery"] == "inquiry-42-created"
    assert abs(int(hit.headers["X-Daftar-Timestamp"]) - time.time()) < 30
    assert hit.headers["X-Daftar-Signature"].startswith("v1=")
    assert json.loads(hit.body) == INQUIRY
    assert webhook_verify(
        "whsec-water-1405",
        hit.headers["X-Daftar-Timestamp"],
        hit.headers["X-Daftar-Signature"],
        hit.body,
        now=time.time(),
    )
    assert not webhook_verify(
        "another-agency-secret",
        hit.headers["X-Daftar-Timestamp"],
        hit.headers["X-Daftar-Signature"],
        hit.body,
        now=time.time(),
    )
    message.refresh_from_db()
    assert message.state == OutboxState.DELIVERED


@pytest.mark.django_db
def test_every_retry_carries_the_same_delivery_id(receiver: Receiver) -> None:
    receiver.status = 503
    message = _webhook(receiver)
    outbox_deliver(message_id=message.pk)
    receiver.status = 202
    outbox_deliver(message_id=message.pk, now=timezone.now() + timedelta(minutes=5))

    first, second = receiver.received()
    assert first.headers["X-Daftar-Delivery"] == second.headers["X-Daftar-Delivery"] == "inquiry-42-created"
    assert first.body == second.body
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.DELIVERED, 2)


@pytest.mark.django_db
def test_a_server_error_schedules_a_retry(receiver: Receiver) -> None:
    receiver.status = 500
    message = _webhook(receiver)

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.RETRY

    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at > timezone.now()
    assert message.last_error.startswith("HTTP 500 from http://127.0.0.1:")
    assert "bad day" in message.last_error
    assert len(receiver.received()) == 1


@pytest.mark.django_db
def test_a_redirect_is_not_an_acknowledgement(receiver: Receiver) -> None:
    receiver.status = 302
    message = _webhook(receiver)
    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.RETRY


@pytest.mark.django_db
def test_a_receiver_that_is_down_schedules_a_retry(receiver: Receiver) -> None:
    message = _webhook(receiver)
    receiver.stop()  # nothing listens on the port any more: connection refused

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.RETRY

    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert "ConnectionError" in message.last_error


@pytest.mark.django_db
def test_a_missing_secret_is_retried_until_it_is_configured(receiver: Receiver) -> None:
    AGENCY_SECRETS.clear()
    message = _webhook(receiver)

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.RETRY
    assert receiver.received() == []  # never sent unsigned
    message.refresh_from_db()
    assert "testagency:water" in message.last_error

    AGENCY_SECRETS["water"] = "whsec-water-1405"
    assert outbox_deliver(message_id=message.pk, now=timezone.now() + timedelta(minutes=5)) == (
        DeliveryOutcome.DELIVERED
    )


@pytest.mark.django_db
def test_the_env_resolver_reads_only_daftar_webhook_secret_variables(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAFTAR_WEBHOOK_SECRET_WATER", "from-the-environment")
    message = _webhook(receiver, secret_ref="env:water")

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.DELIVERED
    [hit] = receiver.received()
    assert webhook_verify(
        "from-the-environment",
        hit.headers["X-Daftar-Timestamp"],
        hit.headers["X-Daftar-Signature"],
        hit.body,
        now=time.time(),
    )
    other = _webhook(receiver, key="other", secret_ref="env:../DJANGO_SECRET_KEY")
    assert outbox_deliver(message_id=other.pk) == DeliveryOutcome.DEAD


@pytest.mark.django_db
def test_a_malformed_webhook_payload_dies_at_once(receiver: Receiver) -> None:
    no_url = outbox_enqueue(
        kind="webhook.post", payload={"body": {}, "secret_ref": "testagency:water"}, idempotency_key="a"
    )
    not_http = _webhook(receiver, key="b", url="file:///etc/passwd")
    bad_ref = _webhook(receiver, key="c", secret_ref="water")

    for message in (no_url, not_http, bad_ref):
        assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.DEAD
    assert receiver.received() == []
