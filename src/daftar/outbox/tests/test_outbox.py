"""The outbox's rules: a message lives and dies with its transaction, is sent once per key, is
delivered at least once, backs off on failure, dies after the last attempt and can be revived."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from daftar.core.errors import Conflict, InvalidValue
from daftar.outbox.models import OutboxMessage, OutboxState
from daftar.outbox.registry import DeliveryFailed, handlers
from daftar.outbox.selectors import outbox_dead, outbox_stats
from daftar.outbox.services import (
    BACKOFF_CAP_SECONDS,
    DeliveryOutcome,
    outbox_deliver,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_retry,
    retry_delay_seconds,
)
from daftar.sms.models import SmsMessage

from .conftest import FAILURES, SENT

SECOND_WORKER: list[DeliveryOutcome] = []


@handlers.register("test.second_worker")
def _asks_again_while_delivering(payload: dict[str, Any], message: OutboxMessage) -> None:
    # While this delivery holds the lease, another worker asks for the same message.
    SECOND_WORKER.append(outbox_deliver(message_id=message.pk))


@handlers.register("test.verbose")
def _verbose(payload: dict[str, Any], message: OutboxMessage) -> None:
    raise DeliveryFailed("x" * 10_000)


def _enqueue(key: str = "k-1", **payload: Any) -> OutboxMessage:
    return outbox_enqueue(kind="test.record", payload=payload or {"n": 1}, idempotency_key=key)


# --- with the causing transaction ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_message_enqueued_in_a_rolled_back_transaction_is_neither_kept_nor_sent() -> None:
    class Abort(Exception):
        pass

    def file_then_fail() -> None:
        with transaction.atomic():
            _enqueue("rolled-back")
            raise Abort  # whatever went wrong in the change that caused the message

    with pytest.raises(Abort):
        file_then_fail()

    assert not OutboxMessage.objects.exists()
    assert SENT == []


@pytest.mark.django_db(transaction=True)
def test_a_message_is_sent_only_after_its_transaction_commits() -> None:
    with transaction.atomic():
        message = _enqueue("committed", case=7)
        assert SENT == []  # not while the change that caused it could still roll back

    assert SENT == [("committed", {"case": 7})]
    message.refresh_from_db()
    assert message.state == OutboxState.DELIVERED
    assert message.attempts == 1
    assert message.delivered_at is not None
    assert message.locked_until is None


@pytest.mark.django_db
def test_enqueueing_twice_with_one_key_keeps_one_message_and_sends_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue("inquiry-42-created", n=1)
        second = _enqueue("inquiry-42-created", n=2)

    assert second.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert SENT == [("inquiry-42-created", {"n": 1})]


@pytest.mark.django_db
def test_enqueue_refuses_an_unknown_kind_and_a_missing_or_long_key() -> None:
    with pytest.raises(LookupError):
        outbox_enqueue(kind="no.such.handler", payload={}, idempotency_key="x")
    with pytest.raises(InvalidValue):
        outbox_enqueue(kind="test.record", payload={}, idempotency_key="")
    with pytest.raises(InvalidValue):
        outbox_enqueue(kind="test.record", payload={}, idempotency_key="k" * 101)
    assert not OutboxMessage.objects.exists()


# --- delivery ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivered_message_is_never_delivered_again() -> None:
    message = _enqueue("once")

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.DELIVERED
    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.SKIPPED
    assert outbox_deliver_due(now=timezone.now() + timedelta(days=1)) == 0

    assert len(SENT) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.DELIVERED, 1)


@pytest.mark.django_db
def test_a_message_being_delivered_is_not_taken_by_a_second_worker() -> None:
    message = outbox_enqueue(kind="test.second_worker", payload={}, idempotency_key="leased")
    SECOND_WORKER.clear()

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.DELIVERED
    assert SECOND_WORKER == [DeliveryOutcome.SKIPPED]


@pytest.mark.django_db
def test_a_lease_left_by_a_dead_worker_expires() -> None:
    message = _enqueue("abandoned")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(locked_until=now + timedelta(seconds=60))

    assert outbox_deliver(message_id=message.pk, now=now) == DeliveryOutcome.SKIPPED
    assert outbox_deliver(message_id=message.pk, now=now + timedelta(seconds=61)) == DeliveryOutcome.DELIVERED
    assert len(SENT) == 1


@pytest.mark.django_db
def test_failures_back_off_exponentially_up_to_an_hour_then_the_message_dies(settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 10
    message = _enqueue("flaky")
    FAILURES["flaky"] = 100
    now = timezone.now()
    delays: list[float] = []

    for attempt in range(1, 10):
        assert outbox_deliver(message_id=message.pk, now=now) == DeliveryOutcome.RETRY
        message.refresh_from_db()
        assert message.state == OutboxState.PENDING
        assert message.attempts == attempt
        assert "far side is down" in message.last_error
        delay = (message.next_attempt_at - now).total_seconds()
        nominal = min(30 * 2 ** (attempt - 1), 3600)
        assert nominal * 0.9 <= delay <= min(nominal * 1.1, 3600)
        # Not due yet: asking early changes nothing.
        assert outbox_deliver(message_id=message.pk, now=now + timedelta(seconds=delay - 1)) == (
            DeliveryOutcome.SKIPPED
        )
        delays.append(delay)
        now = message.next_attempt_at

    assert delays[:8] == sorted(delays[:8])  # grows, doubling from 30 s …
    assert all(0.9 * BACKOFF_CAP_SECONDS <= delay <= BACKOFF_CAP_SECONDS for delay in delays[7:])  # … to 1 h

    assert outbox_deliver(message_id=message.pk, now=now) == DeliveryOutcome.DEAD
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.DEAD, 10)
    assert outbox_deliver(message_id=message.pk, now=now + timedelta(days=1)) == DeliveryOutcome.SKIPPED
    assert len(SENT) == 10


def test_the_retry_delay_doubles_from_30_seconds_with_at_most_10_percent_jitter_and_an_hour_cap() -> None:
    assert retry_delay_seconds(1, jitter=0) == 30
    assert retry_delay_seconds(2, jitter=0) == 60
    assert retry_delay_seconds(3, jitter=0.1) == pytest.approx(132)
    assert retry_delay_seconds(4, jitter=-0.1) == pytest.approx(216)
    assert retry_delay_seconds(8, jitter=0) == 3600
    assert retry_delay_seconds(8, jitter=0.1) == 3600
    assert retry_delay_seconds(500, jitter=0.5) == 3600
    for attempts in range(1, 15):
        nominal = min(30 * 2 ** (attempts - 1), 3600)
        assert nominal * 0.9 <= retry_delay_seconds(attempts) <= min(nominal * 1.1, 3600)


@pytest.mark.django_db
def test_a_handler_that_raises_any_exception_is_retried() -> None:
    message = outbox_enqueue(kind="test.explode", payload={}, idempotency_key="bug")

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.RETRY
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert message.last_error == "RuntimeError: a bug in a handler"


@pytest.mark.django_db
def test_a_failure_that_says_not_to_retry_parks_the_message_at_once() -> None:
    message = outbox_enqueue(kind="test.refuse", payload={}, idempotency_key="nowhere")

    assert outbox_deliver(message_id=message.pk) == DeliveryOutcome.DEAD
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (
        OutboxState.DEAD,
        1,
        "the address does not exist",
    )


@pytest.mark.django_db
def test_a_long_error_is_truncated() -> None:
    message = outbox_enqueue(kind="test.verbose", payload={}, idempotency_key="verbose")
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert len(message.last_error) == 2000


@pytest.mark.django_db
def test_deliver_due_takes_only_pending_messages_whose_time_has_come() -> None:
    now = timezone.now()
    due = _enqueue("due")
    later = _enqueue("later")
    dead = _enqueue("dead")
    done = _enqueue("done")
    OutboxMessage.objects.filter(pk=due.pk).update(next_attempt_at=now - timedelta(seconds=1))
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(minutes=5))
    OutboxMessage.objects.filter(pk=dead.pk).update(state=OutboxState.DEAD, next_attempt_at=now)
    OutboxMessage.objects.filter(pk=done.pk).update(state=OutboxState.DELIVERED, next_attempt_at=now)

    assert outbox_deliver_due(now=now) == 1
    assert [key for key, _payload in SENT] == ["due"]

    assert outbox_deliver_due(now=now + timedelta(minutes=5)) == 1
    assert [key for key, _payload in SENT] == ["due", "later"]


@pytest.mark.django_db
def test_deliver_due_stops_at_its_limit_oldest_first() -> None:
    now = timezone.now()
    for index in range(5):
        message = _enqueue(f"m{index}")
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=now - timedelta(minutes=10 - index)
        )

    assert outbox_deliver_due(now=now, limit=3) == 3
    assert [key for key, _payload in SENT] == ["m0", "m1", "m2"]


# --- staff retry, selectors, admin ---------------------------------------------------------------------


@pytest.mark.django_db
def test_retry_brings_a_dead_message_back_for_a_fresh_round(
    settings: Any, django_capture_on_commit_callbacks: Any, reviewer_user: Any
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = _enqueue("revived")
    FAILURES["revived"] = 2
    outbox_deliver(message_id=message.pk)
    outbox_deliver(message_id=message.pk, now=timezone.now() + timedelta(minutes=5))
    message.refresh_from_db()
    assert message.state == OutboxState.DEAD
    assert list(outbox_dead(limit=10)) == [message]

    with django_capture_on_commit_callbacks(execute=True):
        revived = outbox_retry(message=message, actor=reviewer_user)

    assert (revived.state, revived.attempts) == (OutboxState.PENDING, 0)
    message.refresh_from_db()
    assert message.state == OutboxState.DELIVERED  # sent right after the retry committed
    assert message.attempts == 1
    assert len(SENT) == 3
    assert list(outbox_dead(limit=10)) == []


@pytest.mark.django_db
def test_retry_refuses_a_delivered_message() -> None:
    message = _enqueue("done")
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()

    with pytest.raises(Conflict):
        outbox_retry(message=message, actor=None)
    assert len(SENT) == 1


@pytest.mark.django_db
def test_stats_count_messages_by_state() -> None:
    assert outbox_stats() == {"pending": 0, "delivered": 0, "dead": 0}
    _enqueue("a")
    _enqueue("b")
    delivered = _enqueue("c")
    outbox_deliver(message_id=delivered.pk)
    dead = outbox_enqueue(kind="test.refuse", payload={}, idempotency_key="d")
    outbox_deliver(message_id=dead.pk)

    assert outbox_stats() == {"pending": 2, "delivered": 1, "dead": 1}


@pytest.mark.django_db
def test_staff_retry_dead_and_pending_messages_from_the_admin_but_not_delivered_ones(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from daftar.accounts.models import User

    admin_user = User.objects.create_superuser(username="root", password="x-test-password-1405")
    client.force_login(admin_user)
    dead = _enqueue("dead")
    OutboxMessage.objects.filter(pk=dead.pk).update(state=OutboxState.DEAD, attempts=10)
    waiting = _enqueue("waiting")
    OutboxMessage.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    done = _enqueue("done")
    OutboxMessage.objects.filter(pk=done.pk).update(state=OutboxState.DELIVERED)

    assert client.get("/admin/outbox/outboxmessage/?state__exact=dead").status_code == 200
    assert client.get("/admin/outbox/outboxmessage/?q=waiting").status_code == 200
    assert client.get(f"/admin/outbox/outboxmessage/{dead.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/outbox/outboxmessage/",
            {"action": "retry_now", "_selected_action": [dead.pk, waiting.pk, done.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert sorted(key for key, _payload in SENT) == ["dead", "waiting"]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.DELIVERED}


# --- the built-in SMS handler --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_sms_can_go_through_the_outbox(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(
            kind="sms.send",
            payload={"to": "09121234567", "body": "پرونده شما ثبت شد", "purpose": "case_filed"},
            idempotency_key="case-1-filed-sms",
            subject="case 1 → applicant",
        )

    message.refresh_from_db()
    assert message.state == OutboxState.DELIVERED
    sms = SmsMessage.objects.get()
    assert (sms.to, sms.body, sms.purpose, sms.status) == (
        "09121234567",
        "پرونده شما ثبت شد",
        "case_filed",
        "sent",
    )


@pytest.mark.django_db
def test_an_sms_the_provider_refuses_is_retried(settings: Any) -> None:
    settings.SMS_PROVIDER = "kavenegar"
    settings.KAVENEGAR_API_KEY = ""  # the provider cannot even be built: a failed delivery
    message = outbox_enqueue(
        kind="sms.send", payload={"to": "09121234567", "body": "x"}, idempotency_key="sms-down"
    )

    outcome = outbox_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert outcome == DeliveryOutcome.RETRY
    assert message.state == OutboxState.PENDING
    assert "KAVENEGAR_API_KEY" in message.last_error


@pytest.mark.django_db
def test_an_email_goes_out_through_the_outbox_once_with_its_delivery_id(mailoutbox: Any) -> None:
    from daftar.outbox.services import outbox_deliver, outbox_enqueue

    message = outbox_enqueue(
        kind="email.send",
        payload={"to": ["citizen@example.org"], "subject": "پرونده شما", "body": "تشکیل شد"},
        idempotency_key="email-1",
    )
    outbox_deliver(message_id=message.pk)
    outbox_deliver(message_id=message.pk)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["citizen@example.org"]
    assert mailoutbox[0].extra_headers["X-Daftar-Delivery"] == "email-1"
