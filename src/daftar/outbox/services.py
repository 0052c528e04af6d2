"""Writes for the outbox: enqueue with the causing change, deliver under a lease, retry, park.

Delivery is at least once: a message is handed to its handler until the handler returns, so a
receiver may see it more than once (a worker that dies after the POST but before recording it)
and must drop repeats by the idempotency key. A delivered message is never handed over again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import Conflict, InvalidValue

from .models import OutboxMessage, OutboxState
from .registry import DeliveryFailed, handlers

logger = logging.getLogger("daftar.outbox")

KEY_MAX_LENGTH = 100
SUBJECT_MAX_LENGTH = 200
ERROR_MAX_CHARS = 2000
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
BACKOFF_JITTER = 0.10


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # failed; another attempt is scheduled
    DEAD = "dead"  # failed for the last time; parked for staff
    SKIPPED = "skipped"  # not pending, not due yet, leased by another worker, or gone


def retry_delay_seconds(attempts: int, *, jitter: float | None = None) -> float:
    """How long to wait after the ``attempts``-th failure: 30 s × 2^(attempts-1), ±10 %, at most 1 h.

    ``jitter`` (a fraction in [-0.1, 0.1]) is drawn at random unless given; it spreads the retries
    of many messages that failed together (an agency was down) instead of firing them at once.
    """
    exponent = min(max(attempts - 1, 0), 20)
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**exponent)
    if jitter is None:
        jitter = random.uniform(-BACKOFF_JITTER, BACKOFF_JITTER)  # noqa: S311 - spreading, not secrecy
    jitter = max(-BACKOFF_JITTER, min(BACKOFF_JITTER, jitter))
    return min(BACKOFF_CAP_SECONDS, base * (1 + jitter))


def outbox_enqueue(
    *, kind: str, payload: Mapping[str, Any], idempotency_key: str, subject: str = ""
) -> OutboxMessage:
    """Write a message in the current transaction; deliver it once that transaction commits.

    Idempotent on the key: a key already written returns the existing row and sends nothing more.
    An unknown ``kind`` is refused at once, so a typo fails the change that caused it.
    """
    handlers.get(kind)  # LookupError for an unknown handler
    if not idempotency_key or len(idempotency_key) > KEY_MAX_LENGTH:
        raise InvalidValue(
            "outbox.idempotency_key",
            _("An idempotency key of 1 to %(max)s characters is required."),
            {"max": KEY_MAX_LENGTH},
        )
    message, created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={"kind": kind, "payload": dict(payload), "subject": subject[:SUBJECT_MAX_LENGTH]},
    )
    if created:
        transaction.on_commit(partial(_dispatch, message.pk))
    return message


def _dispatch(message_id: int) -> None:
    """Hand a committed message to the task queue (or, in eager mode, deliver it right here)."""
    from .tasks import deliver

    if deliver.app.conf.task_always_eager:
        deliver.delay(message_id)  # the outcome is recorded on the row; a bug here should be seen
        return
    try:
        deliver.delay(message_id)
    except Exception:
        # The row is safe; the periodic outbox.deliver_due picks it up once the broker is back.
        logger.warning(
            "outbox: message %s not queued; the periodic sweep will deliver it", message_id, exc_info=True
        )


def _claim(*, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take a short lease on a pending, due, unleased message, or None when it is not ours to send."""
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    candidates = OutboxMessage.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        pk=message_id,
        state=OutboxState.PENDING,
        next_attempt_at__lte=now,
    )
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: a row another worker is claiming right now is skipped, not waited for.
        with transaction.atomic():
            message = candidates.select_for_update(skip_locked=True).first()
            if message is None:
                return None
            message.locked_until = lease_until
            message.save(update_fields=["locked_until"])
            return message
    # SQLite: writes are serialised, so one conditional UPDATE is the claim.
    if candidates.update(locked_until=lease_until) != 1:
        return None
    return OutboxMessage.objects.get(pk=message_id)


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """Deliver one message if it is pending and due: claim it, call its handler, record the outcome.

    On failure the attempt is counted, the error kept, and the next attempt scheduled with
    exponential backoff; after ``OUTBOX_MAX_ATTEMPTS`` (or a failure that says not to retry) the
    message is dead. ``now`` fixes the clock (tests); by default the real time is used.
    """
    message = _claim(message_id=message_id, now=now or timezone.now())
    if message is None:
        return DeliveryOutcome.SKIPPED
    try:
        handler = handlers.get(message.kind)
    except LookupError as exc:
        return _failure_record(message=message, reason=str(exc), retry=True, now=now)
    try:
        handler(dict(message.payload), message)
    except DeliveryFailed as exc:
        return _failure_record(message=message, reason=exc.reason, retry=exc.retry, now=now)
    except Exception as exc:
        logger.warning("outbox: handler %s raised on message %s", message.kind, message.pk, exc_info=True)
        return _failure_record(message=message, reason=f"{type(exc).__name__}: {exc}", retry=True, now=now)
    OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.PENDING).update(
        state=OutboxState.DELIVERED,
        attempts=message.attempts + 1,
        delivered_at=now or timezone.now(),
        locked_until=None,
    )
    return DeliveryOutcome.DELIVERED


