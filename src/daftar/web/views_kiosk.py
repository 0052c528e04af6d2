"""Checking a booking in at the office's kiosk: the citizen types the booking code and their
national code and gets the booking's queue ticket (served at the booked time)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.appointments.services import booking_self_check_in
from daftar.core.errors import DomainError
from daftar.queueing.selectors import office_for_queue, ticket_of_booking
from daftar.queueing.views import ticket_token


@require_POST
def kiosk_check_in(request: HttpRequest, office_code: str) -> HttpResponse:
    if is_ratelimited(
        request, group="kiosk-check-in", key="ip", rate=settings.DAFTAR_BOOKING_LOOKUP_RATE, increment=True
    ):
        raise Ratelimited()
    office = office_for_queue(code=office_code)
    try:
        booking = booking_self_check_in(
            code=request.POST.get("code", "")[:20],
            office=office,
            national_code=request.POST.get("national_code", "")[:20],
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("queueing:kiosk", office_code=office.code)
    ticket = ticket_of_booking(office=office, reference=booking.code)
    if ticket is None:  # issued in the same transaction as the check-in: cannot happen
        return redirect("queueing:kiosk", office_code=office.code)
    return redirect("queueing:ticket", office_code=office.code, token=ticket_token(ticket))
