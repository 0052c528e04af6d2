"""The appointments API: free slots, booking for oneself (or, for staff, for a citizen), one's own
list, cancel and move — with the house error shape and nothing of other people's visible."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from ninja import NinjaAPI
from ninja.testing import TestClient

from daftar.accounts.models import User
from daftar.accounts.services import api_token_create
from daftar.api.api import on_domain_error
from daftar.api.auth import ApiTokenAuth
from daftar.appointments.api import router
from daftar.appointments.models import Booking, BookingStatus
from daftar.catalog.models import ServiceType
from daftar.core.errors import DomainError
from daftar.core.jalali import TEHRAN, format_jalali_date
from daftar.offices.models import Office

from .conftest import national_code

pytestmark = pytest.mark.django_db

# The router as the lead mounts it on /api/v1/, with the API's token auth and error shape.
_api = NinjaAPI(urls_namespace="appointments-api-test", auth=ApiTokenAuth())
_api.add_router("/", router)
_api.add_exception_handler(DomainError, on_domain_error)
client = TestClient(_api)


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='test').secret}"}


def jalali(day: date) -> str:
    return format_jalali_date(day, persian_digits=False)


def first_free(office: Office, day: date, user: User) -> dict[str, Any]:
    response = client.get(
        f"/appointments/slots?office={office.code}&service=building.no_violation_certificate&day={jalali(day)}",
        headers=bearer(user),
    )
    assert response.status_code == 200, response.json()
    return response.json()[0]


@pytest.mark.usefixtures("service_type")
def test_slots_are_listed_with_local_times_for_a_jalali_day(
    office: Office, citizen_user: User, saturday: date
) -> None:
    slot = first_free(office, saturday, citizen_user)
    assert slot["time"] == "08:00"
    assert (slot["capacity"], slot["booked"], slot["free"]) == (3, 0, 3)


@pytest.mark.usefixtures("service_type")
def test_a_citizen_books_lists_moves_and_cancels_their_own_booking(
    office: Office, citizen_user: User, saturday: date
) -> None:
    auth = bearer(citizen_user)
    slot = first_free(office, saturday, citizen_user)
    body = {
        "office": office.code,
        "service": "building.no_violation_certificate",
        "starts_at": slot["starts_at"],
    }
    response = client.post("/appointments", json=body, headers=auth)
    assert response.status_code == 201, response.json()
    made = response.json()
    assert (made["status"], made["channel"], made["day"], made["time"]) == (
        "booked",
        "api",
        jalali(saturday),
        "08:00",
    )

    again = client.post("/appointments", json=body, headers=auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "booking.one_per_day"

    mine = client.get("/appointments", headers=auth).json()
    assert [b["code"] for b in mine] == [made["code"]]

    jalali_time = f"{jalali(saturday)} 09:40"
    moved = client.post(
        f"/appointments/{made['code']}/reschedule", json={"starts_at": jalali_time}, headers=auth
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["time"] == "09:40"

    cancelled = client.post(
        f"/appointments/{made['code']}/cancel", json={"reason": "منصرف شدم"}, headers=auth
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.usefixtures("service_type")
def test_another_citizen_gets_not_found_for_a_booking_that_is_not_theirs(
    office: Office, citizen_user: User, other_citizen: User, saturday: date
) -> None:
    slot = first_free(office, saturday, citizen_user)
    body = {
        "office": office.code,
        "service": "building.no_violation_certificate",
        "starts_at": slot["starts_at"],
    }
    code = client.post("/appointments", json=body, headers=bearer(citizen_user)).json()["code"]
    response = client.post(f"/appointments/{code}/cancel", json={}, headers=bearer(other_citizen))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "booking.not_found"
    assert Booking.objects.get(code=code).status == BookingStatus.BOOKED
    # Nor may a citizen book in someone else's name.
    forged = client.post(
        "/appointments", json={**body, "national_code": "0012345679"}, headers=bearer(other_citizen)
    )
    assert forged.status_code == 403


@pytest.mark.usefixtures("service_type")
def test_office_staff_book_for_a_citizen_by_national_code(
    office: Office, operator_user: User, saturday: date
) -> None:
    slot = first_free(office, saturday, operator_user)
    code = national_code(4242)
    response = client.post(
        "/appointments",
        json={
            "office": office.code,
            "service": "building.no_violation_certificate",
            "starts_at": slot["starts_at"],
            "national_code": code,
            "first_name": "رضا",
            "last_name": "کریمی",
            "mobile": "09125556677",
        },
        headers=bearer(operator_user),
    )
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get(code=response.json()["code"])
    assert (booking.person.national_code, booking.created_by) == (code, operator_user)


@pytest.mark.usefixtures("service_type")
def test_a_full_or_unknown_time_answers_409_in_persian(
    office: Office, citizen_user: User, saturday: date
) -> None:
    naive_noon = datetime.combine(saturday, datetime.min.time(), tzinfo=TEHRAN) + timedelta(
        hours=12, minutes=5
    )
    response = client.post(
        "/appointments",
        json={
            "office": office.code,
            "service": "building.no_violation_certificate",
            "starts_at": naive_noon.isoformat(),
        },
        headers=bearer(citizen_user),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "booking.slot_unavailable"


def test_an_unknown_office_or_service_is_not_found(
    office: Office, citizen_user: User, service_type: ServiceType, saturday: date
) -> None:
    response = client.get(
        f"/appointments/slots?office=9999&service=building.no_violation_certificate&day={jalali(saturday)}",
        headers=bearer(citizen_user),
    )
    assert response.status_code == 404
    response = client.get(
        f"/appointments/slots?office={office.code}&service=nope&day={jalali(saturday)}",
        headers=bearer(citizen_user),
    )
    assert response.status_code == 404
