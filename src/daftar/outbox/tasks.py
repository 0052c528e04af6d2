"""Background entry points for the outbox; they only call services."""

from __future__ import annotations

from celery import shared_task

from .services import outbox_deliver, outbox_deliver_due


@shared_task(name="outbox.deliver")
def deliver(message_id: int) -> str:
    """Deliver one message (queued when the transaction that wrote it commits)."""
    return str(outbox_deliver(message_id=message_id))


@shared_task(name="outbox.deliver_due")
def deliver_due() -> int:
    """Deliver every pending message whose retry time has come (beat, every 30 seconds)."""
    return outbox_deliver_due()
