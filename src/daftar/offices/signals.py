"""Facts about offices announced to the layers above (appointments cancels bookings on them).

Both are sent after the change commits (``transaction.on_commit``), so a receiver sees it stored.
"""

from __future__ import annotations

from django.dispatch import Signal

# A day stops being worked: a city closure, or special hours that close the whole day.
# kwargs: city (City), office (Office | None: None means every office of the city), day (date),
# reason (str).
day_closed = Signal()

# A day's opening hours changed but it stays open (special hours that shorten or move it).
# kwargs: city (City), office (Office | None: None means every office of the city), day (date),
# reason (str).
day_hours_changed = Signal()

# An office's licence status changed (it may no longer be able to serve: see Office.can_serve).
# kwargs: office (Office), reason (str).
office_status_changed = Signal()
