"""At the office: staff check a booking in by its code within its time window, which issues a queue
ticket for the booking; the case filed at the desk is then linked and the booking is served."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from daftar.accounts.models import User
from daftar.appointments.models import Booking, BookingStatus
from daftar.appointments.services import booking_attach_case, booking_check_in
from daftar.catalog.models import ServiceType
from daftar.core.errors import Conflict, Forbidden, InvalidValue, NotFound
from daftar.offices.models import Office
from daftar.queueing.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking_now(
    make_booking: Callable[..., Booking], office: Office, service_type: ServiceType, citizen_user: User
) -> Booking:
    """A booking whose slot began five minutes ago."""
    return make_booking(
        office=office,
        service_type=service_type,
        person=citizen_user.person,
        starts_at=timezone.now().replace(microsecond=0) - timedelta(minutes=5),
        created_by=citizen_user,
    )


def test_check_in_marks_the_booking_and_issues_a_booking_ticket_due_at_its_time(
    booking_now: Booking, office: Office, operator_user: User
) -> None:
    checked = booking_check_in(code=booking_now.code.lower(), office=office, actor=operator_user)
    assert checked.status == BookingStatus.CHECKED_IN
    assert checked.checked_in_at is not None
    ticket = Ticket.objects.get(office=office, reference=booking_now.code)
    assert (ticket.kind, ticket.group, ticket.due_at) == ("booking", "building", booking_now.starts_at)
    assert ticket.label.startswith("B-")
    with pytest.raises(Conflict) as caught:
        booking_check_in(code=booking_now.code, office=office, actor=operator_user)
    assert caught.value.code == "booking.already_checked_in"
    assert Ticket.objects.filter(reference=booking_now.code).count() == 1


def test_only_the_office_staff_check_in_and_only_their_own_offices_bookings(
    booking_now: Booking, office: Office, other_office: Office, citizen_user: User, other_operator: User
) -> None:
    with pytest.raises(Forbidden):
        booking_check_in(code=booking_now.code, office=office, actor=citizen_user)
    with pytest.raises(Forbidden):
        booking_check_in(code=booking_now.code, office=office, actor=other_operator)
    with pytest.raises(NotFound):
        booking_check_in(code=booking_now.code, office=other_office, actor=other_operator)
    assert not Ticket.objects.exists()


def test_check_in_opens_an_hour_before_and_closes_fifteen_minutes_after_the_end(
    booking_now: Booking, office: Office, operator_user: User
) -> None:
    start, end = booking_now.starts_at, booking_now.ends_at
    with pytest.raises(Conflict) as caught:
        booking_check_in(
            code=booking_now.code, office=office, actor=operator_user, now=start - timedelta(minutes=61)
        )
    assert caught.value.code == "booking.check_in_too_early"
    with pytest.raises(Conflict) as caught:
        booking_check_in(
            code=booking_now.code, office=office, actor=operator_user, now=end + timedelta(minutes=16)
        )
    assert caught.value.code == "booking.check_in_too_late"
    checked = booking_check_in(
        code=booking_now.code, office=office, actor=operator_user, now=end + timedelta(minutes=15)
    )
    assert checked.status == BookingStatus.CHECKED_IN


def test_a_cancelled_booking_cannot_be_checked_in(
    booking_now: Booking, office: Office, operator_user: User
) -> None:
    Booking.objects.filter(pk=booking_now.pk).update(status=BookingStatus.CANCELLED)
    with pytest.raises(Conflict) as caught:
        booking_check_in(code=booking_now.code, office=office, actor=operator_user)
    assert caught.value.code == "booking.not_active"


def test_the_case_filed_at_the_desk_becomes_the_bookings_and_it_is_served(
    booking_now: Booking, office: Office, operator_user: User, filed_case: Any
) -> None:
    with pytest.raises(Conflict):
        booking_attach_case(booking=booking_now, case=filed_case)  # not checked in yet
    booking_check_in(code=booking_now.code, office=office, actor=operator_user)
    served = booking_attach_case(booking=booking_now, case=filed_case)
    assert (served.status, served.case) == (BookingStatus.SERVED, filed_case)
    assert booking_attach_case(booking=booking_now, case=filed_case).status == BookingStatus.SERVED


def test_a_case_of_another_person_cannot_be_linked(
    make_booking: Callable[..., Booking],
    office: Office,
    service_type: ServiceType,
    other_citizen: User,
    operator_user: User,
    filed_case: Any,
) -> None:
    booking = make_booking(
        office=office,
        service_type=service_type,
        person=other_citizen.person,
        starts_at=timezone.now() - timedelta(minutes=5),
        created_by=other_citizen,
    )
    booking_check_in(code=booking.code, office=office, actor=operator_user)
    with pytest.raises(InvalidValue) as caught:
        booking_attach_case(booking=booking, case=filed_case)
    assert caught.value.code == "booking.case_mismatch"


def test_a_citizen_checks_in_at_the_kiosk_only_with_the_bookings_national_code(
    booking_now: Booking, office: Office, citizen_user: User
) -> None:
    from daftar.appointments.services import booking_self_check_in

    with pytest.raises(NotFound):  # someone else's booking code alone is not enough
        booking_self_check_in(code=booking_now.code, office=office, national_code="0084575948")
    assert Booking.objects.get(pk=booking_now.pk).status == BookingStatus.BOOKED
    checked = booking_self_check_in(
        code=booking_now.code,
        office=office,
        national_code="".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in "0012345679"),
    )
    assert checked.status == BookingStatus.CHECKED_IN
    assert Ticket.objects.get(reference=booking_now.code).kind == "booking"


def test_the_kiosk_page_checks_a_booking_in_and_shows_its_ticket(
    booking_now: Booking, office: Office, client: Any
) -> None:
    from django.urls import reverse

    url = reverse("web:kiosk_check_in", args=[office.code])
    wrong = client.post(url, {"code": booking_now.code, "national_code": "0084575948"}, follow=True)
    assert wrong.redirect_chain[-1][0] == reverse("queueing:kiosk", args=[office.code])
    assert not Ticket.objects.filter(reference=booking_now.code).exists()
    response = client.post(url, {"code": booking_now.code, "national_code": "0012345679"}, follow=True)
    ticket = Ticket.objects.get(reference=booking_now.code)
    assert response.status_code == 200
    assert ticket.label in response.content.decode()
