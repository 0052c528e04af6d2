"""One case from counter to certificate, in a real browser: an operator files it with a PDF and
prints the receipt; a reviewer rejects the deed, the operator sends a new one, the reviewer verifies,
accepts and approves; the certificate verifies publicly and the citizen tracks the case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from daftar.cases.models import Case
from daftar.conftest import captcha_answer

from .conftest import screenshot
from .journey import expect_state, new_page, pdf_file, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_case_goes_from_the_counter_to_a_verified_certificate(
    live_server: Any,
    browser: Browser,
    contexts: list[BrowserContext],
    service_version: Any,
    operator_user: Any,
    reviewer_user: Any,
    citizen_user: Any,
) -> None:
    base = str(live_server)
    operator = new_page(browser, contexts)
    reviewer = new_page(browser, contexts, wide=True)

    # The operator files the case at the counter with a real PDF.
    staff_sign_in(operator, base, "operator1")
    operator.get_by_role("link", name="پیشخوان").click()
    operator.get_by_role("textbox", name="کد ملی / شناسه ملی").fill("۰۰۱۲۳۴۵۶۷۹")
    screenshot(operator, "desk-applicant")
    operator.get_by_role("button", name="یافتن", exact=True).click()
    expect(operator.locator("[data-applicant-name]")).to_have_text("سارا احمدی")
    operator.get_by_role("link", name="گواهی عدم خلاف").click()
    operator.get_by_label("کد نوسازی").fill("۳-۱۲۳-۴۵-۶")
    operator.get_by_label("شماره سند").fill("۱۲۳۴۵")
    operator.get_by_label("تعداد طبقات").fill("۴")
    operator.get_by_label("کاربری").select_option(label="مسکونی")
    operator.get_by_label("سند مالکیت").set_input_files(pdf_file("سند.pdf"))
    screenshot(operator, "desk-form")
    operator.get_by_role("button", name="ثبت پرونده").click()
    expect(operator).to_have_url(re.compile(r"/desk/receipt/[A-Z0-9]{10}/$"))
    case = Case.objects.get()
    code = case.tracking_code
    expect(operator.locator("[data-tracking-code]")).to_have_text(f"{code[:5]}-{code[5:]}")
    expect(operator.get_by_text("سند مالکیت")).to_be_visible()
    # Printing: the button appears (our script runs under the CSP) and asks the browser to print.
    operator.evaluate("window.print = () => { window.__printed = true; }")
    operator.get_by_role("button", name="چاپ").click()
    assert operator.evaluate("window.__printed === true")
    operator.emulate_media(media="print")
    expect(operator.locator(".site-header")).to_be_hidden()
    screenshot(operator, "desk-receipt-print")
    operator.emulate_media(media="screen")

    # The reviewer finds it in the inbox and rejects the deed with a reason.
    staff_sign_in(reviewer, base, "reviewer1")
    reviewer.get_by_role("link", name="کارتابل").click()
    row = reviewer.locator(f'tr[data-tracking-code="{code}"]')
    expect(row).to_contain_text("در انتظار بررسی")
    screenshot(reviewer, "inbox")
    row.get_by_role("link").click()
    expect_state(reviewer, "در انتظار بررسی")
    reviewer.get_by_label("دلیل رد سند مالکیت").fill("تصویر سند ناخوانا است")
    reviewer.get_by_role("button", name="رد سند مالکیت").click()
    expect_state(reviewer, "نقص مدارک")
    expect(reviewer.get_by_text("تصویر سند ناخوانا است").first).to_be_visible()

    # The operator uploads a new deed and resubmits.
    operator.get_by_role("link", name="کارتابل").click()
    operator.locator(f'tr[data-tracking-code="{code}"]').get_by_role("link").click()
    expect_state(operator, "نقص مدارک")
    operator.get_by_label("فایل جدید برای سند مالکیت").set_input_files(pdf_file("deed-2.pdf"))
    operator.get_by_role("button", name="بارگذاری سند مالکیت").click()
    expect(operator.get_by_text("فایل دریافت شد.")).to_be_visible()
    operator.locator('form[data-action="resubmit"] button').click()
    expect_state(operator, "در انتظار بررسی")
    screenshot(operator, "case-resubmitted")

    # The reviewer verifies the new deed, accepts and approves: the certificate is issued.
    reviewer.reload()
    expect_state(reviewer, "در انتظار بررسی")
    reviewer.get_by_role("button", name="تأیید سند مالکیت").click()
    expect(reviewer.locator('[data-requirement="deed"]')).to_have_attribute("data-status", "verified")
    reviewer.locator('form[data-action="accept"] button').click()
    expect_state(reviewer, "در انتظار تأیید نهایی")
    reviewer.locator('form[data-action="approve"] button').click()
    expect_state(reviewer, "صادر شد")
    certificate = reviewer.locator("[data-certificate]")
    expect(certificate).to_be_visible()
    screenshot(reviewer, "case-issued")

    # Anyone can check the certificate on the public verification page.
    number = certificate.get_attribute("data-certificate")
    assert number
    public = new_page(browser, contexts)
    public.goto(f"{base}/verify/{number}/")
    expect(public.locator(".badge.open")).to_be_visible()
    screenshot(public, "certificate-verified")

    # The citizen tracks the case with the tracking code and their national code.
    public.get_by_role("link", name="پیگیری پرونده").click()
    public.get_by_label("کد رهگیری").fill(f"{code[:5]}-{code[5:]}".lower())
    public.get_by_label("کد ملی / شناسه ملی متقاضی").fill("۰۰۱۲۳۴۵۶۷۹")
    hashkey = public.locator("input[name=captcha_0]").input_value()
    public.get_by_label("عدد امنیتی").fill(captcha_answer(hashkey))
    public.get_by_role("button", name="نمایش پرونده").click()
    result = public.locator(".track-result")
    expect(result.locator("[data-state]")).to_have_text("صادر شد")
    expect(result).to_contain_text("گواهی عدم خلاف")
    expect(result).not_to_contain_text("رضایی")  # no staff names in public
    screenshot(public, "track")
