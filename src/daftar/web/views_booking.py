"""Appointment pages (نوبت‌دهی): a citizen's bookings, booking a time through a Jalali month
calendar, the printable confirmation, cancelling and moving; at the desk, the office's bookings of
a day and booking for the applicant chosen at the desk. Thin: every write is an appointments service.

The steps are plain links and GET forms (``?office=&service=&month=&day=&time=``), so the back
button and a shared link work and nothing is written before the last step. Who sees a booking: the
person it is for, and the counter staff of its office; everyone else gets "not found", also for
codes that exist. Every look-up by booking code is rate limited (``DAFTAR_BOOKING_LOOKUP_RATE``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import Person, User
from daftar.appointments import conf
from daftar.appointments.models import Booking, BookingChannel, BookingStatus
from daftar.appointments.selectors import (
    active_booking_of,
    bookable_days,
    booking_by_code,
    bookings_of,
    bookings_of_office_day,
    office_timezone,
    slots_for,
    today_at,
)
from daftar.appointments.services import booking_cancel, booking_create, booking_reschedule
from daftar.catalog.selectors import service_current, services_current
from daftar.core.errors import DomainError
from daftar.core.jalali import (
    MONTH_NAMES_FA,
    PERSIAN_WEEK_ORDER,
    format_jalali_date,
    jalali_month_bounds,
    to_jalali,
    weekday_name_fa,
)
from daftar.offices.models import Office
from daftar.offices.selectors import city_default, offices_staff_of, zones_of

from .access import DESK_ROLES
from .forms_booking import (
    BookingCancelForm,
    BookingCheckInForm,
    BookingConfirmForm,
    BookingMoveForm,
    BookingPickForm,
    DeskDayForm,
    OfficeSearchForm,
    offices_taking_bookings,
)
from .views_desk import _applicant, _desk_office, grouped_by_category, staff_required

SESSION_KEYS = "booking_keys"  # confirmation keys already used → booking code (double submits)
KEYS_KEPT = 20
LIST_LIMIT = 100
LOOKUP_RATE = "60/m"
WEEKDAYS_SHORT = (
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _lookup_limited(request: HttpRequest) -> None:
    rate = getattr(settings, "DAFTAR_BOOKING_LOOKUP_RATE", LOOKUP_RATE)
    if is_ratelimited(
        request, group="booking-lookup", key="user_or_ip", rate=rate, method=ALL, increment=True
    ):
        raise Ratelimited()


# --- reading bookings -------------------------------------------------------------------------------


def _service_names() -> dict[str, str]:
    return {version.code: version.name for version in services_current()}


def _local(booking: Booking) -> datetime:
    return booking.starts_at.astimezone(office_timezone(booking.office))


def change_refusal(booking: Booking, *, now: datetime | None = None) -> str:
    """Why the booking can no longer be cancelled or moved; empty while it can."""
    if booking.status != BookingStatus.BOOKED:
        return _("This booking is no longer active.")
    hours = conf.change_hours_before()
    if (now or timezone.now()) > booking.starts_at - timedelta(hours=hours):
        return _("A booking can be cancelled or moved only until %(hours)d hours before its time.") % {
            "hours": hours
        }
    return ""


@dataclass(frozen=True)
class BookingRow:
    booking: Booking
    service_name: str
    local_start: datetime  # in the office's time zone
    weekday: str
    why_not: str  # why it can no longer be cancelled or moved; empty while it can
    upcoming: bool

    @property
    def local_day(self) -> date:
        return self.local_start.date()

    @property
    def clock(self) -> str:
        return self.local_start.strftime("%H:%M")


def _rows(bookings: list[Booking]) -> list[BookingRow]:
    names = _service_names()
    now = timezone.now()
    return [
        BookingRow(
            booking=b,
            service_name=names.get(b.service_type.code, b.service_type.code),
            local_start=_local(b),
            weekday=weekday_name_fa(_local(b)),
            why_not=change_refusal(b, now=now),
            upcoming=b.is_active and b.ends_at >= now,
        )
        for b in bookings
    ]


def _is_desk_staff(user: User, office: Office) -> bool:
    return any(a.office_id == office.pk and a.role in DESK_ROLES for a in offices_staff_of(user=user))


def _visible_booking(request: HttpRequest, code: str) -> Booking:
    """The booking if this user is its person or counter staff of its office; else 404."""
    _lookup_limited(request)
    user = _user(request)
    booking = booking_by_code(code=code)
    if booking is None:
        raise Http404
    if user.person_id is not None and user.person_id == booking.person_id:
        return booking
    if _is_desk_staff(user, booking.office):
        return booking
    raise Http404


def _own_person(request: HttpRequest) -> Person | None:
    person = _user(request).person
    if person is None:
        messages.info(
            request, _("Complete your details first: your national code links your bookings to you.")
        )
    return person


@login_required
def bookings(request: HttpRequest) -> HttpResponse:
    """The citizen's bookings: the coming ones first (soonest first), then the past ones."""
    person = _own_person(request)
    if person is None:
        return redirect("web:account")
    rows = _rows(list(bookings_of(person=person)[:LIST_LIMIT]))
    upcoming = sorted((r for r in rows if r.upcoming), key=lambda r: r.booking.starts_at)
    past = [r for r in rows if not r.upcoming]
    return render(
        request,
        "web/booking_list.html",
        {"nav": "bookings", "upcoming": upcoming, "past": past, "cancel_form": BookingCancelForm()},
    )


