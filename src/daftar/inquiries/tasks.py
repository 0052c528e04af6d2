"""Background entry points for inquiries; they only call services."""

from __future__ import annotations

from celery import shared_task

from .services import inquiries_sweep_overdue


@shared_task(name="inquiries.sweep_overdue")
def sweep_overdue() -> int:
    """Mark inquiries past their deadline overdue and escalate their cases (beat, every 15 minutes)."""
    return inquiries_sweep_overdue()
