"""Background entry points for licensing; they only call services (beat runs them daily)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from daftar.core.jalali import local_today

from .lifecycle import activity_flag_day, licences_expire_due, licences_remind_renewal
from .supervision import sanctions_due_apply


@shared_task(name="licensing.sanctions_due")
def sanctions_due() -> int:
    """Start suspensions whose day has come and end those that ran out (hourly, so an office serves
    again on the morning its suspension ends)."""
    return sanctions_due_apply(today=local_today())


@shared_task(name="licensing.licences_daily")
def licences_daily() -> dict[str, int]:
    """Mark expired licences, send renewal reminders, and flag yesterday's out-of-hours activity."""
    today = local_today()
    return {
        "expired": licences_expire_due(today=today),
        "reminded": licences_remind_renewal(today=today),
        "flagged": activity_flag_day(day=today - timedelta(days=1)),
    }