def _detail(request: HttpRequest, booking: Booking, *, error: str = "", status: int = 200) -> HttpResponse:
    row = _rows([booking])[0]
    return render(
        request,
        "web/booking_detail.html",
        {
            "nav": "bookings" if booking.person_id == _user(request).person_id else "desk_bookings",
            "row": row,
            "booking": booking,
            "error": error,
            "cancel_form": BookingCancelForm(),
            "is_person": _user(request).person_id == booking.person_id,
        },
        status=status,
    )


@login_required
def booking_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The confirmation: the code (large), the office and its address, the Jalali date and time."""
    return _detail(request, _visible_booking(request, code))


@login_required
@require_POST
def booking_cancel_view(request: HttpRequest, code: str) -> HttpResponse:
    booking = _visible_booking(request, code)
    form = BookingCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        booking = booking_cancel(booking=booking, actor=_user(request), reason=reason)
    except DomainError as exc:
        return _detail(request, booking, error=str(exc), status=exc.status)
    messages.success(request, _("Booking %(code)s is cancelled.") % {"code": booking.code})
    return redirect("web:booking", code=booking.code)


# --- the Jalali month calendar ----------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    day: date
    number: int
    bookable: bool
    selected: bool
    today: bool
    url: str


@dataclass(frozen=True)
class CalendarMonth:
    title: str  # «آذر ۱۴۰۵» (digits follow the language in the template)
    weekdays: tuple[Any, ...]
    weeks: list[list[CalendarDay | None]]
    previous_url: str
    next_url: str
    bookable_count: int


def _month_key(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


@dataclass
class Steps:
    """What the steps know so far, and how to link to the next one."""

    url: str
    office: Office | None = None
    service: Any = None  # the ServiceVersion in force
    fixed: bool = False  # office and service are given (a move): the query string names neither

    def link(self, **params: Any) -> str:
        base = (
            {}
            if self.fixed
            else {"office": self.office.code if self.office else "", "service": self.service_code}
        )
        query = {k: v for k, v in {**base, **params}.items() if v not in ("", None)}
        return f"{self.url}?{urlencode(query)}" if query else self.url

    @property
    def service_code(self) -> str:
        return str(self.service.code) if self.service is not None else ""


def _calendar(steps: Steps, *, month: tuple[int, int] | None, selected: date | None) -> CalendarMonth:
    assert steps.office is not None
    assert steps.service is not None
    office, service_type = steps.office, steps.service.service_type
    today = today_at(office=office)
    last = today + timedelta(days=max(conf.horizon_days(), 1) - 1)
    asked = month is not None
    if month is None:
        jday = to_jalali(selected or today)
        month = (jday.year, jday.month)

    def days_of(key: tuple[int, int]) -> tuple[date, date, set[date]]:
        first, end = jalali_month_bounds(*key)
        found = bookable_days(
            office=office, service_type=service_type, start=first, days=(end - first).days + 1
        )
        return first, end, set(found)

    first, end, bookable = days_of(month)
    if not asked and not bookable and end < last:
        # Nothing left this month (its last days, or all full): open the next one.
        month = _shift(*month, 1)
        first, end, bookable = days_of(month)
    weeks: list[list[CalendarDay | None]] = []
    week: list[CalendarDay | None] = [None] * PERSIAN_WEEK_ORDER.index(first.weekday())
    day = first
    while day <= end:
        week.append(
            CalendarDay(
                day=day,
                number=to_jalali(day).day,
                bookable=day in bookable,
                selected=day == selected,
                today=day == today,
                url=steps.link(month=_month_key(*month), day=day.isoformat()),
            )
        )
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += timedelta(days=1)
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    previous, following = _shift(*month, -1), _shift(*month, 1)
    return CalendarMonth(
        title=f"{MONTH_NAMES_FA[month[1] - 1]} {month[0]}",
        weekdays=WEEKDAYS_SHORT,
        weeks=weeks,
        previous_url=steps.link(month=_month_key(*previous)) if first > today else "",
        next_url=steps.link(month=_month_key(*following)) if end < last else "",
        bookable_count=len(bookable),
    )


@dataclass(frozen=True)
class TimeChoice:
    value: str  # "09:30", the office's wall-clock time
    starts_at: datetime
    free: int


def _times(steps: Steps, day: date) -> list[TimeChoice]:
    assert steps.office is not None
    assert steps.service is not None
    tz = office_timezone(steps.office)
    return [
        TimeChoice(
            value=slot.starts_at.astimezone(tz).strftime("%H:%M"), starts_at=slot.starts_at, free=slot.free
        )
        for slot in slots_for(office=steps.office, service_type=steps.service.service_type, day=day)
    ]


def _office_by_code(code: str) -> Office | None:
    city = city_default()
    return next(
        (o for o in offices_taking_bookings(city_id=city.pk if city else None) if o.code == code), None
    )


def _bookable_service(code: str) -> Any:
    """The service version in force whose channels include the office, or None."""
    service = service_current(code=code) if code else None
    return service if service is not None and "office" in (service.channels or []) else None


def _steps_context(request: HttpRequest, steps: Steps, values: dict[str, Any]) -> dict[str, Any]:
    """The context of the step reached: office (1), service (1), day (2), time (3), confirm (4)."""
    context: dict[str, Any] = {"steps": steps}
    if steps.office is None:
        city = city_default()
        zones = list(zones_of(city=city)) if city else []
        form = OfficeSearchForm(request.GET or None, zones=zones)
        offices = form.filter(offices_taking_bookings(city_id=city.pk if city else None))
        return {
            **context,
            "step": 1,
            "office_form": form,
            "offices": [(o, steps.link(office=o.code)) for o in offices],
        }
    if steps.service is None:
        query = (request.GET.get("q") or "")[:100]
        groups = grouped_by_category(services_current(channel="office", query=query))
        return {
            **context,
            "step": 1,
            "query": query,
            "service_groups": [
                (category, [(v, steps.link(service=v.code)) for v in items]) for category, items in groups
            ],
        }
    context["service_change_url"] = steps.link(service="")
    day = values.get("day")
    try:
        context.update(step=2, calendar=_calendar(steps, month=values.get("month"), selected=day))
        times = _times(steps, day) if day is not None else []
    except DomainError as exc:  # e.g. a category no queue group serves: nothing can be booked
        return {**context, "step": 2, "calendar": None, "error": str(exc)}
    if day is None:
        return context
    context.update(
        step=3, day=day, weekday=weekday_name_fa(day), times=times, any_free=any(t.free for t in times)
    )
    chosen = values.get("time")
    if chosen is None:
        return context
    slot = next((t for t in times if t.value == chosen.strftime("%H:%M") and t.free > 0), None)
    if slot is None:
        context["error"] = _("This time is no longer free; please choose another time.")
        return context
    confirm = BookingConfirmForm(
        initial={
            "office": steps.office.code,
            "service": steps.service_code,
            "starts": slot.starts_at.isoformat(),
            "key": uuid.uuid4().hex,
        }
    )
    return {**context, "step": 4, "slot": slot, "confirm_form": confirm}


def _render_steps(
    request: HttpRequest, steps: Steps, values: dict[str, Any], extra: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = _steps_context(request, steps, values)
    return render(request, "web/booking_new.html", {**context, **extra}, status=status)


def _remember_key(request: HttpRequest, key: str, code: str) -> None:
    keys = dict(request.session.get(SESSION_KEYS, {}))
    keys[key] = code
    request.session[SESSION_KEYS] = dict(list(keys.items())[-KEYS_KEPT:])


def _create(
    request: HttpRequest, *, person: Person, channel: str, steps: Steps, extra: dict[str, Any]
) -> HttpResponse:
    """Step 4's POST: book, or show why not on the times of that day (nothing written then)."""
    form = BookingConfirmForm(request.POST)
    if not form.is_valid():
        return _render_steps(request, steps, {}, {**extra, "error": _("Choose one of the free times.")}, 400)
    data = form.cleaned_data
    done = request.session.get(SESSION_KEYS, {}).get(data["key"])
    if done:  # the same confirmation sent twice: show the booking it made
        return redirect("web:booking", code=done)
    steps.office = steps.office or _office_by_code(data["office"])
    steps.service = steps.service or _bookable_service(data["service"])
    if steps.office is None or steps.service is None:
        return _render_steps(request, steps, {}, {**extra, "error": _("Choose one of the free times.")}, 400)
    starts_at: datetime = data["starts"]
    day = starts_at.astimezone(office_timezone(steps.office)).date()
    try:
        booking = booking_create(
            office=steps.office,
            service_type=steps.service.service_type,
            person=person,
            starts_at=starts_at,
            actor=_user(request),
            channel=channel,
        )
    except DomainError as exc:
        existing = active_booking_of(person=person, service_type=steps.service.service_type, day=day)
        if exc.code == "booking.one_per_day" and existing is not None:
            if existing.office_id == steps.office.pk and existing.starts_at == starts_at:
                return redirect("web:booking", code=existing.code)  # a double submit that raced the key
            extra = {**extra, "existing": existing}
        values = {"day": day}
        return _render_steps(request, steps, values, {**extra, "error": str(exc)}, exc.status)
    _remember_key(request, data["key"], booking.code)
    messages.success(request, _("The appointment is booked. Booking code: %(code)s") % {"code": booking.code})
    return redirect("web:booking", code=booking.code)


