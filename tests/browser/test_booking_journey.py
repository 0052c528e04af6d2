"""Booking an appointment in Persian, in a real browser: OTP sign-in, office and service, a day on
the Jalali month calendar, a time, the confirmation with the booking code, then cancelling it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from daftar.accounts.models import Person, User
from daftar.appointments.models import Booking, BookingStatus
from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.core.jalali import MONTH_NAMES_FA, local_today
from daftar.offices.models import Office

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOBILE = "09127654321"


@pytest.fixture
def citizen(db: None) -> User:
    """A citizen who signed in by SMS before and completed their details (no password: not staff)."""
    person = Person.objects.create(
        national_code="0013542419", first_name="رضا", last_name="نادری", mobile=MOBILE
    )
    return User.objects.create_user(username=MOBILE, mobile=MOBILE, person=person)


def sign_in_by_otp(page: Page) -> None:
    page.get_by_label("شماره همراه").fill("۰۹۱۲ ۷۶۵ ۴۳۲۱")
    hashkey = page.locator("input[name=captcha_0]").input_value()
    page.get_by_label("عدد امنیتی").fill(captcha_answer(hashkey))
    page.get_by_role("button", name="ارسال کد").click()
    expect(page).to_have_url(re.compile(r"/signin/code/$"))
    page.get_by_label("کد").fill(last_code_sent_to(MOBILE))
    page.get_by_role("button", name="ورود").click()


def choose_a_day_after_today(page: Page) -> str:
    """Click the first bookable day after today (a booking today might be too close to cancel)."""
    for _month in range(3):
        days = page.locator("a[data-day]").evaluate_all("els => els.map(e => e.dataset.day)")
        later = [day for day in days if day > local_today().isoformat()]
        if later:
            page.locator(f'a[data-day="{later[0]}"]').click()
            return later[0]
        page.get_by_role("link", name="ماه بعد").first.click()
    raise AssertionError("no bookable day in the coming months")


def test_a_citizen_books_a_time_on_the_jalali_calendar_and_cancels_it(
    live_server: Any, page: Page, citizen: User, office: Office, service_version: Any
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    base = str(live_server)
    page.goto(base + "/appointments/new/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/appointments/new/$"))
    sign_in_by_otp(page)
    expect(page).to_have_url(re.compile(r"/appointments/new/$"))

    # Step 1: the office (found by name), then the service.
    page.get_by_label("نام یا کد دفتر").fill("ونك")  # Arabic kaf: found all the same
    page.get_by_role("button", name="نمایش دفترها").click()
    page.get_by_role("link", name=office.name).click()
    page.get_by_role("link", name="گواهی عدم خلاف").click()

    # Step 2: the Jalali month calendar, Saturday first, only bookable days are links.
    calendar = page.locator("[data-calendar]")
    expect(calendar.locator("[data-month]")).to_have_text(
        re.compile(f"^({'|'.join(MONTH_NAMES_FA)}) [۰-۹]{{4}}$")
    )
    expect(calendar.locator("th").first).to_have_text("ش")
    expect(calendar.locator("[aria-disabled=true]").first).to_be_visible()
    screenshot(page, "booking-calendar")
    day = choose_a_day_after_today(page)
    expect(page.locator(f'a[data-day="{day}"]')).to_have_attribute("aria-current", "date")

    # Step 3: the free times as buttons in Persian digits; step 4: confirm.
    times = page.locator("[data-times] button[name=time]")
    expect(times.first).to_have_text(re.compile(r"^[۰-۹]{2}:[۰-۹]{2}$"))
    chosen = times.first.inner_text()
    times.first.click()
    screenshot(page, "booking-confirm")
    page.get_by_role("button", name="ثبت نوبت در این زمان").click()

    booking = Booking.objects.get()
    expect(page).to_have_url(re.compile(rf"/appointments/{booking.code}/$"))
    expect(page.locator("[data-booking-code]")).to_have_text(booking.code)
    expect(page.get_by_text(office.address)).to_be_visible()
    expect(page.locator("main")).to_contain_text(chosen)
    expect(page.get_by_text("نوبت ثبت شد")).to_be_visible()
    screenshot(page, "booking-confirmation")

    page.get_by_label("دلیل (اختیاری)").fill("کار پیش آمد")
    page.get_by_role("button", name="لغو نوبت").click()
    expect(page.get_by_text(f"نوبت {booking.code} لغو شد.")).to_be_visible()
    expect(page.locator("[data-booking-status]")).to_have_attribute("data-booking-status", "cancelled")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_reason == "کار پیش آمد"

    page.get_by_role("link", name="نوبت‌های من").first.click()
    expect(page.locator(f'[data-booking="{booking.code}"]')).to_be_visible()
    assert violations == []