def _failure_record(
    *, message: OutboxMessage, reason: str, retry: bool, now: datetime | None
) -> DeliveryOutcome:
    attempts = message.attempts + 1
    moment = now or timezone.now()
    fields: dict[str, Any] = {
        "attempts": attempts,
        "last_error": (reason or "delivery failed")[:ERROR_MAX_CHARS],
        "locked_until": None,
    }
    if not retry or attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        fields["state"] = OutboxState.DEAD
        outcome = DeliveryOutcome.DEAD
        logger.error(
            "outbox: message %s (%s) is dead after %s attempt(s): %s",
            message.pk,
            message.kind,
            attempts,
            reason,
        )
    else:
        fields["next_attempt_at"] = moment + timedelta(seconds=retry_delay_seconds(attempts))
        outcome = DeliveryOutcome.RETRY
        logger.info(
            "outbox: message %s (%s) attempt %s failed: %s", message.pk, message.kind, attempts, reason
        )
    OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.PENDING).update(**fields)
    return outcome


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Deliver up to ``limit`` pending messages whose next attempt is due, oldest first.

    Returns how many were delivered. Safe to run from several workers at once: each message is
    claimed under a lease before its handler is called.
    """
    moment = now or timezone.now()
    due = (
        OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=moment)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=moment))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: max(1, limit)]
    )
    delivered = 0
    for message_id in list(due):
        if outbox_deliver(message_id=message_id, now=now) == DeliveryOutcome.DELIVERED:
            delivered += 1
    return delivered


def outbox_retry(*, message: OutboxMessage, actor: AbstractBaseUser | AnonymousUser | None) -> OutboxMessage:
    """Staff action: send a dead (or waiting) message again now.

    A dead message starts a fresh round of ``OUTBOX_MAX_ATTEMPTS`` attempts; a pending one only
    has its wait cut short. A delivered message is refused: it is never sent twice.
    """
    with transaction.atomic():
        current = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if current.state == OutboxState.DELIVERED:
            raise Conflict("outbox.delivered", _("This message was already delivered."))
        fields = ["state", "next_attempt_at"]
        if current.state == OutboxState.DEAD:
            current.attempts = 0
            current.locked_until = None
            fields += ["attempts", "locked_until"]
        current.state = OutboxState.PENDING
        current.next_attempt_at = timezone.now()
        current.save(update_fields=fields)
        transaction.on_commit(partial(_dispatch, current.pk))
    logger.info(
        "outbox: %s asked to retry message %s (%s) now",
        getattr(actor, "get_username", lambda: "system")(),
        current.pk,
        current.kind,
    )
    return current
