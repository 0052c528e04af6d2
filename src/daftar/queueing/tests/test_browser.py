"""In a real browser: a citizen takes a ticket at the kiosk, an operator calls it to a counter, and the
waiting-room display shows it without being reloaded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from daftar.offices.models import Office

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"


def _page(browser: Browser, opened: list[Any], *, wide: bool = False) -> Page:
    viewport = {"width": 1366, "height": 768} if wide else {"width": 800, "height": 1000}
    context = browser.new_context(locale="fa-IR", viewport=viewport)  # type: ignore[arg-type]
    opened.append(context)
    return context.new_page()


def _screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_kiosk_ticket_is_called_and_the_display_updates_live(
    live_server: Any, browser: Browser, office: Office, operator_user: Any
) -> None:
    base = f"{live_server}/queue/{office.code}"
    opened: list[Any] = []
    try:
        kiosk = _page(browser, opened)
        screen = _page(browser, opened, wide=True)
        operator = _page(browser, opened, wide=True)

        # The waiting room's screen is on before anyone arrives.
        screen.goto(f"{base}/display/")
        expect(screen.locator(".called-none")).to_have_text("هنوز شماره‌ای فراخوانده نشده است")
        screen.evaluate("window.__sameDocument = true")

        # A citizen takes a building ticket at the kiosk and gets the printable ticket.
        kiosk.goto(f"{base}/kiosk/")
        _screenshot(kiosk, "queue-kiosk")
        kiosk.locator('[data-group="building"]').click()
        expect(kiosk).to_have_url(re.compile(r"/queue/1102/ticket/[^/]+/$"))
        expect(kiosk.locator("[data-ticket-label]")).to_have_text("B-001")
        expect(kiosk.locator("[data-ahead]")).to_have_text("۰")
        _screenshot(kiosk, "queue-ticket")

        # The screen picks up the waiting count by itself.
        expect(screen.locator('[data-group="building"] [data-waiting]')).to_have_text("۱", timeout=10_000)

        # The operator signs in, takes counter 2 and calls the next one.
        operator.goto(f"{live_server}/staff/signin/")
        operator.get_by_label("نام کاربری").fill(operator_user.username)
        operator.get_by_label("گذرواژه").fill(PASSWORD)
        operator.get_by_role("button", name="ورود").click()
        expect(operator).to_have_url(re.compile(r"/account/$"))
        operator.goto(f"{base}/counter/")
        operator.get_by_label("باجه شما").select_option("2")
        operator.get_by_role("button", name="انتخاب باجه").click()
        operator.get_by_role("button", name="فراخوان نفر بعد").click()
        expect(operator.locator("[data-current-ticket]")).to_have_text("B-001")
        _screenshot(operator, "queue-counter")

        # The display shows B-001 at counter 2 within a few seconds, in the same document.
        called = screen.locator('[data-called] li[data-ticket="B-001"]')
        expect(called).to_be_visible(timeout=10_000)
        expect(called.locator(".called-counter b")).to_have_text("۲")
        expect(screen.locator('[data-group="building"] [data-waiting]')).to_have_text("۰")
        assert screen.evaluate("window.__sameDocument === true")
        _screenshot(screen, "queue-display")

        # Service starts and ends at the counter.
        operator.get_by_role("button", name="شروع خدمت").click()
        operator.get_by_role("button", name="پایان خدمت").click()
        expect(operator.get_by_text("نوبتی در این باجه نیست.")).to_be_visible()
    finally:
        for context in opened:
            context.close()
