"""Reads about appointments: the slots of a day, the bookable days, and bookings.

Slots are computed, not stored: an office's hours on the day (``office_schedule_on``: weekly
shifts, special hours, holidays and closures) cut into steps of the service category's typical
minutes (its queue group's), with as many places as counters serve the category. Only the places
taken are stored (``SlotUsage``), one row per slot that has ever been booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from daftar.accounts.models import Person
from daftar.catalog.models import Channel, ServiceCategory, ServiceType
from daftar.catalog.selectors import service_current
from daftar.core.jalali import local_today
from daftar.core.text import to_latin_digits
from daftar.offices.calendar import DaySchedule
from daftar.offices.models import Office
from daftar.offices.selectors import city_timezone, office_schedule_on, office_schedules_between
from daftar.queueing.selectors import group_of_category

from . import conf
from .models import ACTIVE_STATUSES, CODE_LENGTH, Booking, BookingStatus, OfficeServiceDesk, SlotUsage


@dataclass(frozen=True)
class Slot:
    """One bookable time at an office for a service category; times are aware (city time zone)."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    free: int


def office_timezone(office: Office) -> ZoneInfo:
    return city_timezone(city=office.city)


def local_day_of(*, office: Office, moment: datetime) -> date:
    """The date of an aware moment in the office's city."""
    return moment.astimezone(office_timezone(office)).date()


def today_at(*, office: Office, now: datetime | None = None) -> date:
    return local_day_of(office=office, moment=now or timezone.now())


def slot_minutes(*, category: ServiceCategory) -> int:
    """The typical minutes of one service of the category (its queue group's), at least 1."""
    return max(1, int(group_of_category(category.code).minutes))


def category_capacity(*, office: Office, category: ServiceCategory) -> int:
    """How many counters serve the category at the office: its desk row, else all the office's."""
    desk = (
        OfficeServiceDesk.objects.filter(office=office, category=category)
        .values_list("counters", flat=True)
        .first()
    )
    return int(office.counters if desk is None else desk)


def service_bookable(*, service_type: ServiceType) -> bool:
    """Whether the service is in force and filed at office counters (what an appointment is for)."""
    version = service_current(code=service_type.code)
    return version is not None and Channel.OFFICE in version.channels


def _last_day(*, office: Office, now: datetime) -> date:
    """The last day a slot may be booked on: today plus the horizon (today counts as day one)."""
    return today_at(office=office, now=now) + timedelta(days=max(conf.horizon_days(), 1) - 1)


def _cut(
    *,
    schedule: DaySchedule,
    tz: ZoneInfo,
    minutes: int,
    capacity: int,
    usage: dict[datetime, int],
    earliest: datetime,
) -> list[Slot]:
    """The schedule's spans cut into slots of ``minutes``; a slot ends by its span's close."""
    step = timedelta(minutes=minutes)
    slots: list[Slot] = []
    for span in schedule.spans:
        start = datetime.combine(schedule.day, span.opens)
        close = datetime.combine(schedule.day, span.closes)
        while start + step <= close:
            starts_at = start.replace(tzinfo=tz)
            if starts_at >= earliest:
                booked = usage.get(starts_at, 0)
                slots.append(
                    Slot(
                        starts_at=starts_at,
                        ends_at=(start + step).replace(tzinfo=tz),
                        capacity=capacity,
                        booked=booked,
                        free=max(0, capacity - booked),
                    )
                )
            start += step
    return slots


def _usage(
    *, office: Office, category: ServiceCategory, start: date, end: date, tz: ZoneInfo
) -> dict[datetime, int]:
    """Places taken per slot start (aware, in ``tz``) for the days [start, end]: one query."""
    low = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    high = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = SlotUsage.objects.filter(
        office=office, category=category, starts_at__gte=low, starts_at__lt=high
    ).values_list("starts_at", "booked")
    return {starts_at.astimezone(tz): booked for starts_at, booked in rows}


