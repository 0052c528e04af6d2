"""Paying a bill online in a real browser, through the local sandbox bank: a citizen finds the
annual bill of a property by its renewal code, pays with «پرداخت», sees «پرداخت شد» and downloads
the receipt; a payer whose bank errs after taking the money («خطا پس از برداشت») still ends paid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from daftar.accounts.models import Person, User
from daftar.billing.models import Bill, Payment, Receipt
from daftar.billing.tests.builders import annual_bill
from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.offices.models import City

from .conftest import screenshot
from .journey import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOBILE = "09121234567"


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/signin/")
    page.get_by_label("شماره همراه").fill("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.get_by_label("عدد امنیتی").fill(captcha_answer(page.locator("input[name=captcha_0]").input_value()))
    page.get_by_role("button", name="ارسال کد").click()
    expect(page).to_have_url(re.compile(r"/signin/code/$"))
    page.get_by_label("کد").fill(last_code_sent_to(MOBILE))
    page.get_by_role("button", name="ورود").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def find_by_renewal_code(page: Page, bill: Bill) -> None:
    page.get_by_label("کد نوسازی (ملک)").check()
    page.get_by_role("textbox", name="کد", exact=True).fill("۳-۱۲۳-۴۵-۶")
    page.get_by_role("button", name="نمایش قبض‌ها").click()
    found = page.locator(f'section[aria-labelledby="found-title"] tr[data-bill="{bill.number}"]')
    expect(found).to_contain_text("۶٬۷۷۰٬۰۰۰ ریال")
    found.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/bills/{bill.number}/$"))
    expect(page.locator("[data-due-today]")).to_have_text("۶٬۷۷۰٬۰۰۰ ریال")


def go_to_the_bank(page: Page) -> None:
    expect(page.get_by_label("بانک آزمایشی")).to_be_checked()
    page.get_by_role("button", name="پرداخت از درگاه بانک").click()
    expect(page).to_have_url(re.compile(r"/sandbox-bank/pay/SBX[0-9A-F]+/$"))
    expect(page.locator("[data-amount]")).to_have_text("۶٬۷۷۰٬۰۰۰ ریال")
    page.get_by_label("شمارهٔ کارت").fill("6037 9912 3456 1234")


def test_a_citizen_finds_a_bill_by_renewal_code_pays_it_and_downloads_the_receipt(
    live_server: Any,
    browser: Browser,
    contexts: list[BrowserContext],
    city: City,
    applicant_person: Person,
    tmp_path: Path,
) -> None:
    base = str(live_server)
    # A citizen who signs in by SMS code (no password: a password would make it a staff account).
    User.objects.create_user(username=MOBILE, mobile=MOBILE, person=applicant_person)
    bill = annual_bill(city, applicant_person)
    page = new_page(browser, contexts)
    sign_in(page, base)

    page.get_by_role("link", name="قبض‌های من").click()
    expect(page.locator(f'tr[data-bill="{bill.number}"]').first).to_be_visible()
    find_by_renewal_code(page, bill)
    screenshot(page, "bill-page")
    go_to_the_bank(page)
    screenshot(page, "sandbox-bank")
    page.get_by_role("button", name="پرداخت", exact=True).click()

    expect(page).to_have_url(re.compile(r"/pay/result/\d+/$"))
    expect(page.locator("[data-result-title]")).to_have_text("پرداخت شد")
    screenshot(page, "payment-result")
    with page.expect_download() as download:
        page.get_by_role("link", name="دریافت رسید (PDF)").click()
    saved = tmp_path / "receipt.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    receipt = Receipt.objects.get()
    assert download.value.suggested_filename == f"receipt-{receipt.number}.pdf"

    page.get_by_role("link", name="بازگشت به قبض").click()
    expect(page.locator("[data-bill-status]")).to_have_attribute("data-bill-status", "paid")
    expect(page.get_by_role("button", name="پرداخت از درگاه بانک")).to_have_count(0)
    bill.refresh_from_db()
    assert bill.status == "paid"
    assert Payment.objects.get().status == "succeeded"


def test_an_error_at_the_bank_after_the_debit_still_ends_paid(
    live_server: Any,
    browser: Browser,
    contexts: list[BrowserContext],
    city: City,
    applicant_person: Person,
) -> None:
    base = str(live_server)
    bill = annual_bill(city, applicant_person)
    page = new_page(browser, contexts)
    page.goto(base + "/")
    page.get_by_role("link", name="پرداخت قبض").click()
    find_by_renewal_code(page, bill)
    go_to_the_bank(page)
    page.get_by_role("button", name="خطا پس از برداشت").click()

    expect(page).to_have_url(re.compile(r"/pay/result/\d+/$"))
    expect(page.locator("[data-result-title]")).to_have_text("پرداخت شد")
    screenshot(page, "payment-result-after-bank-error")
    bill.refresh_from_db()
    assert bill.status == "paid"
