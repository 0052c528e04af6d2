"""What appointments does when offices announce a fact: a closed day or a suspended office
cancels the bookings it affects (each person is told by SMS, see services)."""

from __future__ import annotations

from datetime import date
from typing import Any

from daftar.offices.models import City, Office
from daftar.offices.selectors import office_schedule_on

from .models import ACTIVE_STATUSES, Booking
from .services import bookings_cancel_for_closure, bookings_cancel_for_office, bookings_cancel_outside_hours

# Said in the SMS when no reason was given.
OFFICE_STOPPED_REASON = "توقف فعالیت دفتر"
DAY_CLOSED_REASON = "تعطیلی دفتر در این روز"
HOURS_CHANGED_REASON = "تغییر ساعت کار دفتر در این روز"


def on_day_closed(
    sender: Any, *, city: City, office: Office | None, day: date, reason: str, **kwargs: Any
) -> None:
    reason = reason or DAY_CLOSED_REASON
    if office is not None:
        bookings_cancel_for_closure(office=office, city=city, day=day, reason=reason)
        return
    # A city-wide closure: an office whose own special hours keep it open that day keeps its bookings.
    office_ids = set(
        Booking.objects.filter(office__city=city, day=day, status__in=ACTIVE_STATUSES).values_list(
            "office_id", flat=True
        )
    )
    offices = list(Office.objects.filter(pk__in=office_ids).select_related("city"))
    closed = [o for o in offices if not office_schedule_on(office=o, day=day).spans]
    if len(closed) == len(offices):
        bookings_cancel_for_closure(office=None, city=city, day=day, reason=reason)
        return
    for each in closed:
        bookings_cancel_for_closure(office=each, city=city, day=day, reason=reason)


def on_day_hours_changed(
    sender: Any, *, city: City, office: Office | None, day: date, reason: str, **kwargs: Any
) -> None:
    """Shortened hours: the bookings that no longer fit are cancelled (the rest stand)."""
    reason = reason or HOURS_CHANGED_REASON
    if office is not None:
        offices = [office]
    else:
        office_ids = Booking.objects.filter(
            office__city=city, day=day, status__in=ACTIVE_STATUSES
        ).values_list("office_id", flat=True)
        offices = list(Office.objects.filter(pk__in=set(office_ids)).select_related("city"))
    for each in offices:
        bookings_cancel_outside_hours(office=each, day=day, reason=reason)


def on_office_status_changed(sender: Any, *, office: Office, **kwargs: Any) -> None:
    if office.can_serve:
        return
    reason = str(kwargs.get("reason") or "") or OFFICE_STOPPED_REASON
    bookings_cancel_for_office(office=office, reason=reason)
