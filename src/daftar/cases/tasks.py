"""Background entry points for cases; they only call services."""

from __future__ import annotations

from celery import shared_task

from .services import cases_remind_waiting_applicants, cases_sweep_overdue


@shared_task(name="cases.sweep_overdue")
def sweep_overdue() -> int:
    """Mark cases past their deadline overdue and escalate them (beat, every 5 minutes)."""
    return cases_sweep_overdue()


@shared_task(name="cases.remind_waiting_applicants")
def remind_waiting_applicants() -> int:
    """Remind applicants whose case waits for their correction (beat, daily)."""
    return cases_remind_waiting_applicants()
