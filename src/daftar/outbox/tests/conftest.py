"""A real HTTP receiver on 127.0.0.1 for webhook tests, and handlers that record what they are given."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from daftar.outbox.models import OutboxMessage
from daftar.outbox.registry import DeliveryFailed, handlers


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the test server saw, and what it answers next (``status``)."""

    server: ThreadingHTTPServer
    status: int = 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/daftar"

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            owner = state["receiver"]
            with owner.lock:
                owner.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(owner.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if owner.status < 300 else b"receiver is having a bad day")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    owner = Receiver(server=server)
    state["receiver"] = owner
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield owner
    if thread.is_alive():
        owner.stop()


# --- handlers the tests register, the way any app registers its own --------------------------------

SENT: list[tuple[str, dict[str, Any]]] = []  # (idempotency key, payload) of every call
FAILURES: dict[str, int] = {}  # idempotency key -> how many more calls fail


@handlers.register("test.record")
def _record(payload: dict[str, Any], message: OutboxMessage) -> None:
    SENT.append((message.idempotency_key, payload))
    remaining = FAILURES.get(message.idempotency_key, 0)
    if remaining:
        FAILURES[message.idempotency_key] = remaining - 1
        raise DeliveryFailed(f"the far side is down ({remaining} more)")


@handlers.register("test.explode")
def _explode(payload: dict[str, Any], message: OutboxMessage) -> None:
    raise RuntimeError("a bug in a handler")


@handlers.register("test.refuse")
def _refuse(payload: dict[str, Any], message: OutboxMessage) -> None:
    raise DeliveryFailed("the address does not exist", retry=False)


@pytest.fixture(autouse=True)
def _fresh_records() -> Iterator[None]:
    SENT.clear()
    FAILURES.clear()
    yield
    SENT.clear()
    FAILURES.clear()
