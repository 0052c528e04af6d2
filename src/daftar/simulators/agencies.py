"""A simulator of outside agencies (water, electricity, the land registry…) for the demo and for tests.

It plays the agency side of the contract in ``docs/inquiries.md``: one HTTP server receives Daftar's
signed webhooks for several agencies at once, and each agency answers its inquiries through Daftar's
agency API, after a delay, with an outcome and data taken from its configuration.

    POST /agencies/<code>/webhook    a webhook from Daftar (signature checked, duplicates dropped)
    GET  /_stats                     {code: {"received", "duplicates", "rejected_signatures",
                                             "answered", "answer_errors"}}
    POST /_down                      {"seconds": N} (optional; else until /_up), {"agency": code} optional
    POST /_up                        {"agency": code} optional
    GET  /healthz

Run it with ``python -m daftar.simulators.agencies --config var/simulator.json [--host] [--port]``,
or from Python with ``AgencySimulator(SimulatorConfig.from_dict({...})).start()``.

It needs no Django: only the standard library, ``requests``, ``jdatetime`` and Daftar's pure
webhook-signing functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jdatetime
import requests

from daftar.outbox.signing import webhook_verify

logger = logging.getLogger("daftar.simulators.agencies")

OUTCOMES = ("positive", "negative", "conditional")
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
ANSWER_TIMEOUT_SECONDS = 10.0
TEHRAN = ZoneInfo("Asia/Tehran")

NOTES = {
    "positive": "استعلام بررسی شد و مانعی ندارد.",
    "negative": "با توجه به سوابق موجود، با درخواست موافقت نمی‌شود.",
    "conditional": "با رعایت ضوابط و تسویه بدهی‌های معوق، بلامانع است.",
}
PERSIAN_TEXT = "مورد تأیید است"

_WEBHOOK_PATH = re.compile(r"/agencies/(?P<code>[A-Za-z0-9_.-]+)/webhook/?")
_STAT_KEYS = ("received", "duplicates", "rejected_signatures", "answered", "answer_errors")


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyConfig:
    """How one simulated agency behaves."""

    code: str
    webhook_secret: str
    api_key: str
    delay_seconds: float = 0.0
    fail_rate: float = 0.0
    # One outcome for every inquiry, or inquiry type → outcome ("*" is the fallback; else positive).
    outcome: str | Mapping[str, str] = "positive"
    # Inquiry type → the exact ``data`` to answer with (instead of data generated from the schema).
    answer_rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("an agency needs a code")
        if not self.webhook_secret:
            raise ValueError(f"agency {self.code!r}: webhook_secret is required")
        if not self.api_key:
            raise ValueError(f"agency {self.code!r}: api_key is required")
        if not (isinstance(self.delay_seconds, int | float) and self.delay_seconds >= 0):
            raise ValueError(f"agency {self.code!r}: delay_seconds must be a number ≥ 0")
        if not (isinstance(self.fail_rate, int | float) and 0 <= self.fail_rate <= 1):
            raise ValueError(f"agency {self.code!r}: fail_rate must be between 0 and 1")
        outcomes = [self.outcome] if isinstance(self.outcome, str) else list(self.outcome.values())
        for outcome in outcomes:
            if outcome not in OUTCOMES:
                raise ValueError(f"agency {self.code!r}: unknown outcome {outcome!r} (one of {OUTCOMES})")
        for inquiry_type, data in self.answer_rules.items():
            if not isinstance(data, Mapping):
                raise ValueError(f"agency {self.code!r}: answer_rules[{inquiry_type!r}] must be an object")

    def outcome_for(self, inquiry_type: str) -> str:
        if isinstance(self.outcome, str):
            return self.outcome
        return self.outcome.get(inquiry_type) or self.outcome.get("*") or "positive"

    @classmethod
    def from_dict(cls, code: str, entry: Mapping[str, Any]) -> AgencyConfig:
        known = {"webhook_secret", "api_key", "delay_seconds", "fail_rate", "outcome", "answer_rules"}
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"agency {code!r}: unknown settings {sorted(unknown)}")
        outcome = entry.get("outcome", "positive")
        return cls(
            code=code,
            webhook_secret=str(entry.get("webhook_secret") or ""),
            api_key=str(entry.get("api_key") or ""),
            delay_seconds=entry.get("delay_seconds", 0),
            fail_rate=entry.get("fail_rate", 0),
            outcome=outcome if isinstance(outcome, str) else dict(outcome),
            answer_rules=dict(entry.get("answer_rules") or {}),
        )


@dataclass(frozen=True)
class SimulatorConfig:
    """Where Daftar is, and the agencies to play."""

    daftar_url: str
    agencies: Mapping[str, AgencyConfig]
    # Answer POSTs are retried on connection errors and 5xx: this many attempts in all, waiting
    # retry_backoff_seconds, then twice that, and so on, between them.
    answer_attempts: int = 4
    retry_backoff_seconds: float = 0.5
    # Seeds fail_rate's dice, for reproducible demos; None = different every run.
    seed: int | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.daftar_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"daftar_url must be an http(s) URL, not {self.daftar_url!r}")
        if not self.agencies:
            raise ValueError("the configuration names no agencies")
        for code, agency in self.agencies.items():
            if agency.code != code:
                raise ValueError(f"agency {code!r} is configured under the code {agency.code!r}")
        if self.answer_attempts < 1:
            raise ValueError("answer_attempts must be at least 1")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SimulatorConfig:
        """Read ``{"daftar_url": ..., "agencies": {code: {...}}, ...}`` (the JSON config file's shape)."""
        if not isinstance(raw, Mapping):
            raise ValueError("the configuration must be a JSON object")
        agencies = raw.get("agencies")
        if not isinstance(agencies, Mapping):
            raise ValueError("'agencies' must be an object of agency code → settings")
        known = {"daftar_url", "agencies", "answer_attempts", "retry_backoff_seconds", "seed"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}")
        return cls(
            daftar_url=str(raw.get("daftar_url") or ""),
            agencies={code: AgencyConfig.from_dict(code, entry) for code, entry in agencies.items()},
            answer_attempts=int(raw.get("answer_attempts", 4)),
            retry_backoff_seconds=float(raw.get("retry_backoff_seconds", 0.5)),
            seed=raw.get("seed"),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> SimulatorConfig:
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))


