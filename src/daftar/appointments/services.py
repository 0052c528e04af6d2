"""Every write about appointments: book, cancel, move, close a day, check in, no-shows, reminders.

Each function is keyword-only and runs in one transaction. A place in a slot is taken by ONE
conditional UPDATE on the slot's counter row (``booked < capacity``), so parallel requests for the
last place cannot both succeed; the counter row itself is created race-safely (insert, and on a
unique-constraint clash read the row the other request made). SMS go to the outbox in the same
transaction.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.catalog.models import ServiceCategory, ServiceType
from daftar.core.errors import Conflict, Forbidden, InvalidValue, NotFound
from daftar.core.jalali import format_jalali_date
from daftar.core.text import to_latin_digits
from daftar.offices.models import City, Office
from daftar.offices.selectors import office_schedule_on, offices_staff_of
from daftar.outbox.models import OutboxMessage
from daftar.queueing.selectors import group_of_category
from daftar.queueing.services import ticket_issue

from . import conf
from .models import (
    ACTIVE_STATUSES,
    CODE_ALPHABET,
    CODE_LENGTH,
    Booking,
    BookingChannel,
    BookingStatus,
    SlotUsage,
)
from .notifications import (
    notify_booking_cancelled,
    notify_booking_confirmed,
    notify_booking_moved,
    notify_booking_reminder,
    reminder_key,
)
from .selectors import (
    Slot,
    active_booking_of,
    local_day_of,
    normalize_booking_code,
    office_timezone,
    person_booking_blocked_until,
    slots_for,
    today_at,
)

if TYPE_CHECKING:
    from daftar.cases.models import Case

__all__ = [
    "booking_attach_case",
    "booking_cancel",
    "booking_check_in",
    "booking_create",
    "booking_reschedule",
    "bookings_cancel_for_closure",
    "bookings_cancel_for_office",
    "bookings_mark_no_shows",
    "bookings_remind",
    "person_booking_blocked_until",
]

STAFF_ROLES = frozenset({Role.OFFICE_OPERATOR.value, Role.OFFICE_MANAGER.value})
REASON_MAX_LENGTH = 300
CODE_ATTEMPTS = 8


# --- rules shared by the writes -------------------------------------------------------------------


def is_office_staff(*, actor: User, office: Office) -> bool:
    """Whether the user acts for this office as its operator or manager."""
    return offices_staff_of(user=actor).filter(office=office, role__in=STAFF_ROLES).exists()


def _check_booker(*, office: Office, person: Person, actor: User, channel: str) -> bool:
    """Who may book for whom through which channel; whether the booking is made by office staff.

    At the office (``office``) only its staff book, for anyone; online only for oneself; through the
    API either (a citizen for themself, or the office's staff for a citizen).
    """
    if channel not in BookingChannel.values:
        raise InvalidValue("booking.channel", _("Unknown booking channel."))
    staff = is_office_staff(actor=actor, office=office)
    own = actor.person_id is not None and actor.person_id == person.pk
    if channel == BookingChannel.OFFICE and not staff:
        raise Forbidden("booking.not_office_staff", _("Only this office's staff may do this."))
    if channel == BookingChannel.ONLINE and not own:
        raise Forbidden("booking.not_yours", _("Online, citizens book only for themselves."))
    if channel == BookingChannel.API and not (own or staff):
        raise Forbidden("booking.not_yours", _("Online, citizens book only for themselves."))
    return staff and channel != BookingChannel.ONLINE


def _check_changer(*, booking: Booking, actor: User) -> None:
    """The booking's person, or the staff of its office, may change it; anyone else gets Forbidden."""
    if actor.person_id is not None and actor.person_id == booking.person_id:
        return
    if is_office_staff(actor=actor, office=booking.office):
        return
    raise Forbidden("booking.not_allowed", _("You may not change this booking."))


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("booking.naive_time", _("Give the time with its time zone."))


def _check_change_window(*, booking: Booking, now: datetime) -> None:
    hours = conf.change_hours_before()
    if now > booking.starts_at - timedelta(hours=hours):
        raise Conflict(
            "booking.change_too_late",
            _("A booking can be cancelled or moved only until %(hours)d hours before its time."),
            {"hours": hours},
        )


def _check_active(booking: Booking) -> None:
    if booking.status != BookingStatus.BOOKED:
        raise Conflict("booking.not_active", _("This booking is no longer active."))


def _one_per_day() -> Conflict:
    return Conflict(
        "booking.one_per_day",
        _("There is already a booking for this service on this day; cancel or move it instead."),
    )


def _find_slot(*, office: Office, service_type: ServiceType, starts_at: datetime, now: datetime) -> Slot:
    """The slot starting exactly at ``starts_at`` among the bookable ones, or a Conflict."""
    _check_aware(starts_at)
    day = local_day_of(office=office, moment=starts_at)
    for slot in slots_for(office=office, service_type=service_type, day=day, now=now):
        if slot.starts_at == starts_at:
            return slot
    raise Conflict("booking.slot_unavailable", _("This time cannot be booked; choose one of the free times."))


def _lock(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("office", "office__city", "person", "category", "service_type")
        .get(pk=booking.pk)
    )


# --- the slot counter -----------------------------------------------------------------------------


def _usage_id(*, office: Office, category: ServiceCategory, starts_at: datetime, capacity: int) -> int:
    """The counter row of a slot, created if missing; a concurrent creation is read, not an error."""
    lookup = {"office": office, "category": category, "starts_at": starts_at}
    row = SlotUsage.objects.filter(**lookup).values_list("pk", "capacity").first()
    if row is None:
        try:
            with transaction.atomic():
                return SlotUsage.objects.create(**lookup, booked=0, capacity=capacity).pk
        except IntegrityError:
            # Another request created it between our read and our insert (READ COMMITTED sees it now).
            row = SlotUsage.objects.filter(**lookup).values_list("pk", "capacity").get()
    pk, stored = row
    if stored != capacity:
        # Counters serving the category changed since the row was made: follow them, never below booked.
        SlotUsage.objects.filter(pk=pk).update(capacity=Greatest(Value(capacity), F("booked")))
    return int(pk)


def _take_place(*, office: Office, category: ServiceCategory, slot: Slot) -> None:
    usage_id = _usage_id(office=office, category=category, starts_at=slot.starts_at, capacity=slot.capacity)
    taken = SlotUsage.objects.filter(pk=usage_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if taken != 1:
        raise Conflict(
            "booking.slot_full", _("This time has just been fully booked; please choose another time.")
        )


def _free_places(bookings: Iterable[Booking]) -> None:
    """Give the places of these (just cancelled or moved) bookings back to their slots."""
    counts = Counter((b.office_id, b.category_id, b.starts_at) for b in bookings)
    for (office_id, category_id, starts_at), count in counts.items():
        SlotUsage.objects.filter(office_id=office_id, category_id=category_id, starts_at=starts_at).update(
            booked=Greatest(F("booked") - count, Value(0))
        )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- booking --------------------------------------------------------------------------------------


def booking_create(
    *,
    office: Office,
    service_type: ServiceType,
    person: Person,
    starts_at: datetime,
    actor: User,
    channel: str,
    now: datetime | None = None,
) -> Booking:
    """Book the slot starting at ``starts_at`` (one of ``slots_for``) for the person.

    Refused when the office cannot serve, the actor may not book for this person through this
    channel, the person is blocked after no-shows (online; the office's staff may still book for
    them), already holds a booking for the service that day, or the slot is full
    (``booking.slot_full``). Sends the confirmation SMS through the outbox.
    """
    moment = now or timezone.now()
    if not office.can_serve:
        raise Conflict("booking.office_inactive", _("This office cannot take appointments now."))
    by_staff = _check_booker(office=office, person=person, actor=actor, channel=channel)
    if not by_staff:
        until = person_booking_blocked_until(person=person, today=today_at(office=office, now=moment))
        if until is not None:
            raise Conflict(
                "booking.blocked",
                _(
                    "After repeated missed appointments you can book online again from %(date)s; "
                    "the office can still book for you."
                ),
                {"date": format_jalali_date(until)},
            )
    slot = _find_slot(office=office, service_type=service_type, starts_at=starts_at, now=moment)
    day = local_day_of(office=office, moment=slot.starts_at)
    category = service_type.category
    with transaction.atomic():
        if active_booking_of(person=person, service_type=service_type, day=day) is not None:
            raise _one_per_day()
        _take_place(office=office, category=category, slot=slot)
        booking = _insert(
            office=office,
            service_type=service_type,
            category=category,
            person=person,
            slot=slot,
            day=day,
            channel=channel,
            actor=actor,
            now=moment,
        )
        notify_booking_confirmed(booking=booking)
    return booking


def _insert(
    *,
    office: Office,
    service_type: ServiceType,
    category: ServiceCategory,
    person: Person,
    slot: Slot,
    day: date,
    channel: str,
    actor: User,
    now: datetime,
) -> Booking:
    """Create the row with a fresh random code; the one-active-per-day index may refuse it."""
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Booking.objects.create(
                    code=_new_code(),
                    office=office,
                    service_type=service_type,
                    category=category,
                    person=person,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    day=day,
                    status=BookingStatus.BOOKED,
                    channel=channel,
                    created_by=actor,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            if active_booking_of(person=person, service_type=service_type, day=day) is not None:
                raise _one_per_day() from None
            # Otherwise the random code was taken: draw another.
    raise RuntimeError("could not draw a free booking code")


def booking_cancel(
    *, booking: Booking, actor: User, reason: str = "", now: datetime | None = None
) -> Booking:
    """Cancel a booking (its person, or the office's staff) until the change deadline; frees its place."""
    moment = now or timezone.now()
    with transaction.atomic():
        locked = _lock(booking)
        _check_changer(booking=locked, actor=actor)
        _check_active(locked)
        _check_change_window(booking=locked, now=moment)
        locked.status = BookingStatus.CANCELLED
        locked.cancelled_reason = reason.strip()[:REASON_MAX_LENGTH]
        locked.updated_at = moment
        locked.save(update_fields=["status", "cancelled_reason", "updated_at"])
        _free_places([locked])
        notify_booking_cancelled(booking=locked, reason=locked.cancelled_reason)
    return locked


def booking_reschedule(
    *, booking: Booking, starts_at: datetime, actor: User, now: datetime | None = None
) -> Booking:
    """Move a booking to another free slot of the same office and service, same rules as cancelling.

    The new place is taken before the old one is freed, in one transaction: if the new slot is
    full, the booking keeps its old place.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        locked = _lock(booking)
        _check_changer(booking=locked, actor=actor)
        _check_active(locked)
        _check_change_window(booking=locked, now=moment)
        if starts_at == locked.starts_at:
            return locked
        slot = _find_slot(
            office=locked.office, service_type=locked.service_type, starts_at=starts_at, now=moment
        )
        day = local_day_of(office=locked.office, moment=slot.starts_at)
        if day != locked.day:
            other = active_booking_of(person=locked.person, service_type=locked.service_type, day=day)
            if other is not None:
                raise _one_per_day()
        _take_place(office=locked.office, category=locked.category, slot=slot)
        _free_places([locked])
        locked.starts_at, locked.ends_at, locked.day = slot.starts_at, slot.ends_at, day
        locked.updated_at = moment
        try:
            with transaction.atomic():
                locked.save(update_fields=["starts_at", "ends_at", "day", "updated_at"])
        except IntegrityError:
            raise _one_per_day() from None
        notify_booking_moved(booking=locked, at=moment)
    return locked


# --- closures and suspension ----------------------------------------------------------------------


def _cancel_all(bookings: list[Booking], *, reason: str, now: datetime) -> int:
    if not bookings:
        return 0
    clean = reason.strip()[:REASON_MAX_LENGTH]
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        status=BookingStatus.CANCELLED, cancelled_reason=clean, updated_at=now
    )
    _free_places(bookings)
    for booking in bookings:
        booking.status, booking.cancelled_reason, booking.updated_at = BookingStatus.CANCELLED, clean, now
        notify_booking_cancelled(booking=booking, reason=clean)
    return len(bookings)


def bookings_cancel_for_closure(
    *, office: Office | None, city: City, day: date, reason: str, now: datetime | None = None
) -> int:
    """Cancel every active booking on a closed day, of one office or (office None) of the whole city.

    Each person is told by SMS why. Returns how many bookings were cancelled; running it again
    cancels nothing more.
    """
    with transaction.atomic():
        bookings = Booking.objects.select_for_update(of=("self",)).filter(
            office__city=city, day=day, status__in=ACTIVE_STATUSES
        )
        if office is not None:
            bookings = bookings.filter(office=office)
        found = list(bookings.select_related("office", "office__city", "person").order_by("pk"))
        return _cancel_all(found, reason=reason, now=now or timezone.now())


def bookings_cancel_outside_hours(
    *, office: Office, day: date, reason: str, now: datetime | None = None
) -> int:
    """Cancel the office's active bookings on ``day`` that no longer fit in its hours (special hours
    that shorten the day); each person is told by SMS why. A day closed outright cancels them all."""
    tz = office_timezone(office)
    spans = office_schedule_on(office=office, day=day).spans
    with transaction.atomic():
        active = (
            Booking.objects.select_for_update(of=("self",))
            .filter(office=office, day=day, status__in=ACTIVE_STATUSES)
            .select_related("office", "office__city", "person")
            .order_by("pk")
        )
        outside = [
            booking
            for booking in active
            if not any(
                span.opens <= booking.starts_at.astimezone(tz).time()
                and booking.ends_at.astimezone(tz).time() <= span.closes
                for span in spans
            )
        ]
        return _cancel_all(outside, reason=reason, now=now or timezone.now())


def bookings_cancel_for_office(*, office: Office, reason: str, now: datetime | None = None) -> int:
    """Cancel every booking of an office that can no longer serve, from now on; each person gets an SMS."""
    moment = now or timezone.now()
    with transaction.atomic():
        found = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(office=office, status=BookingStatus.BOOKED, ends_at__gt=moment)
            .select_related("office", "office__city", "person")
            .order_by("pk")
        )
        return _cancel_all(found, reason=reason, now=moment)


# --- at the office --------------------------------------------------------------------------------


def booking_check_in(*, code: str, office: Office, actor: User, now: datetime | None = None) -> Booking:
    """The citizen has arrived: staff of the office check the booking in and a queue ticket is issued.

    Allowed on the booking's day from ``APPOINTMENT_CHECK_IN_EARLY_MINUTES`` before its start until
    ``APPOINTMENT_GRACE_MINUTES`` after its end. The ticket (kind ``booking``, reference the code,
    due at the slot start) is found through the queueing selectors by the booking code.
    """
    if not is_office_staff(actor=actor, office=office):
        raise Forbidden("booking.not_office_staff", _("Only this office's staff may do this."))
    return _check_in(code=code, office=office, now=now or timezone.now())


def booking_self_check_in(
    *, code: str, office: Office, national_code: str, now: datetime | None = None
) -> Booking:
    """The citizen checks in at the office's kiosk with the booking code and their national code
    (a code alone is not enough: someone else's booking could be checked in). Same window as at the
    desk; a wrong national code looks exactly like an unknown code."""
    return _check_in(code=code, office=office, now=now or timezone.now(), national_code=national_code)


def _check_in(*, code: str, office: Office, now: datetime, national_code: str | None = None) -> Booking:
    moment = now
    with transaction.atomic():
        found = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("office", "office__city", "person", "category", "service_type")
            .filter(code=normalize_booking_code(code), office=office)
            .first()
        )
        if found is None or (
            national_code is not None and to_latin_digits(national_code).strip() != found.person.national_code
        ):
            raise NotFound("booking.not_found", _("No booking with this code was found at this office."))
        if found.status == BookingStatus.CHECKED_IN:
            raise Conflict("booking.already_checked_in", _("This booking has already been checked in."))
        _check_active(found)
        early = conf.check_in_early_minutes()
        if (
            moment < found.starts_at - timedelta(minutes=early)
            or local_day_of(office=office, moment=moment) < found.day
        ):
            raise Conflict(
                "booking.check_in_too_early",
                _("Check-in opens %(minutes)d minutes before the booked time."),
                {"minutes": early},
            )
        if moment > found.ends_at + timedelta(minutes=conf.grace_minutes()):
            raise Conflict(
                "booking.check_in_too_late",
                _("The time of this booking has passed; it can no longer be checked in."),
            )
        found.status = BookingStatus.CHECKED_IN
        found.checked_in_at = moment
        found.updated_at = moment
        found.save(update_fields=["status", "checked_in_at", "updated_at"])
        ticket_issue(
            office=office,
            group=group_of_category(found.category.code).code,
            kind="booking",
            reference=found.code,
            due_at=found.starts_at,
        )
    return found


def booking_attach_case(*, booking: Booking, case: Case) -> Booking:
    """The case filed at the desk for a checked-in booking: link it; the booking is served.

    The case must be the booking person's, filed at the booking's office. Linking the same case
    again changes nothing.
    """
    with transaction.atomic():
        locked = _lock(booking)
        if locked.case_id == case.pk:
            return locked
        if locked.status != BookingStatus.CHECKED_IN:
            raise Conflict("booking.not_checked_in", _("Check the booking in before linking its case."))
        if case.applicant_id != locked.person_id or case.office_id != locked.office_id:
            raise InvalidValue(
                "booking.case_mismatch",
                _("This case is not the booking's: it must be the same person's, filed at the same office."),
            )
        locked.case = case
        locked.status = BookingStatus.SERVED
        locked.updated_at = timezone.now()
        locked.save(update_fields=["case", "status", "updated_at"])
    return locked


# --- background jobs ------------------------------------------------------------------------------


def bookings_mark_no_shows(*, now: datetime | None = None) -> int:
    """Bookings never checked in whose end plus the grace period has passed become no-shows."""
    moment = now or timezone.now()
    cutoff = moment - timedelta(minutes=conf.grace_minutes())
    with transaction.atomic():
        return Booking.objects.filter(status=BookingStatus.BOOKED, ends_at__lt=cutoff).update(
            status=BookingStatus.NO_SHOW, updated_at=moment
        )


def bookings_remind(*, day: date) -> int:
    """SMS a reminder to everyone booked on ``day``; how many reminders were new (repeats send none)."""
    with transaction.atomic():
        bookings = list(
            Booking.objects.filter(day=day, status=BookingStatus.BOOKED)
            .select_related("office", "office__city", "person")
            .order_by("starts_at", "pk")
        )
        keys = {reminder_key(b) for b in bookings}
        sent = set(
            OutboxMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
        )
        count = 0
        for booking in bookings:
            if reminder_key(booking) not in sent and notify_booking_reminder(booking=booking):
                count += 1
        return count
