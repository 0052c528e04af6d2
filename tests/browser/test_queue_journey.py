"""In a real browser: a citizen takes a ticket at the kiosk, an operator calls it to a counter, and the
waiting-room display shows it without being reloaded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from daftar.offices.models import Office

from .conftest import screenshot
from .journey import new_page, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_kiosk_ticket_is_called_and_the_display_updates_live(
    live_server: Any, browser: Browser, contexts: list[BrowserContext], office: Office, operator_user: Any
) -> None:
    base = f"{live_server}/queue/{office.code}"
    kiosk = new_page(browser, contexts)
    screen = new_page(browser, contexts, wide=True)
    operator = new_page(browser, contexts, wide=True)

    # The waiting room's screen is on before anyone arrives.
    screen.goto(f"{base}/display/")
    expect(screen.locator(".called-none")).to_have_text("هنوز شماره‌ای فراخوانده نشده است")
    screen.evaluate("window.__sameDocument = true")

    # A citizen takes a building ticket at the kiosk and gets the printable ticket.
    kiosk.goto(f"{base}/kiosk/")
    screenshot(kiosk, "queue-kiosk")
    kiosk.locator('[data-group="building"]').click()
    expect(kiosk).to_have_url(re.compile(r"/queue/1102/ticket/[^/]+/$"))
    expect(kiosk.locator("[data-ticket-label]")).to_have_text("B-001")
    expect(kiosk.locator("[data-ahead]")).to_have_text("۰")
    screenshot(kiosk, "queue-ticket")

    # The screen picks up the waiting count by itself.
    expect(screen.locator('[data-group="building"] [data-waiting]')).to_have_text("۱", timeout=10_000)

    # The operator signs in, takes counter 2 and calls the next one.
    staff_sign_in(operator, str(live_server), operator_user.username)
    operator.goto(f"{base}/counter/")
    operator.get_by_label("باجه شما").select_option("2")
    operator.get_by_role("button", name="انتخاب باجه").click()
    operator.get_by_role("button", name="فراخوان نفر بعد").click()
    expect(operator.locator("[data-current-ticket]")).to_have_text("B-001")
    screenshot(operator, "queue-counter")

    # The display shows B-001 at counter 2 within a few seconds, in the same document.
    called = screen.locator('[data-called] li[data-ticket="B-001"]')
    expect(called).to_be_visible(timeout=10_000)
    expect(called.locator(".called-counter b")).to_have_text("۲")
    expect(screen.locator('[data-group="building"] [data-waiting]')).to_have_text("۰")
    assert screen.evaluate("window.__sameDocument === true")
    screenshot(screen, "queue-display")

    # Service starts and ends at the counter.
    operator.get_by_role("button", name="شروع خدمت").click()
    operator.get_by_role("button", name="پایان خدمت").click()
    expect(operator.get_by_text("نوبتی در این باجه نیست.")).to_be_visible()
