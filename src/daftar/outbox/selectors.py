"""Reads for the outbox: what is stuck, and how much is waiting (for an operations page)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import OutboxMessage, OutboxState


def outbox_dead(*, limit: int = 50) -> QuerySet[OutboxMessage]:
    """Dead messages, newest first, at most ``limit`` (1 to 200)."""
    return OutboxMessage.objects.filter(state=OutboxState.DEAD).order_by("-created_at", "-id")[
        : max(1, min(limit, 200))
    ]


def outbox_stats() -> dict[str, int]:
    """How many messages are in each state: ``{"pending": …, "delivered": …, "dead": …}``."""
    counts = dict.fromkeys(OutboxState.values, 0)
    for row in OutboxMessage.objects.order_by().values("state").annotate(count=Count("id")):
        counts[row["state"]] = row["count"]
    return counts
