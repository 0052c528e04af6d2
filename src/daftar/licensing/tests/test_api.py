"""The public licensing API: the register and the calls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from daftar.core.jalali import local_today
from daftar.licensing.records import licence_register_existing
from daftar.offices.models import LicenceStatus, Office

from .builders import applicant, apply
from .conftest import Licensing

pytestmark = pytest.mark.django_db


def test_the_register_answers_anyone_with_the_offices_standing(client: Client, office: Office) -> None:
    holder = applicant()
    licence = licence_register_existing(
        office=office,
        holder=holder.person,
        number="TEH-1401-0042",  # type: ignore[arg-type]
        valid_from=local_today() - timedelta(days=400),
        valid_until=local_today() + timedelta(days=900),
    )
    found = client.get("/api/v1/register", {"q": "TEH-1401-0042"})
    assert found.status_code == 200
    [row] = found.json()
    assert row["office_code"] == "1102"
    assert row["standing"] == "good"
    assert row["licence_number"] == licence.number
    assert "national_code" not in str(row)
    Office.objects.filter(pk=office.pk).update(licence_status=LicenceStatus.REVOKED)
    one = client.get("/api/v1/register/1102").json()
    assert one["standing"] == "revoked"


def test_an_unknown_office_is_a_404_in_the_error_format(client: Client, city: Any) -> None:
    response = client.get("/api/v1/register/9999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "register.not_found"


def test_the_calls_show_places_taken_and_left(client: Client, licensing: Licensing) -> None:
    apply(licensing.application, applicant())
    [call] = client.get("/api/v1/licensing/calls").json()
    assert call["open_now"] is True
    assert call["quotas"] == [{"district": 3, "district_name": "منطقه ۳", "places": 2, "taken": 1, "left": 1}]


def test_the_register_is_rate_limited(client: Client, city: Any, settings: Any) -> None:
    settings.DAFTAR_REGISTER_RATE_PER_IP = "2/m"
    statuses = [client.get("/api/v1/register").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
