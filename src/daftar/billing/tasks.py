"""Background entry points for billing; they only call services."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from .payments import payments_reconcile


@shared_task(name="billing.reconcile_payments")
def reconcile_payments() -> dict[str, int]:
    """Verify online payments left pending with their gateways and settle them (beat, every 5 minutes)."""
    return asdict(payments_reconcile())
