"""Writes for SMS: record the message, hand it to the provider, record the outcome."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import SmsMessage, SmsStatus
from .providers import SmsDeliveryError, SmsProvider, SmsRequest, get_provider

REDACTED = "[redacted]"


def sms_send(
    *,
    to: str,
    body: str,
    purpose: str,
    sensitive: bool = False,
    template: str = "",
    tokens: tuple[str, ...] = (),
    provider: SmsProvider | None = None,
) -> SmsMessage:
    """Send one SMS now and keep a record of it.

    A sensitive message (a sign-in code) keeps its text only where SMS_STORE_SENSITIVE allows,
    so a database copy never reveals live codes in production. A provider failure is recorded
    and returned, not raised: the caller decides what a failed delivery means for its user.
    """
    chosen = provider or get_provider()
    stored_body = body if (not sensitive or settings.SMS_STORE_SENSITIVE) else REDACTED
    message = SmsMessage.objects.create(to=to, body=stored_body, purpose=purpose, provider=chosen.name)
    try:
        result = chosen.send(SmsRequest(to=to, body=body, template=template, tokens=tokens))
    except SmsDeliveryError as exc:
        message.status = SmsStatus.FAILED
        message.error = str(exc)[:1000]
        message.save(update_fields=["status", "error"])
        return message
    message.status = SmsStatus.SENT
    message.provider_ref = result.provider_ref
    message.sent_at = timezone.now()
    message.save(update_fields=["status", "provider_ref", "sent_at"])
    return message
