"""The admin pages for the offices models render, and special hours added on an office take its city."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from daftar.offices import services
from daftar.offices.models import City, HoursOverride, Office

pytestmark = pytest.mark.django_db

MODELS = ("city", "zone", "office", "weeklyhours", "hoursoverride", "holiday", "staffassignment")


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_renders(admin_client: Client, vanak: Office, model: str) -> None:
    response = admin_client.get(reverse(f"admin:offices_{model}_changelist"))
    assert response.status_code == 200


def test_office_page_shows_weekly_hours_inline(admin_client: Client, vanak: Office) -> None:
    response = admin_client.get(reverse("admin:offices_office_change", args=[vanak.pk]))
    assert response.status_code == 200
    assert b"weekly_hours-TOTAL_FORMS" in response.content
    assert b"hours_overrides-TOTAL_FORMS" in response.content


def test_special_hours_added_on_an_office_page_take_the_offices_city(
    admin_client: Client, tehran: City, vanak: Office
) -> None:
    url = reverse("admin:offices_office_change", args=[vanak.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update({"city": tehran.pk, "zone": vanak.zone_id, "latitude": "", "longitude": "", "area_m2": 80})
    weekly = list(vanak.weekly_hours.order_by("pk"))
    data.update(
        {
            "weekly_hours-TOTAL_FORMS": str(len(weekly)),
            "weekly_hours-INITIAL_FORMS": str(len(weekly)),
            "hours_overrides-TOTAL_FORMS": "1",
            "hours_overrides-INITIAL_FORMS": "0",
            "hours_overrides-0-date": "2025-05-10",
            "hours_overrides-0-closed": "on",
            "hours_overrides-0-reason": "تعمیرات",
        }
    )
    for index, row in enumerate(weekly):
        data.update(
            {
                f"weekly_hours-{index}-id": row.pk,
                f"weekly_hours-{index}-office": vanak.pk,
                f"weekly_hours-{index}-weekday": row.weekday,
                f"weekly_hours-{index}-shift": row.shift,
                f"weekly_hours-{index}-opens": row.opens.strftime("%H:%M"),
                f"weekly_hours-{index}-closes": row.closes.strftime("%H:%M"),
            }
        )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    override = HoursOverride.objects.get(office=vanak)
    assert override.city == tehran
    assert override.date == date(2025, 5, 10)
    assert services.hours_override_clear(city=tehran, office=vanak, date=date(2025, 5, 10)) == 1
