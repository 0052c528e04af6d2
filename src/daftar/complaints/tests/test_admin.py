"""The routing-rule admin: a city administrator keeps their own city's ordered list, through the
services; others see nothing of it."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client

from daftar.accounts.models import User
from daftar.complaints.models import RoutingRule
from daftar.complaints.routing import routing_rule_create
from daftar.offices.models import City, Zone

from . import test_routing as shared
from .test_routing import make_user, municipal

pytestmark = pytest.mark.django_db

street_light = shared.street_light
lighting_reviewer = shared.lighting_reviewer
roads_reviewer = shared.roads_reviewer
city_admin = shared.city_admin

CHANGELIST = "/admin/complaints/routingrule/"


@pytest.fixture
def admin_client(city_admin: User) -> Client:
    client = Client()
    client.force_login(city_admin)
    return client


@pytest.fixture
def rules(city: City, lighting_reviewer: User, roads_reviewer: User) -> list[RoutingRule]:
    return [
        routing_rule_create(city=city, name=name, department=department, actor=None)
        for name, department in (("اول", "lighting"), ("دوم", "roads"), ("سوم", "lighting"))
    ]


def _form(city: City, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "city": city.pk,
        "position": "",
        "name": "شیفت شب روشنایی",
        "service_codes": ["report.street_light"],
        "weekdays": ["4", "5"],
        "time_from": "22:00",
        "time_until": "06:00",
        "department": "lighting",
        "assignee": "",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _order(city: City) -> list[str]:
    return list(RoutingRule.objects.filter(city=city).order_by("position").values_list("name", flat=True))


def test_the_city_administrator_sees_the_rules_in_order(
    admin_client: Client, city: City, zone: Zone, rules: list[RoutingRule], django_assert_max_num_queries: Any
) -> None:
    for number in range(12):  # the page costs the same however many rules there are
        routing_rule_create(city=city, name=f"افزوده {number}", department="roads", zones=[zone], actor=None)
    with django_assert_max_num_queries(14):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("اول") < page.index("دوم") < page.index("سوم")
    assert 'name="form-0-position"' in page  # the position is edited in the list
    assert admin_client.get("/admin/").content.decode().count(CHANGELIST) >= 1


def test_the_add_page_creates_a_rule_through_the_services(
    admin_client: Client, city: City, zone: Zone, street_light: Any, lighting_reviewer: User, rules: Any
) -> None:
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 200
    response = admin_client.post(
        f"{CHANGELIST}add/",
        _form(city, zones=[str(zone.pk)], assignee=str(lighting_reviewer.pk), position="1"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = RoutingRule.objects.get(name="شیفت شب روشنایی")
    assert created.position == 1
    assert created.weekdays == [4, 5]
    assert (created.time_from, created.time_until) == (time(22), time(6))
    assert created.service_codes == ["report.street_light"]
    assert list(created.zones.all()) == [zone]
    assert created.assignee == lighting_reviewer
    assert _order(city) == ["شیفت شب روشنایی", "اول", "دوم", "سوم"]


def test_an_invalid_rule_is_refused_with_the_reason_and_nothing_is_saved(
    admin_client: Client, city: City, street_light: Any, lighting_reviewer: User
) -> None:
    response = admin_client.post(f"{CHANGELIST}add/", _form(city, time_until="", department="gardens"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"time_until", "department"}
    assert not RoutingRule.objects.exists()


def test_the_change_page_updates_a_rule_and_can_move_it(
    admin_client: Client, city: City, rules: list[RoutingRule], street_light: Any
) -> None:
    last = rules[2]
    url = f"{CHANGELIST}{last.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, _form(city, name="سوم، اکنون اول", position="1", time_from="", time_until="")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _order(city) == ["سوم، اکنون اول", "اول", "دوم"]
    assert list(RoutingRule.objects.order_by("position").values_list("position", flat=True)) == [1, 2, 3]


def test_editing_positions_in_the_list_renumbers_the_rules(
    admin_client: Client, city: City, rules: list[RoutingRule]
) -> None:
    first, second, third = rules
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "3",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(first.pk),
        "form-0-position": "1",
        "form-1-id": str(second.pk),
        "form-1-position": "2",
        "form-2-id": str(third.pk),
        "form-2-position": "1",
        "_save": "Save",
    }
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _order(city) == ["سوم", "اول", "دوم"]


def test_the_action_switches_rules_off_and_nothing_is_deleted(
    admin_client: Client, city: City, rules: list[RoutingRule]
) -> None:
    response = admin_client.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": [str(rules[0].pk), str(rules[1].pk)]}
    )
    assert response.status_code == 302
    assert dict(RoutingRule.objects.values_list("name", "is_active")) == {
        "اول": False,
        "دوم": False,
        "سوم": True,
    }
    assert admin_client.get(f"{CHANGELIST}{rules[2].pk}/delete/").status_code == 403


def test_an_administrator_of_another_city_sees_none_of_this_citys_rules(
    city: City, rules: list[RoutingRule]
) -> None:
    shiraz = City.objects.create(code="shiraz", name_fa="شیراز", name_en="Shiraz")
    other = municipal(make_user("shirazadmin", is_staff=True), shiraz, role="city_administrator")
    client = Client()
    client.force_login(other)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "اول" not in page.content.decode()
    assert client.get(f"{CHANGELIST}{rules[0].pk}/change/").status_code == 302  # "does not exist" redirect
    assert client.post(f"{CHANGELIST}add/", _form(city)).status_code == 200  # their form offers only Shiraz
    assert RoutingRule.objects.count() == 3


def test_staff_without_the_city_administrator_role_are_refused(
    city: City, rules: list[RoutingRule], lighting_reviewer: User
) -> None:
    lighting_reviewer.is_staff = True
    lighting_reviewer.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(lighting_reviewer)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{rules[0].pk}/change/").status_code in (302, 403)
    assert client.post(f"{CHANGELIST}add/", _form(city)).status_code == 403
