"""SMS to the person about their booking, written to the outbox in the transaction that causes it.

Each message has an idempotency key, so a retried change or a second run of the reminder job
sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from daftar.core.jalali import format_jalali_date
from daftar.core.text import to_persian_digits
from daftar.offices.selectors import city_timezone
from daftar.outbox.services import outbox_enqueue

from .models import Booking


def confirmed_key(booking: Booking) -> str:
    return f"booking-{booking.code}-booked"


def cancelled_key(booking: Booking) -> str:
    # A cancelled booking is never active again: one cancellation message per booking.
    return f"booking-{booking.code}-cancelled"


def moved_key(booking: Booking, *, at: datetime) -> str:
    return f"booking-{booking.code}-moved-{booking.starts_at:%Y%m%d%H%M}-{int(at.timestamp() * 1000)}"


def reminder_key(booking: Booking) -> str:
    # Per slot: a booking moved to another time after its reminder is reminded again.
    return f"booking-{booking.code}-remind-{booking.starts_at:%Y%m%d%H%M}"


def when_text(booking: Booking) -> str:
    """«۱۵ آذر ۱۴۰۵ ساعت ۰۹:۳۰» in the office's city time."""
    local = booking.starts_at.astimezone(city_timezone(city=booking.office.city))
    day = format_jalali_date(local.date(), style="long")
    return f"{day} ساعت {to_persian_digits(f'{local:%H:%M}')}"


def _enqueue(booking: Booking, body: str, purpose: str, key: str) -> bool:
    mobile = booking.person.mobile
    if not mobile:
        return False
    outbox_enqueue(
        kind="sms.send",
        payload={"to": mobile, "body": body, "purpose": purpose},
        idempotency_key=key,
        subject=f"{purpose} {booking.code}",
    )
    return True


def notify_booking_confirmed(*, booking: Booking) -> None:
    body = (
        f"نوبت شما در «{booking.office.name}» برای {when_text(booking)} ثبت شد. "
        f"کد نوبت: {booking.code} — این کد را هنگام مراجعه همراه داشته باشید."
    )
    _enqueue(booking, body, "booking_confirmed", confirmed_key(booking))


def notify_booking_moved(*, booking: Booking, at: datetime) -> None:
    body = f"نوبت {booking.code} در «{booking.office.name}» به {when_text(booking)} تغییر کرد."
    _enqueue(booking, body, "booking_moved", moved_key(booking, at=at))


def notify_booking_cancelled(*, booking: Booking, reason: str = "") -> None:
    because = f" به دلیل «{reason}»" if reason else ""
    body = (
        f"نوبت {booking.code} در «{booking.office.name}» برای {when_text(booking)}{because} لغو شد. "
        "برای گرفتن نوبت دیگر به سامانه دفتر مراجعه کنید."
    )
    _enqueue(booking, body, "booking_cancelled", cancelled_key(booking))


def notify_booking_reminder(*, booking: Booking) -> bool:
    body = (
        f"یادآوری: نوبت شما در «{booking.office.name}»، {when_text(booking)}. "
        f"کد نوبت: {booking.code}. نشانی: {booking.office.address}"
    )
    return _enqueue(booking, body, "booking_reminder", reminder_key(booking))
