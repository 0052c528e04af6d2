"""The queue's pages: who may open them, the kiosk and its limit, the display's feed, the counter."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from daftar.offices.models import Office
from daftar.queueing.models import Ticket, TicketKind, TicketStatus
from daftar.queueing.services import ticket_call_next, ticket_issue, ticket_no_show

pytestmark = pytest.mark.django_db


def _url(name: str, office: Office) -> str:
    return reverse(f"queueing:{name}", kwargs={"office_code": office.code})


# --- who may open what ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["counter", "stats"])
def test_anonymous_staff_pages_send_to_staff_sign_in(client: Client, office: Office, name: str) -> None:
    response = client.get(_url(name, office))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:staff_signin"))


def test_another_offices_operator_may_not_open_the_counter(
    client: Client, office: Office, other_operator: Any
) -> None:
    client.force_login(other_operator)
    assert client.get(_url("counter", office)).status_code == 403
    assert client.post(_url("counter", office), {"action": "call"}).status_code == 403
    assert client.get(_url("counter", office).replace(office.code, "1205")).status_code == 200


def test_a_citizen_may_not_open_the_counter(client: Client, office: Office, citizen_user: Any) -> None:
    client.force_login(citizen_user)
    assert client.get(_url("counter", office)).status_code == 403
    assert client.get(reverse("queueing:index")).status_code == 403


def test_the_days_figures_are_for_the_offices_managers(
    client: Client, office: Office, operator_user: Any, manager_user: Any
) -> None:
    client.force_login(operator_user)
    assert client.get(_url("stats", office)).status_code == 403
    client.force_login(manager_user)
    assert client.get(_url("stats", office)).status_code == 200


def test_an_unknown_office_is_not_found(client: Client, office: Office) -> None:
    assert client.get("/queue/9999/kiosk/").status_code == 404
    assert client.get("/queue/9999/display.json").status_code == 404


def test_the_staff_list_links_their_queues(client: Client, office: Office, manager_user: Any) -> None:
    client.force_login(manager_user)
    page = client.get(reverse("queueing:index")).content.decode()
    assert _url("counter", office) in page
    assert _url("stats", office) in page


# --- kiosk ------------------------------------------------------------------------------------------


def test_the_kiosk_gives_a_printable_walk_in_ticket(client: Client, office: Office) -> None:
    page = client.get(_url("kiosk", office))
    assert page.status_code == 200
    assert "دریافت نوبت" in page.content.decode()
    ticket_issue(office=office, group="fees", kind="walk_in")
    response = client.post(_url("kiosk", office), {"group": "fees"})
    assert response.status_code == 302
    ticket = Ticket.objects.get(label="F-002")
    assert ticket.kind == TicketKind.WALK_IN
    printed = client.get(response["Location"]).content.decode()
    assert "F-002" in printed
    assert "data-ahead>۱<" in printed  # F-001 is ahead
    assert "پرداخت عوارض" in printed


def test_a_ticket_page_cannot_be_guessed(client: Client, office: Office) -> None:
    ticket_issue(office=office, group="fees", kind="walk_in")
    assert client.get(f"/queue/{office.code}/ticket/1/").status_code == 404
    response = client.post(_url("kiosk", office), {"group": "fees"})
    assert client.get(response["Location"].replace(office.code, "1205")).status_code == 404
    assert client.get(response["Location"][:-3] + "xx/").status_code == 404


def test_the_kiosk_refuses_an_unknown_group(client: Client, office: Office) -> None:
    response = client.post(_url("kiosk", office), {"group": "parking"})
    assert response.status_code == 404
    assert not Ticket.objects.exists()


@override_settings(DAFTAR_QUEUE_TICKET_RATE_PER_IP="3/m")
def test_ticket_issuing_is_rate_limited_per_connection(client: Client, office: Office) -> None:
    for _ in range(3):
        assert client.post(_url("kiosk", office), {"group": "building"}).status_code == 302
    assert client.post(_url("kiosk", office), {"group": "building"}).status_code == 429
    assert Ticket.objects.count() == 3
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(_url("kiosk", office), {"group": "building"}).status_code == 302


# --- the waiting-room display -----------------------------------------------------------------------


def test_the_display_feed_shows_numbers_and_counts_and_no_personal_data(
    client: Client, office: Office, operator_user: Any
) -> None:
    ticket_issue(office=office, group="building", kind="booking", reference="BK9X7Z", due_at=timezone.now())
    ticket_issue(office=office, group="building", kind="walk_in")
    ticket_issue(office=office, group="fees", kind="walk_in")
    ticket_call_next(office=office, counter=2, actor=operator_user)
    response = client.get(_url("display_json", office))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    data = json.loads(response.content)
    assert set(data) == {"office", "called", "groups", "counters_serving"}
    assert [(c["label"], c["counter"]) for c in data["called"]] == [("B-001", 2)]
    assert set(data["called"][0]) == {"label", "counter", "group", "status", "at"}
    assert {g["code"]: g["waiting"] for g in data["groups"]} == {
        "building": 1,
        "fees": 1,
        "licences": 0,
        "inquiries": 0,
        "requests": 0,
    }
    building = next(g for g in data["groups"] if g["code"] == "building")
    assert building["wait_minutes"] == 20  # 1 waiting × 20 minutes ÷ 1 counter serving
    text = response.content.decode()
    for private in ("BK9X7Z", operator_user.username, "مریم", "کاظمی", "called_by", "reference"):
        assert private not in text


def test_the_estimated_wait_divides_by_the_counters_serving(
    client: Client, office: Office, operator_user: Any
) -> None:
    for _ in range(5):
        ticket_issue(office=office, group="fees", kind="walk_in")
    data = json.loads(client.get(_url("display_json", office)).content)
    fees = next(g for g in data["groups"] if g["code"] == "fees")
    assert (fees["waiting"], fees["wait_minutes"]) == (5, 12)  # nobody called yet: all 3 counters, ⌈5×7÷3⌉
    first = ticket_call_next(office=office, counter=1, actor=operator_user)
    assert first is not None
    ticket_no_show(ticket=first, actor=operator_user)
    ticket_call_next(office=office, counter=1, actor=operator_user)  # counter 1 twice: one counter
    ticket_call_next(office=office, counter=2, actor=operator_user)
    data = json.loads(client.get(_url("display_json", office)).content)
    fees = next(g for g in data["groups"] if g["code"] == "fees")
    assert (fees["waiting"], fees["wait_minutes"], data["counters_serving"]) == (2, 7, 2)  # ⌈2×7÷2⌉


def test_the_display_page_has_no_inline_script_or_style(client: Client, office: Office) -> None:
    page = client.get(_url("display", office)).content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert "style=" not in page
    assert "<style" not in page
    assert 'data-queue-feed="/queue/1102/display.json"' in page
    assert "queueing/display.js" in page


# --- the operator's counter -------------------------------------------------------------------------


def test_an_operator_calls_serves_and_finishes_at_the_counter(
    client: Client, office: Office, operator_user: Any
) -> None:
    ticket_issue(office=office, group="building", kind="walk_in")
    ticket_issue(office=office, group="fees", kind="walk_in")
    client.force_login(operator_user)
    url = _url("counter", office)
    assert "data-waiting-list" in client.get(url).content.decode()
    assert client.post(url, {"action": "call"}, follow=True).status_code == 200  # no counter chosen yet
    assert not Ticket.objects.exclude(status=TicketStatus.WAITING).exists()
    client.post(url, {"action": "counter", "counter": "2"})
    client.post(url, {"action": "call", "group": ["fees"]})
    called = Ticket.objects.get(status=TicketStatus.CALLED)
    assert (called.label, called.counter) == ("F-001", 2)
    page = client.get(url).content.decode()
    assert "data-current-ticket>F-001<" in page
    client.post(url, {"action": "start", "ticket": called.pk})
    client.post(url, {"action": "finish", "ticket": called.pk})
    called.refresh_from_db()
    assert called.status == TicketStatus.DONE
    client.post(url, {"action": "call", "group": ["fees"]})
    assert Ticket.objects.get(label="B-001").status == TicketStatus.WAITING  # fees only


def test_an_operator_cannot_touch_another_offices_ticket(
    client: Client, office: Office, other_office: Office, operator_user: Any, other_operator: Any
) -> None:
    theirs = ticket_issue(office=other_office, group="building", kind="walk_in")
    ticket_call_next(office=other_office, counter=1, actor=other_operator)
    client.force_login(operator_user)
    client.post(_url("counter", office), {"action": "counter", "counter": "1"})
    response = client.post(_url("counter", office), {"action": "no_show", "ticket": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == TicketStatus.CALLED


def test_a_refused_action_is_shown_as_a_message(client: Client, office: Office, operator_user: Any) -> None:
    ticket = ticket_issue(office=office, group="building", kind="walk_in")
    client.force_login(operator_user)
    client.post(_url("counter", office), {"action": "counter", "counter": "1"})
    page = client.post(_url("counter", office), {"action": "finish", "ticket": ticket.pk}, follow=True)
    assert page.status_code == 200
    assert "B-001" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_the_display_feed_reads_a_fixed_number_of_queries(
    client: Client, office: Office, operator_user: Any, django_assert_max_num_queries: Any
) -> None:
    for group in ("building", "fees", "licences", "inquiries", "requests") * 4:
        ticket_issue(office=office, group=group, kind="walk_in")
    for counter in (1, 2, 3):
        ticket_call_next(office=office, counter=counter, actor=operator_user)
    with django_assert_max_num_queries(5):
        response = client.get(_url("display_json", office))
    assert len(json.loads(response.content)["called"]) == 3
