"""Facts the queue announces upward, after the write commits.

``ticket_changed`` is sent with ``ticket`` (a Ticket) and ``event``: "issued", "called", "recalled",
"started", "finished" or "no_show". A booking's ticket carries the booking code in
``ticket.reference``, so the appointments app can record attendance and no-shows without the
queue knowing anything about bookings.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from .models import Ticket

ticket_changed = Signal()


def announce(ticket: Ticket, event: str) -> None:
    """Send ``ticket_changed`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: ticket_changed.send(sender=Ticket, ticket=ticket, event=event))