@login_required
def booking_new(request: HttpRequest) -> HttpResponse:
    """Book online for oneself: office and service, a day on the calendar, a time, confirm."""
    person = _own_person(request)
    if person is None:
        return redirect("web:account")
    steps = Steps(url=reverse("web:booking_new"))
    extra = {"nav": "bookings", "mode": "online", "person": person}
    if request.method == "POST":
        return _create(request, person=person, channel=BookingChannel.ONLINE, steps=steps, extra=extra)
    values = BookingPickForm(request.GET).values()
    steps.office = _office_by_code(values["office"]) if values["office"] else None
    steps.service = _bookable_service(values["service"]) if steps.office else None
    return _render_steps(request, steps, values, extra)


@login_required
def booking_move(request: HttpRequest, code: str) -> HttpResponse:
    """Move a booking to another day or time of the same office and service."""
    booking = _visible_booking(request, code)
    service = service_current(code=booking.service_type.code)
    why_not = change_refusal(booking)
    if why_not or service is None:
        return _detail(request, booking, error=why_not or _("This service is not offered now."), status=409)
    steps = Steps(
        url=reverse("web:booking_move", args=[booking.code]),
        office=booking.office,
        service=service,
        fixed=True,
    )
    extra = {
        "nav": "bookings",
        "mode": "move",
        "booking": booking,
        "row": _rows([booking])[0],
        "person": booking.person,
    }
    if request.method == "POST":
        form = BookingMoveForm(request.POST)
        if not form.is_valid():
            return _render_steps(
                request, steps, {}, {**extra, "error": _("Choose one of the free times.")}, 400
            )
        starts_at = form.cleaned_data["starts"]
        try:
            booking = booking_reschedule(booking=booking, starts_at=starts_at, actor=_user(request))
        except DomainError as exc:
            day = starts_at.astimezone(office_timezone(booking.office)).date()
            return _render_steps(request, steps, {"day": day}, {**extra, "error": str(exc)}, exc.status)
        messages.success(request, _("The booking is moved to the new time."))
        return redirect("web:booking", code=booking.code)
    return _render_steps(request, steps, BookingPickForm(request.GET).values(), extra)


