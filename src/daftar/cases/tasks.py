"""Background entry points for cases; they only call services."""

from __future__ import annotations

from celery import shared_task

from .services import cases_sweep_overdue


@shared_task(name="cases.sweep_overdue")
def sweep_overdue() -> int:
    """Mark cases past their deadline overdue and escalate them (beat, every 5 minutes)."""
    return cases_sweep_overdue()
