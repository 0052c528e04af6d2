"""SMS providers behind one interface.

`console` keeps messages in the local table and the log (development, tests, the demo city);
`kavenegar` sends through Kavenegar, an Iranian SMS service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("daftar.sms")


@dataclass(frozen=True)
class SmsRequest:
    to: str
    body: str
    # Template-based sending (Kavenegar "verify lookup") carries the token apart from the text.
    template: str = ""
    tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmsResult:
    provider_ref: str


class SmsDeliveryError(Exception):
    """The provider refused or could not be reached. The message stays recorded as failed."""


class SmsProvider(Protocol):
    name: str

    def send(self, request: SmsRequest) -> SmsResult: ...


class ConsoleSmsProvider:
    name = "console"

    def send(self, request: SmsRequest) -> SmsResult:
        logger.info("SMS to %s: %s", request.to, request.body)
        return SmsResult(provider_ref="")


class KavenegarSmsProvider:
    """Kavenegar's REST API (https://api.kavenegar.com/v1/{key}/...), called with `requests`.

    The official `kavenegar` package (last released 2018) sets no timeout and fixes the host, so a
    hung gateway would hang the request that sends a sign-in code; this adapter is the same two calls
    with a timeout and a configurable base URL (which the tests point at a local server).
    """

    name = "kavenegar"

    def __init__(
        self, api_key: str | None = None, sender: str | None = None, base_url: str | None = None
    ) -> None:
        key = api_key if api_key is not None else settings.KAVENEGAR_API_KEY
        if not key:
            raise SmsDeliveryError("KAVENEGAR_API_KEY is not set")
        self.api_key = key
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.base_url = (base_url or settings.KAVENEGAR_BASE_URL).rstrip("/")
        self.timeout = settings.SMS_TIMEOUT_SECONDS

    def send(self, request: SmsRequest) -> SmsResult:
        if request.template:
            path = "verify/lookup.json"
            params: dict[str, str] = {"receptor": request.to, "template": request.template}
            for index, token in enumerate(request.tokens):
                params["token" if index == 0 else f"token{index + 1}"] = token
        else:
            path = "sms/send.json"
            params = {"receptor": request.to, "message": request.body}
            if self.sender:
                params["sender"] = self.sender
        url = f"{self.base_url}/{self.api_key}/{path}"
        try:
            response = requests.post(url, data=params, timeout=self.timeout)
            payload = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SmsDeliveryError(f"kavenegar unreachable: {exc.__class__.__name__}") from exc
        status = payload.get("return", {}).get("status") if isinstance(payload, dict) else None
        if status != 200:  # Kavenegar reports success as status 200 inside the body
            message = payload.get("return", {}).get("message", "") if isinstance(payload, dict) else ""
            raise SmsDeliveryError(f"kavenegar status {status}: {message}")
        entries = payload.get("entries") or [{}]
        return SmsResult(provider_ref=str(entries[0].get("messageid", "")))


PROVIDERS: dict[str, str] = {
    "console": "daftar.sms.providers.ConsoleSmsProvider",
    "kavenegar": "daftar.sms.providers.KavenegarSmsProvider",
}


def get_provider(name: str | None = None) -> SmsProvider:
    chosen = name or settings.SMS_PROVIDER
    path = PROVIDERS.get(chosen, chosen)
    provider: SmsProvider = import_string(path)()
    return provider
