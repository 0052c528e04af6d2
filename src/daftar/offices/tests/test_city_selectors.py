"""Small reads the web face relies on: the default city, its districts, today's holiday, staff check."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from daftar.accounts.models import User
from daftar.offices import selectors, services
from daftar.offices.models import City, Holiday, Office, Zone

pytestmark = pytest.mark.django_db


def test_default_city_follows_the_setting_then_falls_back_to_the_first_active(tehran: City) -> None:
    shiraz = services.city_create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    with override_settings(DAFTAR_DEFAULT_CITY="shiraz"):
        assert selectors.city_default() == shiraz
    with override_settings(DAFTAR_DEFAULT_CITY="nowhere"):
        assert selectors.city_default() == tehran
    City.objects.update(is_active=False)
    assert selectors.city_default() is None


def test_zones_of_lists_districts_in_number_order(tehran: City, district12: Zone, district3: Zone) -> None:
    assert [zone.number for zone in selectors.zones_of(city=tehran)] == [3, 12]


def test_holiday_name_on_joins_national_holidays_and_city_closures(tehran: City) -> None:
    day = date(2025, 12, 20)
    assert selectors.holiday_name_on(city=tehran, day=day) == ""
    Holiday.objects.create(date=day, name="تعطیل رسمی نمونه")
    services.closure_declare(city=tehran, date=day, name="آلودگی هوا")
    other = services.city_create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    services.closure_declare(city=other, date=day, name="برف")
    assert selectors.holiday_name_on(city=tehran, day=day) == "آلودگی هوا، تعطیل رسمی نمونه"


def test_is_staff_member_needs_an_active_assignment(tehran: City, vanak: Office) -> None:
    user = User.objects.create_user(username="staff", password="a-long-password-123")
    assert not selectors.is_staff_member(user=AnonymousUser())
    assert not selectors.is_staff_member(user=user)
    services.staff_assign(user=user, role="office_operator", city=tehran, office=vanak)
    assert selectors.is_staff_member(user=user)
    services.staff_unassign(user=user, role="office_operator", city=tehran, office=vanak)
    assert not selectors.is_staff_member(user=user)
