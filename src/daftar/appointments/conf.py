"""The appointment rules that a city may tune, read from Django settings with these defaults.

Each is a function, not a constant, so a changed setting (``override_settings`` in a test, a new
value after a restart) is seen at once.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # A slot starting sooner than this (minutes from now) can no longer be booked.
    "APPOINTMENT_MIN_LEAD_MINUTES": 30,
    # How many days ahead (today included) a slot may be booked.
    "APPOINTMENT_HORIZON_DAYS": 30,
    # Cancelling or moving a booking is possible until this many hours before its start.
    "APPOINTMENT_CHANGE_HOURS_BEFORE": 2,
    # Check-in opens this many minutes before the booked start ...
    "APPOINTMENT_CHECK_IN_EARLY_MINUTES": 60,
    # ... and closes this many minutes after the booked end; after that the booking is a no-show.
    "APPOINTMENT_GRACE_MINUTES": 15,
    # This many no-shows within the window block new online bookings for the block period.
    "APPOINTMENT_NO_SHOW_LIMIT": 3,
    "APPOINTMENT_NO_SHOW_WINDOW_DAYS": 90,
    "APPOINTMENT_NO_SHOW_BLOCK_DAYS": 30,
}


def setting(name: str) -> int:
    """The configured value of one appointment setting, or its default."""
    return int(getattr(settings, name, DEFAULTS[name]))


def min_lead_minutes() -> int:
    return setting("APPOINTMENT_MIN_LEAD_MINUTES")


def horizon_days() -> int:
    return setting("APPOINTMENT_HORIZON_DAYS")


def change_hours_before() -> int:
    return setting("APPOINTMENT_CHANGE_HOURS_BEFORE")


def check_in_early_minutes() -> int:
    return setting("APPOINTMENT_CHECK_IN_EARLY_MINUTES")


def grace_minutes() -> int:
    return setting("APPOINTMENT_GRACE_MINUTES")


def no_show_limit() -> int:
    return setting("APPOINTMENT_NO_SHOW_LIMIT")


def no_show_window_days() -> int:
    return setting("APPOINTMENT_NO_SHOW_WINDOW_DAYS")


def no_show_block_days() -> int:
    return setting("APPOINTMENT_NO_SHOW_BLOCK_DAYS")
