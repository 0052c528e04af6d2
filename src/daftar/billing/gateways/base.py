"""One interface over the internet payment gateways (IPG) citizens pay bills through.

An adapter speaks one gateway's HTTP API and nothing else: no models, no ledger, no views. The
billing services own the payment row, its idempotent callback and the double-entry postings;
they call an adapter to start a payment, to verify it server-to-server when the payer's browser
comes back, and to inquire about payments left pending (the reconciliation job). See ADR 0006.

Rules every adapter keeps:

* money is ``int`` rials, in and out; a float or a string amount is refused before any call;
* one HTTP call per method, with explicit timeouts (connect 5 s, read 15 s) and no retries;
  the reconciliation job is what retries;
* a failure of transport or of the gateway itself (timeout, network error, HTTP 5xx, a body that
  is not a JSON object) raises :class:`GatewayError`: the outcome is unknown, so the caller leaves
  the payment pending and asks again later;
* an answer the gateway gave is a :class:`GatewayResult` (``paid``/``failed``/``pending``), or, when
  the gateway refused to act on our request at all (wrong merchant code, amount below its minimum,
  rate limit), :class:`GatewayRefused`, a :class:`GatewayError` carrying the gateway's code;
* ``paid`` means settled: the gateway has verified the payment and will not reverse it. A payment
  the gateway holds but has not verified is ``pending`` (verify it; verify is idempotent).

Amounts are reported, never judged: ``GatewayResult.amount`` is what the gateway says was paid
(``None`` when it does not say), and comparing it with the bill is the caller's job. A ``paid``
result whose amount differs from the bill's must not settle the bill in full.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from daftar.core.registry import Registry

GatewayStatus = Literal["paid", "failed", "pending"]

# Explicit, short: a payer is waiting on start() and on verify().
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 15.0
TIMEOUT = httpx.Timeout(
    connect=CONNECT_TIMEOUT_SECONDS,
    read=READ_TIMEOUT_SECONDS,
    write=READ_TIMEOUT_SECONDS,
    pool=CONNECT_TIMEOUT_SECONDS,
)


@dataclass(frozen=True)
class GatewayStart:
    authority: str  # the gateway's token for this payment (Zarinpal Authority, Zibal trackId as str)
    redirect_url: str  # where to send the payer's browser
    raw: dict[str, Any] = field(repr=False)  # the gateway's response body, stored for audit


@dataclass(frozen=True)
class GatewayResult:
    status: GatewayStatus
    amount: int | None  # rials the gateway says were paid, when it says
    reference: str  # bank reference / ref_id / RRN when paid, else ""
    card_mask: str  # e.g. "6037-99**-****-1234" when known, else ""
    message: str  # the gateway's own code and message, for the finance log
    raw: dict[str, Any] = field(repr=False)


def unpaid(status: GatewayStatus, message: str, raw: dict[str, Any]) -> GatewayResult:
    """A result that reports no money: a failed payment, or one still pending."""
    return GatewayResult(status=status, amount=None, reference="", card_mask="", message=message, raw=raw)


class GatewayError(Exception):
    """The gateway's answer is unknown or unusable: network failure, timeout, HTTP 5xx, a body that
    is not a JSON object. Callers leave the payment pending and retry later."""


class GatewayRefused(GatewayError):
    """The gateway answered but refused to act on the request (invalid or inactive merchant,
    validation error, amount outside its limits, too many requests). ``code`` and ``raw`` are the
    gateway's own. From ``start`` it means no payment exists; from ``verify``/``inquire`` it says
    nothing about the payment, which stays pending until the cause (usually configuration) is fixed.
    """

    def __init__(
        self, message: str, *, code: int | str | None = None, raw: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.raw = raw if raw is not None else {}


def check_rials(amount: object) -> int:
    """``amount`` as rials, refusing anything that is not a positive ``int`` (floats, strings,
    ``Decimal``, ``bool``): a payment amount is never rounded or converted on its way out."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be int rials, not {type(amount).__name__}")
    if amount <= 0:
        raise ValueError(f"amount must be positive, not {amount}")
    return amount


