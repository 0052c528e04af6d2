"""Reads for SMS records."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import SmsMessage


def sms_recent(*, to: str | None = None, limit: int = 50) -> QuerySet[SmsMessage]:
    messages = SmsMessage.objects.all()
    if to:
        messages = messages.filter(to=to)
    return messages.order_by("-created_at", "-id")[: max(1, min(limit, 200))]