# --- the desk ---------------------------------------------------------------------------------------


@staff_required
def desk_bookings(request: HttpRequest) -> HttpResponse:
    """The office's bookings of one day (Jalali day picker), with check-in for today's."""
    office, _offices = _desk_office(request)
    form = DeskDayForm(request.GET or None)
    today = today_at(office=office)
    day = (form.cleaned_data["day"] if form.is_valid() else None) or today
    rows = _rows(list(bookings_of_office_day(office=office, day=day)[:500]))

    def day_url(value: date) -> str:
        day_text = format_jalali_date(value, persian_digits=False)
        return f"{reverse('web:desk_bookings')}?{urlencode({'day': day_text})}"

    return render(
        request,
        "web/booking_desk.html",
        {
            "nav": "desk_bookings",
            "office": office,
            "form": form,
            "day": day,
            "weekday": weekday_name_fa(day),
            "is_today": day == today,
            "previous_url": day_url(day - timedelta(days=1)),
            "next_url": day_url(day + timedelta(days=1)),
            "today_url": day_url(today),
            "rows": rows,
            "applicant": _applicant(request),
            "check_in_form": BookingCheckInForm(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@staff_required
def desk_booking_new(request: HttpRequest) -> HttpResponse:
    """Book for the applicant chosen at the desk, at this office (their no-show block does not apply)."""
    office, _offices = _desk_office(request)
    applicant = _applicant(request)
    if applicant is None:
        messages.info(request, _("First find or register the applicant."))
        return redirect("web:desk")
    steps = Steps(url=reverse("web:desk_booking_new"), office=office)
    extra = {
        "nav": "desk_bookings",
        "mode": "desk",
        "person": applicant,
        "applicant": applicant,
        "office": office,
    }
    if request.method == "POST":
        return _create(request, person=applicant, channel=BookingChannel.OFFICE, steps=steps, extra=extra)
    values = BookingPickForm(request.GET).values()
    steps.service = _bookable_service(values["service"])
    return _render_steps(request, steps, values, extra)