def slots_for(
    *, office: Office, service_type: ServiceType, day: date, now: datetime | None = None
) -> list[Slot]:
    """The slots of ``day`` (local date) still open to booking, full ones included with ``free == 0``.

    None when the office cannot serve, the service is not filed at offices, the day is closed,
    beyond the booking horizon, or in the past; slots already begun or starting within
    ``APPOINTMENT_MIN_LEAD_MINUTES`` are left out.
    ``now`` fixes the clock (tests); by default the real time is used.
    """
    moment = now or timezone.now()
    if (
        not office.can_serve
        or day < today_at(office=office, now=moment)
        or day > _last_day(office=office, now=moment)
    ):
        return []
    category = service_type.category
    capacity = category_capacity(office=office, category=category)
    if capacity < 1 or not service_bookable(service_type=service_type):
        return []
    schedule = office_schedule_on(office=office, day=day)
    if not schedule.spans:
        return []
    tz = office_timezone(office)
    return _cut(
        schedule=schedule,
        tz=tz,
        minutes=slot_minutes(category=category),
        capacity=capacity,
        usage=_usage(office=office, category=category, start=day, end=day, tz=tz),
        earliest=moment + timedelta(minutes=conf.min_lead_minutes()),
    )


def bookable_days(
    *, office: Office, service_type: ServiceType, start: date, days: int, now: datetime | None = None
) -> list[date]:
    """The days in ``[start, start + days)`` with at least one free slot, within the booking horizon."""
    moment = now or timezone.now()
    if not office.can_serve or days < 1:
        return []
    first = max(start, today_at(office=office, now=moment))
    last = min(start + timedelta(days=days - 1), _last_day(office=office, now=moment))
    if first > last:
        return []
    category = service_type.category
    capacity = category_capacity(office=office, category=category)
    if capacity < 1 or not service_bookable(service_type=service_type):
        return []
    tz = office_timezone(office)
    minutes = slot_minutes(category=category)
    usage = _usage(office=office, category=category, start=first, end=last, tz=tz)
    earliest = moment + timedelta(minutes=conf.min_lead_minutes())
    result = []
    for day, schedule in office_schedules_between(office=office, start=first, end=last).items():
        slots = _cut(
            schedule=schedule, tz=tz, minutes=minutes, capacity=capacity, usage=usage, earliest=earliest
        )
        if any(slot.free > 0 for slot in slots):
            result.append(day)
    return result


# --- bookings -------------------------------------------------------------------------------------


def _with_relations(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_related("office", "office__city", "service_type", "category", "person")


def bookings_of(*, person: Person) -> QuerySet[Booking]:
    """A person's bookings, the latest first (slice it: lists are bounded by the caller)."""
    return _with_relations(Booking.objects.filter(person=person)).order_by("-starts_at", "-pk")


def normalize_booking_code(code: str) -> str:
    """A typed booking code as stored: Latin digits, upper case, no spaces or dashes."""
    cleaned = to_latin_digits(code or "").upper()
    return "".join(ch for ch in cleaned if ch.isalnum())


def booking_by_code(*, code: str) -> Booking | None:
    """The booking with this code (typed in any case, with Persian digits or dashes), or None."""
    normalized = normalize_booking_code(code)
    if len(normalized) != CODE_LENGTH:
        return None
    return _with_relations(Booking.objects.filter(code=normalized)).first()


def bookings_of_office_day(*, office: Office, day: date) -> QuerySet[Booking]:
    """An office's bookings on a local day, in time order (cancelled ones included; filter by status)."""
    return _with_relations(Booking.objects.filter(office=office, day=day)).order_by("starts_at", "pk")


def active_booking_of(*, person: Person, service_type: ServiceType, day: date) -> Booking | None:
    """The person's booking that still holds a place for this service on that day, if any."""
    return Booking.objects.filter(
        person=person, service_type=service_type, day=day, status__in=ACTIVE_STATUSES
    ).first()


def person_no_shows(*, person: Person, since: date) -> QuerySet[Booking]:
    return Booking.objects.filter(person=person, status=BookingStatus.NO_SHOW, day__gte=since)


def person_booking_blocked_until(*, person: Person, today: date | None = None) -> date | None:
    """The first day the person may book online again after repeated no-shows, or None if not blocked.

    ``APPOINTMENT_NO_SHOW_LIMIT`` no-shows within the last ``APPOINTMENT_NO_SHOW_WINDOW_DAYS`` days
    block online booking for ``APPOINTMENT_NO_SHOW_BLOCK_DAYS`` days after the last of them.
    """
    current = today or local_today()
    limit = conf.no_show_limit()
    if limit < 1:
        return None
    days = list(
        person_no_shows(person=person, since=current - timedelta(days=conf.no_show_window_days()))
        .order_by("-day")
        .values_list("day", flat=True)[:limit]
    )
    if len(days) < limit:
        return None
    until = days[0] + timedelta(days=conf.no_show_block_days())
    return until if until > current else None