# --- answers ----------------------------------------------------------------------------------


def jalali_today() -> str:
    """Today's date in Tehran as a Jalali «1405/01/05» (Latin digits, Daftar's stored form)."""
    today = jdatetime.date.fromgregorian(date=datetime.now(TEHRAN).date())
    return f"{today.year:04d}/{today.month:02d}/{today.day:02d}"


# Valid samples of Daftar's own string formats (catalog/intake.py), check digits and all.
FORMAT_SAMPLES = {
    "national_code": "0012345679",
    "legal_national_id": "10380284790",
    "mobile": "09121234567",
    "postal_code": "1345678913",
    "sheba": "IR820540102680020817909002",
    "car_plate": "12ب345-67",
    "renewal_code": "3-123-45-6",
    "email": "daftar@example.ir",
}


def _string_value(spec: Mapping[str, Any], today: Callable[[], str]) -> str:
    fmt = spec.get("format")
    if fmt == "jalali_date":
        try:
            return today()
        except Exception:  # pragma: no cover - jdatetime is a dependency; this is a last resort
            return "1405/01/01"
    if fmt == "date":
        return datetime.now(TEHRAN).date().isoformat()
    if fmt in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[fmt]
    candidates = [PERSIAN_TEXT, "بلامانع", "12345", "1"]
    pattern = spec.get("pattern")
    if isinstance(pattern, str):
        try:
            regex = re.compile(pattern)
        except re.error:
            regex = None
        if regex is not None:
            candidates = [c for c in candidates if regex.search(c)] or candidates
    text = candidates[0]
    min_length = spec.get("minLength")
    max_length = spec.get("maxLength")
    if isinstance(min_length, int) and len(text) < min_length:
        text = (text + " ") * (min_length // (len(text) + 1) + 1)
    if isinstance(max_length, int):
        text = text[:max_length]
    return text


def _number_value(spec: Mapping[str, Any], *, integer: bool) -> int | float:
    if "minimum" in spec:
        value: float = spec["minimum"]
    elif "exclusiveMinimum" in spec:
        value = spec["exclusiveMinimum"] + 1
    else:
        value = 0
    if "maximum" in spec and value > spec["maximum"]:
        value = spec["maximum"]
    if integer:
        return math.ceil(value)
    return value


def data_from_schema(schema: Any, *, today: Callable[[], str] = jalali_today) -> Any:
    """A plausible value for a JSON Schema: every property filled, the first enum value, the minimum…

    For an object schema this is an agency's answer ``data``: required and optional properties alike.
    """
    if not isinstance(schema, Mapping):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options and "type" not in schema:
            return data_from_schema(options[0], today=today)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: data_from_schema(spec, today=today) for name, spec in properties.items()}
    if kind == "array":
        items = schema.get("items")
        count = schema.get("minItems") or 0
        return [data_from_schema(items, today=today) for _ in range(count)]
    if kind == "integer":
        return _number_value(schema, integer=True)
    if kind == "number":
        return _number_value(schema, integer=False)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_value(schema, today)
    return None


