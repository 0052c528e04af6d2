"""Named delivery handlers and webhook secret resolvers.

An outbox message names its handler (``kind``, e.g. ``"sms.send"``); the code for each name is
registered here once, by the app that owns it, from its ``AppConfig.ready()``::

    @handlers.register("inquiry.push")
    def _(payload: dict[str, Any], message: OutboxMessage) -> None: ...

A handler returns when the message was delivered and raises on failure: ``DeliveryFailed(reason)``
to be retried later (``retry=False`` parks it as dead at once), any other exception is retried too.

A webhook's secret is named in its payload by a reference ``"<resolver>:<value>"`` (e.g.
``"agency:water"``), never stored in the outbox row itself. The app that owns the secrets
registers the resolver::

    @secrets.register("agency")
    def _(code: str) -> str: ...   # the agency's current webhook secret

This module imports no app above the core layer, so any app may register here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daftar.core.registry import Registry

if TYPE_CHECKING:
    from .models import OutboxMessage


class DeliveryFailed(Exception):
    """A handler could not deliver its message. ``retry=False``: it never will (parked as dead)."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


HandlerFn = Callable[[dict[str, Any], "OutboxMessage"], None]
SecretResolverFn = Callable[[str], str]


handlers: Registry[HandlerFn] = Registry("outbox handler")
secrets: Registry[SecretResolverFn] = Registry("webhook secret resolver")


def secret_resolve(ref: str) -> str:
    """The secret a reference such as ``"agency:water"`` names; ``DeliveryFailed`` when it cannot.

    Unknown resolvers and missing secrets are retried: the fix (configuring the secret) is
    usually made after the message was written.
    """
    prefix, sep, value = ref.partition(":")
    if not sep or not prefix or not value:
        raise DeliveryFailed(f"malformed secret reference {ref!r} (expected 'resolver:value')", retry=False)
    try:
        resolver = secrets.get(prefix)
    except LookupError as exc:
        raise DeliveryFailed(str(exc)) from None
    try:
        secret = resolver(value)
    except DeliveryFailed:
        raise
    except Exception as exc:
        raise DeliveryFailed(f"secret {ref!r} could not be resolved: {exc}") from exc
    if not secret:
        raise DeliveryFailed(f"secret {ref!r} is empty")
    return secret