def config_flag(value: object) -> bool:
    return str(value).strip().lower() == "true"


class PaymentGateway(ABC):
    """An adapter for one gateway. ``config`` is this gateway's entry in
    ``settings.DAFTAR_PAYMENT_GATEWAYS`` (strings); ``client`` is an ``httpx.Client`` to send with
    (tests, connection reuse), else the adapter makes its own and :meth:`close` closes it."""

    code: ClassVar[str]

    def __init__(self, *, config: Mapping[str, str], client: httpx.Client | None = None) -> None:
        self.config: dict[str, str] = dict(config)
        self.configure()  # before a client is made: a bad config leaves nothing to close
        self._owns_client = client is None
        self.client = client if client is not None else httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @abstractmethod
    def configure(self) -> None:
        """Read and check ``self.config``; raise ``ImproperlyConfigured`` when it is unusable."""

    def required_config(self, key: str) -> str:
        value = str(self.config.get(key, "")).strip()
        if not value:
            raise ImproperlyConfigured(f"DAFTAR_PAYMENT_GATEWAYS[{self.code!r}][{key!r}] is not set")
        return value

    @abstractmethod
    def start(
        self, *, amount: int, order_id: str, callback_url: str, description: str, mobile: str = ""
    ) -> GatewayStart:
        """Register a payment of ``amount`` rials; raises :class:`GatewayRefused` when the gateway
        will not, :class:`GatewayError` when its answer is unknown."""

    @abstractmethod
    def callback_authority(self, params: Mapping[str, str]) -> str:
        """The authority carried by the callback's query/form ``params``; :class:`GatewayError`
        when absent or malformed."""

    def callback_claims_success(self, params: Mapping[str, str]) -> bool:
        """What the browser-carried callback claims. Never trusted alone: the payment's state
        comes only from :meth:`verify`. Adapters whose gateway says nothing return ``False``."""
        return False

    @abstractmethod
    def verify(self, *, authority: str, amount: int) -> GatewayResult:
        """Confirm (settle) the payment server-to-server. Idempotent at the gateway: a payment
        verified before comes back ``paid`` again."""

    @abstractmethod
    def inquire(self, *, authority: str, amount: int) -> GatewayResult:
        """The payment's state, for reconciling payments left pending. Changes nothing at the
        gateway; ``pending`` includes "paid but not yet verified" (call :meth:`verify` next)."""

    def post_json(self, url: str, payload: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST ``payload`` as JSON, once. Returns the HTTP status and the JSON object it carried
        (2xx or 4xx: gateways report refusals both ways). Everything else is :class:`GatewayError`."""
        try:
            response = self.client.post(
                url, json=dict(payload), headers={"Accept": "application/json"}, timeout=TIMEOUT
            )
        except httpx.TimeoutException as error:
            raise GatewayError(
                f"{self.code}: no answer from {url} in time ({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise GatewayError(f"{self.code}: {url} could not be reached ({type(error).__name__})") from error
        status = response.status_code
        if not (200 <= status < 300 or 400 <= status < 500):
            raise GatewayError(f"{self.code}: {url} answered HTTP {status}")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise GatewayError(
                f"{self.code}: {url} answered HTTP {status} with a body that is not JSON"
            ) from error
        if not isinstance(body, dict):
            raise GatewayError(f"{self.code}: {url} answered HTTP {status} with JSON that is not an object")
        return status, body


# Adapter classes by gateway code ("zarinpal", "zibal"); each module registers its class.
gateway_classes: Registry[type[PaymentGateway]] = Registry("payment gateway")


def gateway_for(code: str, *, client: httpx.Client | None = None) -> PaymentGateway:
    """The adapter for ``code``, configured from ``settings.DAFTAR_PAYMENT_GATEWAYS[code]``.
    ``LookupError`` for an unknown code; ``ImproperlyConfigured`` when a required key is missing."""
    gateway_class = gateway_classes.get(code)
    configs: Mapping[str, Mapping[str, str]] = getattr(settings, "DAFTAR_PAYMENT_GATEWAYS", {})
    return gateway_class(config=configs.get(code, {}), client=client)
