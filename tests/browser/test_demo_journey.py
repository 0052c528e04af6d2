"""A citizen's first visit, in a real browser: the home page, OTP sign-in, an office open now."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.offices.models import Holiday, Office
from daftar.offices.services import hours_override_set
from daftar.web.demo import demo_load

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOBILE = "09127654321"


@pytest.fixture
def demo_city() -> Office:
    root = Path(settings.PROJECT_DIR)
    demo_load(
        city_file=root / "catalog" / "demo" / "tehran.yaml",
        catalog_dir=root / "catalog",
    )
    # Whatever the hour the suite runs at, one office is open all day today.
    today = timezone.localdate()
    Holiday.objects.filter(date=today).delete()
    office = Office.objects.filter(licence_status="active").order_by("code").last()
    assert office is not None
    hours_override_set(
        city=office.city, office=office, date=today, spans=[(time(0, 0), time(23, 59))], reason="آزمون"
    )
    return office


def test_citizen_opens_home_signs_in_by_otp_and_finds_an_open_office(
    live_server: object, page: Page, demo_city: Office
) -> None:
    base = str(live_server)
    page.goto(base + "/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator(".family")).to_have_count(12)
    screenshot(page, "home")

    page.get_by_role("link", name="ورود", exact=True).click()
    page.get_by_label("شماره همراه").fill("۰۹۱۲ ۷۶۵ ۴۳۲۱")
    hashkey = page.locator("input[name=captcha_0]").input_value()
    page.get_by_label("عدد امنیتی").fill(captcha_answer(hashkey))
    screenshot(page, "signin")
    page.get_by_role("button", name="ارسال کد").click()
    expect(page).to_have_url(re.compile(r"/signin/code/$"))
    page.get_by_label("کد").fill(last_code_sent_to(MOBILE))
    page.get_by_role("button", name="ورود").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_text("شما وارد شدید")).to_be_visible()

    page.get_by_role("link", name="یافتن دفتر").click()
    page.get_by_label("باز است").check()
    page.get_by_role("button", name="نمایش دفترها").click()
    open_office = page.locator(f'[data-office-code="{demo_city.code}"]')
    expect(open_office).to_be_visible()
    expect(open_office.locator(".badge.open")).to_be_visible()
    screenshot(page, "offices-open-now")


def test_keyboard_user_can_skip_to_content_and_sees_focus(
    live_server: object, page: Page, demo_city: Office
) -> None:
    page.goto(str(live_server) + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="پرش به محتوا")
    expect(skip).to_be_focused()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"


def test_api_docs_render_from_our_own_static_files_under_the_csp(live_server: object, page: Page) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(str(live_server)) and not request.url.startswith("data:")
            else None
        ),
    )
    page.goto(str(live_server) + "/api/v1/docs")
    expect(page.get_by_text("/api/v1/me")).to_be_visible()
    assert outside == []
    assert violations == []
