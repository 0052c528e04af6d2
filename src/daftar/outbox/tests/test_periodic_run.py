"""The embedded default's scheduler: `manage.py periodic_run` runs the beat schedule in-process."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from daftar.outbox.models import OutboxMessage, OutboxState
from daftar.outbox.services import outbox_enqueue

from .conftest import SENT


def test_the_beat_schedule_runs_every_periodic_job_on_its_interval(
    settings: Any,
) -> None:
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule == {
        "outbox.deliver_due": 30.0,
        "cases.sweep_overdue": 300.0,
        "inquiries.sweep_overdue": 900.0,
        "cases.remind_waiting_applicants": 86400.0,
        "billing.reconcile_payments": 300.0,
        "appointments.mark_no_shows": 900.0,
        "appointments.remind": 86400.0,
        "licensing.sanctions_due": 3600.0,
        "licensing.licences_daily": 86400.0,
        "open311.file_pending": 300.0,
    }


@pytest.mark.django_db
def test_periodic_run_once_delivers_due_outbox_messages_and_runs_every_job() -> None:
    message = outbox_enqueue(kind="test.record", payload={"n": 1}, idempotency_key="due-by-beat")
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=5))

    call_command("periodic_run", "--once", stdout=StringIO())

    message.refresh_from_db()
    assert message.state == OutboxState.DELIVERED
    assert SENT == [("due-by-beat", {"n": 1})]


@pytest.mark.django_db
def test_periodic_run_refuses_a_schedule_that_names_an_unknown_task(settings: Any) -> None:
    settings.CELERY_BEAT_SCHEDULE = {"typo": {"task": "outbox.deliver_dew", "schedule": 30.0}}
    with pytest.raises(CommandError, match=r"outbox\.deliver_dew"):
        call_command("periodic_run", "--once", stdout=StringIO())
