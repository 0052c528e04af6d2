"""A fake of Daftar's agency API, and helpers to drive the agency simulator over real HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from daftar.outbox.signing import webhook_sign
from daftar.simulators.agencies import AgencySimulator

WATER_SECRET = "whsec-water-test"
WATER_KEY = "agk_water1_s3cret"
REGISTRY_SECRET = "whsec-registry-test"
REGISTRY_KEY = "agk_reg1_s3cret"

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["debt_rials", "branch_status", "checked_on"],
    "properties": {
        "debt_rials": {"type": "integer", "minimum": 0, "title": "بدهی (ریال)"},
        "branch_status": {"type": "string", "enum": ["active", "cut", "none"]},
        "checked_on": {"type": "string", "format": "jalali_date"},
        "meter_number": {"type": "string", "maxLength": 20},
        "has_sewage": {"type": "boolean"},
        "area_m2": {"type": "number", "minimum": 12.5},
        "floors": {"type": "integer", "minimum": 1, "maximum": 60},
    },
    "additionalProperties": False,
}

_ANSWER_PATH = re.compile(r"/api/v1/agency/inquiries/(?P<id>\d+)/answer")
_DETAIL_PATH = re.compile(r"/api/v1/agency/inquiries/(?P<id>\d+)")


@dataclass
class FakeDaftar:
    """Records answer POSTs; each API key sees only its own agency (else 404, as the real API does)."""

    keys: dict[str, str]  # API key → agency code
    answers: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)  # inquiry id of every answer POST, accepted or not
    script: list[int] = field(default_factory=list)  # statuses to answer with first, in order
    inquiries: dict[int, dict[str, Any]] = field(default_factory=dict)  # for GET detail
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def agency_for(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        return self.keys.get(authorization.removeprefix("Bearer "))

    def answers_for(self, inquiry_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [a for a in self.answers if a["inquiry"] == inquiry_id]


def fake_handler(fake: FakeDaftar) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            match = _DETAIL_PATH.fullmatch(self.path)
            agency = fake.agency_for(self.headers.get("Authorization"))
            if agency is None:
                self._send(401, {"error": {"code": "unauthorized", "message": "bad key", "fields": {}}})
                return
            inquiry = fake.inquiries.get(int(match.group("id"))) if match else None
            if inquiry is None or inquiry["agency"] != agency:
                self._send(404, {"error": {"code": "not_found", "message": "no such inquiry", "fields": {}}})
                return
            self._send(200, inquiry)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _ANSWER_PATH.fullmatch(self.path)
            if match is None:
                self._send(404, {"error": {"code": "not_found", "message": "", "fields": {}}})
                return
            inquiry_id = int(match.group("id"))
            agency = fake.agency_for(self.headers.get("Authorization"))
            with fake.lock:
                fake.attempts.append(inquiry_id)
                if fake.script:
                    self._send(
                        fake.script.pop(0), {"error": {"code": "scripted", "message": "", "fields": {}}}
                    )
                    return
                if agency is None:
                    self._send(401, {"error": {"code": "unauthorized", "message": "bad key", "fields": {}}})
                    return
                if any(a["inquiry"] == inquiry_id for a in fake.answers):
                    self._send(409, {"error": {"code": "already_answered", "message": "", "fields": {}}})
                    return
                fake.answers.append(
                    {
                        "inquiry": inquiry_id,
                        "agency": agency,
                        "content_type": self.headers.get("Content-Type"),
                        "payload": json.loads(body),
                    }
                )
            self._send(200, {"id": inquiry_id, "status": "answered"})

    return Handler


def inquiry(inquiry_id: int, *, agency: str = "water", type: str = "connection_status", **extra: Any) -> dict:
    return {
        "id": inquiry_id,
        "agency": agency,
        "type": type,
        "case": "ABCDE-FGHJK",
        "due_date": "2026-12-01",
        "request": {"renewal_code": "3-123-45-6"},
        "documents": [],
        "answer_schema": ANSWER_SCHEMA,
        **extra,
    }


def send_webhook(
    simulator: AgencySimulator,
    agency: str,
    payload: dict[str, Any],
    *,
    secret: str,
    delivery: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
) -> requests.Response:
    """POST a webhook as Daftar's outbox does: signed over "<timestamp>.<raw body>"."""
    body = json.dumps({"event": "inquiry.created", "inquiry": payload}, ensure_ascii=False).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "X-Daftar-Event": "inquiry.created",
        "X-Daftar-Delivery": delivery or str(uuid.uuid4()),
        "X-Daftar-Timestamp": str(stamp),
        "X-Daftar-Signature": signature or webhook_sign(secret, stamp, body),
    }
    return requests.post(simulator.webhook_url(agency), data=body, headers=headers, timeout=5)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