# --- the simulator ----------------------------------------------------------------------------


class AgencySimulator:
    """Several agencies behind one HTTP server. ``start()`` serves in a background thread."""

    def __init__(self, config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._random = random.Random(config.seed)  # noqa: S311 - dice for fault injection, not secrets
        self._stats: dict[str, dict[str, int]] = {
            code: dict.fromkeys(_STAT_KEYS, 0) for code in config.agencies
        }
        self._accepted: dict[str, set[str]] = {code: set() for code in config.agencies}
        # Agency code (None: all of them) → monotonic time it comes back up (math.inf: until /_up).
        self._down_until: dict[str | None, float] = {}
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle --

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.simulator = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="agency-simulator", daemon=True
        )
        self._thread.start()
        logger.info(
            "agency simulator listening on %s for %s; answering to %s",
            self.base_url,
            ", ".join(self.config.agencies),
            self.config.daftar_url,
        )

    def stop(self) -> None:
        """Stop serving, and drop answers not yet sent (an answer being retried gives up)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        logger.info("agency simulator stopped")

    def __enter__(self) -> AgencySimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses --

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def webhook_url(self, agency_code: str) -> str:
        if agency_code not in self.config.agencies:
            raise KeyError(agency_code)
        return f"{self.base_url}/agencies/{agency_code}/webhook"

    # -- state --

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {code: dict(counts) for code, counts in self._stats.items()}

    def set_down(self, seconds: float | None = None, agency: str | None = None) -> None:
        """Answer webhooks with 503: for ``seconds``, or until ``set_up()``; one agency or all of them."""
        if agency is not None and agency not in self.config.agencies:
            raise KeyError(agency)
        until = math.inf if seconds is None else time.monotonic() + max(0.0, float(seconds))
        with self._lock:
            self._down_until[agency] = until
        logger.info(
            "%s down %s", agency or "all agencies", "until /_up" if seconds is None else f"for {seconds} s"
        )

    def set_up(self, agency: str | None = None) -> None:
        """Back up: ``agency`` alone (if it was taken down alone), or everything."""
        with self._lock:
            if agency is None:
                self._down_until.clear()
            else:
                self._down_until.pop(agency, None)
        logger.info("%s up", agency or "all agencies")

    def is_down(self, agency: str | None = None) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(self._down_until.get(key, 0.0) > now for key in (None, agency))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no answer is scheduled or in flight; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _count(self, code: str, key: str) -> None:
        with self._lock:
            self._stats[code][key] += 1

    # -- webhooks --

    def handle_webhook(
        self, code: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """Decide on one webhook delivery (the server has already answered 503 if down, 404 if unknown)."""
        agency = self.config.agencies[code]
        headers = {name.lower(): value for name, value in headers.items()}  # header names ignore case
        delivery = headers.get("x-daftar-delivery") or ""
        ok = webhook_verify(
            agency.webhook_secret,
            headers.get("x-daftar-timestamp"),
            headers.get("x-daftar-signature"),
            body,
            now=time.time(),
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
        if not ok:
            self._count(code, "rejected_signatures")
            logger.info("%s: delivery %s refused: bad signature or stale timestamp", code, delivery or "-")
            return HTTPStatus.UNAUTHORIZED, {"error": "invalid signature"}
        if not delivery:
            logger.info("%s: a signed webhook without X-Daftar-Delivery refused", code)
            return HTTPStatus.BAD_REQUEST, {"error": "missing X-Daftar-Delivery"}
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            logger.info("%s: delivery %s refused: body is not JSON", code, delivery)
            return HTTPStatus.BAD_REQUEST, {"error": "body is not JSON"}
        inquiry = message.get("inquiry") if isinstance(message, dict) else None
        event = message.get("event") if isinstance(message, dict) else None
        if event == "inquiry.created" and not (isinstance(inquiry, dict) and "id" in inquiry):
            logger.info("%s: delivery %s refused: no inquiry id", code, delivery)
            return HTTPStatus.BAD_REQUEST, {"error": "inquiry.id is missing"}

        with self._lock:
            if delivery in self._accepted[code]:
                self._stats[code]["duplicates"] += 1
                duplicate = True
            else:
                duplicate = False
                failed = self._random.random() < agency.fail_rate
                if not failed:
                    self._accepted[code].add(delivery)
                    self._stats[code]["received"] += 1
        if duplicate:
            logger.info("%s: delivery %s is a duplicate; acknowledged, not processed again", code, delivery)
            return HTTPStatus.OK, {"status": "duplicate"}
        if failed:
            logger.info(
                "%s: delivery %s answered 500 on purpose (fail_rate %s)", code, delivery, agency.fail_rate
            )
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "simulated failure"}

        if event != "inquiry.created":
            logger.info("%s: delivery %s (event %r) acknowledged and ignored", code, delivery, event)
            return HTTPStatus.OK, {"status": "ignored"}
        assert isinstance(inquiry, dict)
        logger.info(
            "%s: delivery %s accepted: inquiry %s (%s) for case %s; answering in %s s",
            code,
            delivery,
            inquiry.get("id"),
            inquiry.get("type"),
            inquiry.get("case"),
            agency.delay_seconds,
        )
        self._schedule_answer(agency, inquiry)
        return HTTPStatus.OK, {"status": "accepted"}

    # -- answering --

    def _schedule_answer(self, agency: AgencyConfig, inquiry: dict[str, Any]) -> None:
        with self._lock:
            self._pending += 1
        thread = threading.Thread(
            target=self._answer_later,
            args=(agency, inquiry),
            name=f"answer-{agency.code}-{inquiry.get('id')}",
            daemon=True,
        )
        thread.start()

    def _answer_later(self, agency: AgencyConfig, inquiry: dict[str, Any]) -> None:
        try:
            if self._stopping.wait(agency.delay_seconds):
                logger.info("%s: stopping; inquiry %s left unanswered", agency.code, inquiry.get("id"))
                return
            self.answer(agency, inquiry)
        except Exception:
            logger.exception("%s: answering inquiry %s failed", agency.code, inquiry.get("id"))
            self._count(agency.code, "answer_errors")
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def answer_for(self, agency: AgencyConfig, inquiry: Mapping[str, Any]) -> dict[str, Any]:
        """The answer ``agency`` gives to ``inquiry``: {"outcome", "data", "note", "reference"}."""
        inquiry_type = str(inquiry.get("type") or "")
        outcome = agency.outcome_for(inquiry_type)
        if inquiry_type in agency.answer_rules:
            data = dict(agency.answer_rules[inquiry_type])
        else:
            schema = inquiry.get("answer_schema")
            if schema is None:
                schema = self._fetch_answer_schema(agency, inquiry.get("id"))
            data = data_from_schema(schema) if isinstance(schema, Mapping) else {}
            if not isinstance(data, dict):
                data = {}
        return {
            "outcome": outcome,
            "data": data,
            "note": NOTES[outcome],
            "reference": f"{agency.code.upper()}-{inquiry.get('id')}",
        }

    def _fetch_answer_schema(self, agency: AgencyConfig, inquiry_id: Any) -> Any:
        """Ask Daftar for the inquiry when the webhook did not carry its answer schema."""
        url = f"{self.config.daftar_url.rstrip('/')}/api/v1/agency/inquiries/{inquiry_id}"
        try:
            response = requests.get(url, headers=self._auth(agency), timeout=ANSWER_TIMEOUT_SECONDS)
            detail = response.json() if response.ok else {}
        except (requests.RequestException, ValueError) as exc:
            logger.info(
                "%s: could not fetch inquiry %s for its answer schema: %s", agency.code, inquiry_id, exc
            )
            return None
        if not isinstance(detail, dict):
            return None
        schema = detail.get("answer_schema")
        if schema is None and isinstance(detail.get("type"), dict):
            schema = detail["type"].get("answer_schema")
        return schema

    @staticmethod
    def _auth(agency: AgencyConfig) -> dict[str, str]:
        return {"Authorization": f"Bearer {agency.api_key}"}

    def answer(self, agency: AgencyConfig, inquiry: Mapping[str, Any]) -> bool:
        """POST the answer to Daftar, retrying connection errors and 5xx; True once Daftar has it."""
        inquiry_id = inquiry.get("id")
        payload = self.answer_for(agency, inquiry)
        url = f"{self.config.daftar_url.rstrip('/')}/api/v1/agency/inquiries/{inquiry_id}/answer"
        backoff = self.config.retry_backoff_seconds
        for attempt in range(1, self.config.answer_attempts + 1):
            if self._stopping.is_set():
                break
            try:
                response = requests.post(
                    url, json=payload, headers=self._auth(agency), timeout=ANSWER_TIMEOUT_SECONDS
                )
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == HTTPStatus.CONFLICT:
                    logger.info("%s: inquiry %s was already answered (409); done", agency.code, inquiry_id)
                    self._count(agency.code, "answered")
                    return True
                if response.ok:
                    logger.info(
                        "%s: answered inquiry %s: %s %s (HTTP %s)",
                        agency.code,
                        inquiry_id,
                        payload["outcome"],
                        payload["reference"],
                        response.status_code,
                    )
                    self._count(agency.code, "answered")
                    return True
                if response.status_code < 500:
                    logger.info(
                        "%s: Daftar refused the answer to inquiry %s: HTTP %s %s",
                        agency.code,
                        inquiry_id,
                        response.status_code,
                        response.text[:500],
                    )
                    self._count(agency.code, "answer_errors")
                    return False
                problem = f"HTTP {response.status_code}"
            if attempt < self.config.answer_attempts:
                logger.info(
                    "%s: answer to inquiry %s failed (%s); attempt %d of %d, retrying in %.2f s",
                    agency.code,
                    inquiry_id,
                    problem,
                    attempt,
                    self.config.answer_attempts,
                    backoff,
                )
                if self._stopping.wait(backoff):
                    break
                backoff *= 2
            else:
                logger.info(
                    "%s: answer to inquiry %s failed (%s); giving up after %d attempts",
                    agency.code,
                    inquiry_id,
                    problem,
                    attempt,
                )
        else:
            self._count(agency.code, "answer_errors")
            return False
        logger.info("%s: stopping; the answer to inquiry %s was not sent", agency.code, inquiry_id)
        return False


# --- HTTP -------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    allow_reuse_address = True
    simulator: AgencySimulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "DaftarAgencySimulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    @property
    def simulator(self) -> AgencySimulator:
        return self.server.simulator

    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        """The request body, or None (and 413 sent) when it is too large."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _discard_body(self) -> None:
        # Not looked at, but read off the socket: closing it with unread bytes would reset the
        # connection, and the client might see "connection reset" instead of our answer.
        self._read_body()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send_json(HTTPStatus.OK, {"status": "ok"})
        elif path == "/_stats":
            self._send_json(HTTPStatus.OK, self.simulator.stats())
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        match = _WEBHOOK_PATH.fullmatch(path)
        if match:
            self._webhook(match.group("code"))
        elif path in ("/_down", "/_up"):
            self._control(path)
        else:
            self._discard_body()
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _webhook(self, code: str) -> None:
        simulator = self.simulator
        if simulator.is_down(code):
            self._discard_body()
            logger.info("%s: down; webhook answered 503", code)
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "agency is down"})
            return
        if code not in simulator.config.agencies:
            self._discard_body()
            logger.info("webhook for unknown agency %r answered 404", code)
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no agency {code!r}"})
            return
        body = self._read_body()
        if body is None:
            return
        status, payload = simulator.handle_webhook(code, dict(self.headers.items()), body)
        self._send_json(status, payload)

    def _control(self, path: str) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            options = json.loads(body) if body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            options = None
        if not isinstance(options, dict):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "body must be a JSON object"})
            return
        agency = options.get("agency")
        if agency is not None and agency not in self.simulator.config.agencies:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no agency {agency!r}"})
            return
        if path == "/_up":
            self.simulator.set_up(agency)
            self._send_json(HTTPStatus.OK, {"down": False})
            return
        seconds = options.get("seconds")
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
        ):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "seconds must be a number ≥ 0"})
            return
        self.simulator.set_down(seconds, agency)
        self._send_json(HTTPStatus.OK, {"down": True, "seconds": seconds})


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m daftar.simulators.agencies",
        description="Simulate outside agencies that receive Daftar's inquiry webhooks and answer them.",
    )
    parser.add_argument("--config", required=True, help="JSON file: daftar_url and the agencies")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = SimulatorConfig.from_file(args.config)
    except (OSError, ValueError) as exc:
        parser.error(f"{args.config}: {exc}")

    simulator = AgencySimulator(config, host=args.host, port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    simulator.start()
    print(f"listening on {simulator.base_url}", flush=True)
    for code in config.agencies:
        print(f"  {code}: {simulator.webhook_url(code)}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
