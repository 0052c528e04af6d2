"""Values every page shows: the city's name, today's date (for the Jalali footer) and the menu."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from daftar.offices.selectors import city_default

from .access import nav_flags

SUPERVISION_NAV = ("supervision", "performance", "hours_review", "out_of_hours", "licence_calls_manage")
OFFICE_NAV = ("office_sanctions", "hours_office", "office_performance")


def site(request: HttpRequest) -> dict[str, object]:
    city = city_default()
    user = getattr(request, "user", None)
    return {
        "site_city_name": city.name if city else "",
        "site_today": timezone.localdate(),
        # Looked up only when the menu is drawn, and at most once per page.
        "site_nav": SimpleLazyObject(lambda: nav_flags(user=user) if user is not None else {}),
        # The pages each of the "Supervision" and "My office" menu entries stands for.
        "SUPERVISION_NAV": SUPERVISION_NAV,
        "OFFICE_NAV": OFFICE_NAV,
    }
