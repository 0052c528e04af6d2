"""A real Celery worker, on the local Redis, delivers what a committed transaction enqueued.

The worker is a separate process (``celery -A daftar worker``) that uses the test's own database
(a SQLite file, or PostgreSQL's test database), so the test runs with real commits
(``transaction=True``). The queue name is unique to the run; Redis database 15 is flushed first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from django.db import connection, transaction

from daftar.celery import app as celery_app
from daftar.outbox.models import OutboxMessage, OutboxState
from daftar.outbox.services import outbox_enqueue
from daftar.outbox.signing import webhook_verify

from .conftest import Receiver

BROKER_URL = "redis://127.0.0.1:6379/15"
SECRET = "worker-test-secret"


def _database_url() -> str:
    """The URL of the database this test process is using right now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "postgres")
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{quote(db['NAME'])}"
    raise AssertionError(f"no worker URL for {db['ENGINE']}")


def _broker_connections_reset() -> None:
    """Drop the app's cached broker connections so the next publish uses the current broker_url.

    Celery builds its connection and producer pools on first use (even eager calls make them, for
    the in-memory broker) and keeps them; this is how Celery and kombu reset them after a fork.
    """
    kombu.pools.reset()
    celery_app._pool = None
    if "amqp" in celery_app.__dict__:
        celery_app.amqp._producer_pool = None


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    queue: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[Worker]:
    broker = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        broker.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not answering on 127.0.0.1:6379 ({exc}); start it with `make redis`")
    broker.flushdb()

    queue = f"daftar-test-{uuid.uuid4().hex[:12]}"
    log = Path(tempfile.mkstemp(prefix="daftar-celery-worker-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "daftar.settings.test",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DATABASE_URL": _database_url(),
        "DAFTAR_WEBHOOK_SECRET_WORKERTEST": SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "daftar",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process=process, log=log, queue=queue)
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    try:
        _wait_for(lambda: f"{queue}@" in worker.output() and " ready." in worker.output(), worker=worker)
        # This process now queues for real: eager off, the same broker and queue as the worker.
        celery_app.conf.update(task_always_eager=False, broker_url=BROKER_URL, task_default_queue=queue)
        _broker_connections_reset()
        yield worker
    finally:
        celery_app.conf.update(saved)
        _broker_connections_reset()
        process.terminate()  # a warm shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        broker.close()
        log.unlink(missing_ok=True)


def _wait_for(condition: Any, *, worker: Worker, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(f"the Celery worker exited ({worker.process.returncode}):\n{worker.output()}")
        time.sleep(0.1)
    pytest.fail(f"not done within {seconds} s; worker log:\n{worker.output()}")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_committed_webhook_exactly_once(
    celery_worker: Worker, receiver: Receiver
) -> None:
    with transaction.atomic():
        message = outbox_enqueue(
            kind="webhook.post",
            payload={
                "url": receiver.url,
                "body": {"event": "inquiry.created", "inquiry": {"id": 42}},
                "secret_ref": "env:workertest",
            },
            idempotency_key="worker-inquiry-42",
            subject="inquiry 42 → water",
        )
        # Not sent before commit, whoever would send it.
        assert receiver.received() == []

    def delivered() -> bool:
        return OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DELIVERED

    _wait_for(delivered, worker=celery_worker)
    time.sleep(1.0)  # a second delivery, if there were one, would have arrived by now

    [hit] = receiver.received()
    assert hit.headers["X-Daftar-Delivery"] == "worker-inquiry-42"
    assert webhook_verify(
        SECRET,
        hit.headers["X-Daftar-Timestamp"],
        hit.headers["X-Daftar-Signature"],
        hit.body,
        now=time.time(),
    )
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.DELIVERED, 1)
    # It was the worker that delivered it, not this process.
    assert re.search(r"Task outbox\.deliver\[[0-9a-f-]+\] succeeded in .*'delivered'", celery_worker.output())
