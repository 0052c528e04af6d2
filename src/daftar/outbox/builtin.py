"""The outbox's own handlers (``sms.send``, ``webhook.post``) and the ``env`` secret resolver.

Registered from ``OutboxConfig.ready()``.

``sms.send`` payload: ``{"to": "0912…", "body": "…", "purpose": "case_notice"}`` and optionally
``"template"`` and ``"tokens"``. The payload is stored in clear, so sign-in codes are never sent
this way (accounts sends them directly).

``webhook.post`` payload: ``{"url": "https://…", "body": {...}, "secret_ref": "agency:water",
"event": "inquiry.created"}``; the contract is in docs/inquiries.md.

``email.send`` payload: ``{"to": ["a@example.org"], "subject": "…", "body": "…"}``, sent with
Django's mail backend (``EMAIL_BACKEND``; SMTP in production).
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage

from daftar.sms.models import SmsStatus
from daftar.sms.services import sms_send

from .models import OutboxMessage
from .registry import DeliveryFailed, handlers, secret_resolve, secrets
from .signing import webhook_sign

ENV_SECRET_PREFIX = "DAFTAR_WEBHOOK_SECRET_"  # noqa: S105 - a variable name prefix, not a secret
_ENV_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
USER_AGENT = "Daftar-Webhook/1"


@secrets.register("env")
def env_secret(name: str) -> str:
    """``env:WATER`` → the environment variable ``DAFTAR_WEBHOOK_SECRET_WATER`` (only that prefix)."""
    if not _ENV_NAME.fullmatch(name):
        raise DeliveryFailed(f"malformed environment secret name {name!r}", retry=False)
    return os.environ.get(ENV_SECRET_PREFIX + name.upper(), "")


@handlers.register("email.send")
def email_send_handler(payload: dict[str, Any], message: OutboxMessage) -> None:
    recipients = payload.get("to")
    if not isinstance(recipients, list) or not recipients or not payload.get("subject"):
        raise DeliveryFailed("email.send payload needs 'to' (a list) and 'subject'", retry=False)
    email = EmailMessage(
        subject=str(payload["subject"]),
        body=str(payload.get("body", "")),
        to=[str(address) for address in recipients],
        headers={"X-Daftar-Delivery": message.idempotency_key},
    )
    try:
        email.send(fail_silently=False)
    except OSError as exc:  # SMTP errors and refused connections: try again later
        raise DeliveryFailed(f"mail server: {exc}") from exc


@handlers.register("sms.send")
def sms_send_handler(payload: dict[str, Any], message: OutboxMessage) -> None:
    try:
        to, body = str(payload["to"]), str(payload["body"])
    except KeyError as exc:
        raise DeliveryFailed(f"sms.send payload lacks {exc}", retry=False) from None
    sent = sms_send(
        to=to,
        body=body,
        purpose=str(payload.get("purpose") or "outbox")[:32],
        template=str(payload.get("template", "")),
        tokens=tuple(str(token) for token in payload.get("tokens", ())),
    )
    if sent.status != SmsStatus.SENT:
        raise DeliveryFailed(f"SMS provider {sent.provider}: {sent.error or 'not sent'}")


def webhook_body_encode(body: Any) -> bytes:
    """The exact bytes POSTed (and signed): compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@handlers.register("webhook.post")
def webhook_post_handler(payload: dict[str, Any], message: OutboxMessage) -> None:
    try:
        url, body, secret_ref = str(payload["url"]), payload["body"], str(payload["secret_ref"])
    except KeyError as exc:
        raise DeliveryFailed(f"webhook.post payload lacks {exc}", retry=False) from None
    if urlsplit(url).scheme not in {"http", "https"}:
        raise DeliveryFailed(f"webhook URL {url!r} is not http(s)", retry=False)
    event = str(payload.get("event") or (body.get("event") if isinstance(body, dict) else "") or "")
    secret = secret_resolve(secret_ref)
    raw = webhook_body_encode(body)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Daftar-Event": event,
        "X-Daftar-Delivery": message.idempotency_key,
        "X-Daftar-Timestamp": str(timestamp),
        "X-Daftar-Signature": webhook_sign(secret, timestamp, raw),
    }
    try:
        with requests.post(
            url,
            data=raw,
            headers=headers,
            timeout=settings.OUTBOX_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,  # a redirect is not an acknowledgement; it is retried
            stream=True,  # read at most a little of the answer
        ) as response:
            if 200 <= response.status_code < 300:
                return
            excerpt = next(response.iter_content(300), b"").decode("utf-8", "replace")
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    raise DeliveryFailed(f"HTTP {response.status_code} from {url}: {excerpt}".strip())
