"""Appointments API: free slots, book, list mine, cancel, move. Thin: the rules live in services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from daftar.accounts.models import Person, PersonKind, User
from daftar.accounts.selectors import person_by_code
from daftar.accounts.services import person_register
from daftar.catalog.models import ServiceType
from daftar.catalog.selectors import service_current
from daftar.core.errors import Forbidden, InvalidValue, NotFound
from daftar.core.jalali import format_jalali_date, parse_jalali_date, parse_jalali_datetime
from daftar.offices.models import Office
from daftar.offices.selectors import city_timezone

from .models import Booking, BookingChannel
from .selectors import booking_by_code, bookings_of, slots_for
from .services import booking_cancel, booking_create, booking_reschedule, is_office_staff

router = Router(tags=["appointments"])
MAX_LISTED = 100


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    time: str = Field(..., description="local start time, HH:MM")
    capacity: int
    booked: int
    free: int


class BookingIn(Schema):
    office: str = Field(..., description="office code")
    service: str = Field(..., description="service code, e.g. building.no_violation_certificate")
    starts_at: str = Field(
        ..., description="a slot start: ISO 8601 with offset, or Jalali «1405/09/15 09:30»"
    )
    national_code: str | None = Field(None, description="office staff only: the citizen to book for")
    first_name: str = Field("", description="office staff only: needed when the citizen is new")
    last_name: str = ""
    mobile: str = Field("", description="office staff only: the citizen's mobile, for the SMS")


class CancelIn(Schema):
    reason: str = ""


class RescheduleIn(Schema):
    starts_at: str = Field(..., description="the new slot start (ISO 8601 with offset, or Jalali)")


class BookingOut(Schema):
    code: str
    office: str
    office_name: str
    service: str
    category: str
    starts_at: datetime
    ends_at: datetime
    day: str = Field(..., description="Jalali date, e.g. 1405/09/15")
    time: str
    status: str
    channel: str
    cancelled_reason: str
    case: str | None


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _office(code: str) -> Office:
    office = Office.objects.select_related("city").filter(code=code.strip()).first()
    if office is None:
        raise NotFound("office.not_found", _("No office with this code."))
    return office


def _service(code: str) -> ServiceType:
    version = service_current(code=code.strip())
    if version is None:
        raise NotFound("catalog.unknown_service", _("No service with this code is in force."))
    return version.service_type


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return parse_jalali_datetime(text)
    if moment.tzinfo is None:
        raise InvalidValue("booking.naive_time", _("Give the time with its time zone."))
    return moment


def _local_time(moment: datetime, office: Office) -> str:
    return f"{moment.astimezone(city_timezone(city=office.city)):%H:%M}"


def booking_out(booking: Booking) -> dict[str, Any]:
    return {
        "code": booking.code,
        "office": booking.office.code,
        "office_name": booking.office.name,
        "service": booking.service_type.code,
        "category": booking.category.code,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "day": format_jalali_date(booking.day, persian_digits=False),
        "time": _local_time(booking.starts_at, booking.office),
        "status": booking.status,
        "channel": booking.channel,
        "cancelled_reason": booking.cancelled_reason,
        "case": booking.case.tracking_code if booking.case else None,
    }


def _visible(request: HttpRequest, code: str) -> Booking:
    """A booking the caller may see: their own, or one of their office's; else 'not found'."""
    user = _user(request)
    booking = booking_by_code(code=code)
    if booking is None or not (
        (user.person_id and booking.person_id == user.person_id)
        or is_office_staff(actor=user, office=booking.office)
    ):
        raise NotFound("booking.not_found", _("No booking with this code was found."))
    return booking


def _person(body: BookingIn, user: User, office: Office) -> Person:
    if not body.national_code:
        if user.person is None:
            raise Forbidden("booking.no_person", _("Complete your profile before booking."))
        return user.person
    if not is_office_staff(actor=user, office=office):
        raise Forbidden("booking.not_office_staff", _("Only this office's staff may do this."))
    known = person_by_code(national_code=body.national_code)
    if known is not None:
        return known
    return person_register(
        kind=PersonKind.REAL,
        national_code=body.national_code,
        first_name=body.first_name,
        last_name=body.last_name,
        mobile=body.mobile,
    )


@router.get("/appointments/slots", response=list[SlotOut], summary="Bookable slots of an office on a day")
def slots(request: HttpRequest, office: str, service: str, day: str) -> list[dict[str, Any]]:
    place = _office(office)
    wanted: date = parse_jalali_date(day)
    return [
        {
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "time": _local_time(slot.starts_at, place),
            "capacity": slot.capacity,
            "booked": slot.booked,
            "free": slot.free,
        }
        for slot in slots_for(office=place, service_type=_service(service), day=wanted)
    ]


@router.post(
    "/appointments", response={201: BookingOut}, summary="Book a slot (yourself, or a citizen: staff)"
)
def book(request: HttpRequest, body: BookingIn) -> Status[dict[str, Any]]:
    user = _user(request)
    office = _office(body.office)
    booking = booking_create(
        office=office,
        service_type=_service(body.service),
        person=_person(body, user, office),
        starts_at=_moment(body.starts_at),
        actor=user,
        channel=BookingChannel.API,
    )
    return Status(201, booking_out(booking))


@router.get("/appointments", response=list[BookingOut], summary="Your own bookings, latest first")
def mine(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    if user.person is None:
        return []
    return [booking_out(b) for b in bookings_of(person=user.person).select_related("case")[:MAX_LISTED]]


@router.post("/appointments/{code}/cancel", response=BookingOut, summary="Cancel a booking")
def cancel(request: HttpRequest, code: str, body: CancelIn) -> dict[str, Any]:
    booking = booking_cancel(booking=_visible(request, code), actor=_user(request), reason=body.reason)
    return booking_out(booking)


@router.post("/appointments/{code}/reschedule", response=BookingOut, summary="Move a booking to another slot")
def reschedule(request: HttpRequest, code: str, body: RescheduleIn) -> dict[str, Any]:
    booking = booking_reschedule(
        booking=_visible(request, code), starts_at=_moment(body.starts_at), actor=_user(request)
    )
    return booking_out(booking)
