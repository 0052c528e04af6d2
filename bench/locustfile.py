"""Load scenarios, one User class each, run one at a time by bench/run.py:

    locust -f bench/locustfile.py --headless -u 16 -r 16 -t 20s --host http://127.0.0.1:8765 FileCase

Reads the fixture written by ``python -m bench.prepare fixture`` (BENCH_FIXTURE) and, for the payment
callback, the authorities written by ``python -m bench.prepare payments`` (BENCH_PAYMENTS).
Every user sends its next request as soon as the previous one is answered (closed loop, no think time).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

FIXTURE: dict[str, Any] = (
    json.loads(Path(os.environ["BENCH_FIXTURE"]).read_text()) if os.environ.get("BENCH_FIXTURE") else {}
)
PAYMENTS: list[str] = (
    json.loads(Path(os.environ["BENCH_PAYMENTS"]).read_text()) if os.environ.get("BENCH_PAYMENTS") else []
)
_payments = iter(PAYMENTS)

FIRST = ["سارا", "علی", "مریم", "محمد", "زهرا", "حسین", "فاطمه", "رضا"]
LAST = ["احمدی", "رضایی", "کریمی", "موسوی", "حسینی", "جعفری", "صادقی", "نوری"]


def national_code() -> str:
    while True:
        body = [random.randrange(10) for _ in range(9)]  # noqa: S311 - test data
        if len(set(body)) > 1:
            break
    total = sum(d * (10 - i) for i, d in enumerate(body)) % 11
    return "".join(map(str, body)) + str(total if total < 2 else 11 - total)


class Bench(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    connection_timeout = 30.0
    network_timeout = 30.0

    def bearer(self, key: str = "token") -> dict[str, str]:
        return {"Authorization": f"Bearer {FIXTURE[key]}"}


class BaselineInsert(Bench):
    """Bare Django: insert one row."""

    @task
    def insert(self) -> None:
        self.client.post("/bench/insert", data=b"x", name="baseline insert")


class BaselineRead(Bench):
    """Bare Django: read one row by primary key."""

    @task
    def read(self) -> None:
        pk = random.choice(FIXTURE["rows"])  # noqa: S311
        self.client.get(f"/bench/read/{pk}", name="baseline read")


class FileCase(Bench):
    """An office operator files a no-violation certificate case through the API (new applicant)."""

    @task
    def file(self) -> None:
        body = {
            "service": FIXTURE["service"],
            "channel": "office",
            "office": FIXTURE["office"],
            "applicant": {
                "national_code": national_code(),
                "first_name": random.choice(FIRST),  # noqa: S311
                "last_name": random.choice(LAST),  # noqa: S311
            },
            "data": {
                "renewal_code": f"{random.randint(1, 22)}-{random.randint(1, 999)}-1-1-1-1",  # noqa: S311
                "permit_number": f"1401/{random.randint(1000, 9999)}",  # noqa: S311
                "construction_stage": "frame",
                "purpose": "bank_loan",
            },
        }
        if FIXTURE.get("location"):
            body["location"] = FIXTURE["location"]
        headers = {**self.bearer(), "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/cases", json=body, headers=headers, name="file case (API)", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")


class TrackApi(Bench):
    """A citizen's app looks a case up: tracking code + national code (POST /api/v1/track; the
    per-address limit opened)."""

    @task
    def track(self) -> None:
        code, nc = random.choice(FIXTURE["tracking"])  # noqa: S311
        body = {"tracking_code": code, "national_code": nc}
        with self.client.post(
            "/api/v1/track", json=body, name="public tracking (API)", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")


class TrackPublic(Bench):
    """A citizen's public tracking lookup: tracking code + national code on /track/ (the web form;
    the captcha is in test mode, the per-address limit opened)."""

    def on_start(self) -> None:
        self.client.get("/track/", name="track form")
        self.csrf = self.client.cookiejar._cookies["127.0.0.1"]["/"]["csrftoken"].value

    @task
    def track(self) -> None:
        code, nc = random.choice(FIXTURE["tracking"])  # noqa: S311
        form = {
            "csrfmiddlewaretoken": self.csrf,
            "tracking_code": code,
            "national_code": nc,
            "captcha_0": "bench",
            "captcha_1": "PASSED",
        }
        with self.client.post("/track/", data=form, name="public tracking", catch_response=True) as r:
            if r.status_code != 200 or code[:5] not in (r.text or ""):
                r.failure(f"{r.status_code}: case not shown")


class CaseRead(Bench):
    """A municipal reviewer reads one case through the API (GET /api/v1/cases/{code})."""

    @task
    def read(self) -> None:
        code, _nc = random.choice(FIXTURE["tracking"])  # noqa: S311
        self.client.get(f"/api/v1/cases/{code}", headers=self.bearer("staff_token"), name="case read (API)")


class Inbox(Bench):
    """A municipal reviewer's inbox, first page (API)."""

    @task
    def inbox(self) -> None:
        self.client.get("/api/v1/inbox?page=1&page_size=50", headers=self.bearer("staff_token"), name="inbox")


class InboxSearch(Bench):
    """A municipal reviewer searches cases by applicant name or national code (API)."""

    @task
    def search(self) -> None:
        if random.random() < 0.5:  # noqa: S311
            query = random.choice(FIXTURE["search"])  # noqa: S311
        else:
            query = random.choice(FIXTURE["tracking"])[1]  # noqa: S311
        self.client.get(
            "/api/v1/cases", params={"q": query}, headers=self.bearer("staff_token"), name="inbox search"
        )


class PaymentCallback(Bench):
    """The payer's browser back from the sandbox bank: verify, settle, book (each payment once)."""

    @task
    def callback(self) -> None:
        authority = next(_payments, None)
        if authority is None:
            raise StopUser()
        with self.client.get(
            f"/pay/callback/sandbox/?authority={authority}&status=OK",
            name="payment callback",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/pay/result/" not in response.headers.get("Location", ""):
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")


class Open311Requests(Bench):
    """Open311 GeoReport v2 GET requests.json (the newest service requests)."""

    @task
    def requests(self) -> None:
        self.client.get("/open311/v2/requests.json", name="open311 requests.json")
