"""Background entry points for appointments; they only call services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from daftar.core.jalali import local_today

from .services import bookings_mark_no_shows, bookings_remind


@shared_task(name="appointments.mark_no_shows")
def mark_no_shows() -> int:
    """Bookings nobody checked in once their time (plus grace) has passed become no-shows (every 15 min)."""
    return bookings_mark_no_shows()


@shared_task(name="appointments.remind")
def remind() -> int:
    """Remind by SMS everyone booked for tomorrow (daily; a second run sends nothing twice)."""
    return bookings_remind(day=local_today() + timedelta(days=1))
