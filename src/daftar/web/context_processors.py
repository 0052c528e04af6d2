"""Values every page shows: the city's name and today's date (for the Jalali footer)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from daftar.offices.selectors import city_default


def site(request: HttpRequest) -> dict[str, object]:
    city = city_default()
    return {"site_city_name": city.name if city else "", "site_today": timezone.localdate()}
