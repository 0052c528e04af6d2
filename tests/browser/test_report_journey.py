"""A citizen's report of an excavation left open, in a real browser (a phone for the citizen): filed
online with two hazards and an address only, information added; staff find it on the reports list
and another report (with a point) on the map, resolve it; the citizen reopens it within the window."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from daftar.accounts.models import User
from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.services import Location, case_file
from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.offices.models import Zone
from daftar.testing import shipped_service

from .conftest import screenshot
from .journey import expect_state, new_page, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOBILE = "09121234567"  # conftest's citizen_user


def citizen_sign_in(page: Page, base: str, next_path: str) -> None:
    page.goto(base + next_path)
    expect(page).to_have_url(re.compile(r"/signin/\?next="))
    page.get_by_label("شماره همراه").fill("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    hashkey = page.locator("input[name=captcha_0]").input_value()
    page.get_by_label("عدد امنیتی").fill(captcha_answer(hashkey))
    page.get_by_role("button", name="ارسال کد").click()
    expect(page).to_have_url(re.compile(r"/signin/code/$"))
    page.get_by_label("کد").fill(last_code_sent_to(MOBILE))
    page.get_by_role("button", name="ورود").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def watch_csp(page: Page, violations: list[str]) -> None:
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )


def test_a_citizen_reports_an_open_excavation_staff_resolve_it_and_the_citizen_reopens_it(
    live_server: Any,
    browser: Browser,
    contexts: list[BrowserContext],
    categories: None,
    zone: Zone,
    reviewer_user: User,
    citizen_user: User,
) -> None:
    base = str(live_server)
    citizen_user.set_unusable_password()  # a citizen signs in by SMS code (password accounts are staff)
    citizen_user.save(update_fields=["password"])
    excavation = shipped_service("citizen_reports.yaml", "report.open_excavation")
    violations: list[str] = []
    citizen = new_page(browser, contexts)
    reviewer = new_page(browser, contexts, wide=True)
    watch_csp(citizen, violations)
    watch_csp(reviewer, violations)

    # The citizen files the report online: two hazards ticked, an address and no map point.
    citizen_sign_in(citizen, base, "/services/report.open_excavation/apply/")
    citizen.get_by_label("بدون حفاظ").check()
    citizen.get_by_label("آب‌گرفتگی").check()
    citizen.get_by_label("شرح گزارش").fill("ترانشه بدون حفاظ جلوی در مدرسه رها شده است")
    citizen.get_by_label("نشانی").fill("تهران، خیابان شریعتی، کوچه یاس، روبروی مدرسه")
    screenshot(citizen, "report-form")
    citizen.get_by_role("button", name="ارسال درخواست").click()
    expect(citizen).to_have_url(re.compile(r"/cases/[A-Z0-9]{10}/$"))
    case = Case.objects.get()
    code = case.tracking_code
    assert case.data["hazards"] == ["no_fence", "water"]
    assert (case.latitude, case.address) == (None, "تهران، خیابان شریعتی، کوچه یاس، روبروی مدرسه")
    expect_state(citizen, "ثبت‌شده، در انتظار بررسی")

    # … and adds information to it.
    note = citizen.locator('[data-followup="note"]')
    note.locator("textarea").fill("امروز عصر یک عابر در آن افتاد")
    note.get_by_role("button").click()
    expect(citizen).to_have_url(re.compile(f"/cases/{code}/$"))
    expect(citizen.get_by_text("امروز عصر یک عابر در آن افتاد").first).to_be_visible()
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).count() == 1

    # Another citizen's report of the same kind was filed with a point inside district 3.
    assert citizen_user.person is not None
    placed = case_file(
        service=excavation,
        applicant=citizen_user.person,
        office=None,
        channel="online",
        data={"hazards": ["debris"], "description": "نخاله کنار جوی آب"},
        actor=citizen_user,
        location=Location(latitude=Decimal("35.775"), longitude=Decimal("51.445")),
    )

    # Staff find the first on the list (filtered by text), the second as a dot on the map.
    staff_sign_in(reviewer, base, "reviewer1")
    reviewer.goto(base + "/reports/")
    expect(reviewer.locator(f'tr[data-tracking-code="{code}"]')).to_contain_text("کوچه یاس")
    expect(reviewer.locator(f'tr[data-tracking-code="{placed.tracking_code}"]')).to_be_visible()
    reviewer.locator("#id_q").fill("یاس")
    reviewer.locator("form[role=search] button[type=submit]").click()
    expect(reviewer.locator("tbody tr[data-tracking-code]")).to_have_count(1)
    screenshot(reviewer, "reports-list")
    reviewer.goto(base + "/reports/map/")
    dot = reviewer.locator(f'svg a[data-tracking-code="{placed.tracking_code}"] circle')
    expect(dot).to_be_visible()
    assert dot.get_attribute("fill") == "#a4161a"  # new: not yet taken up
    expect(reviewer.locator('path[data-district="3"]')).to_be_visible()
    expect(reviewer.locator(f'svg a[data-tracking-code="{code}"]')).to_have_count(0)
    expect(reviewer.locator(f'[data-address-only] li[data-tracking-code="{code}"]')).to_be_visible()
    screenshot(reviewer, "reports-map")

    # The reviewer opens the first report from the list, takes it up and resolves it.
    reviewer.goto(base + "/reports/")
    reviewer.locator(f'tr[data-tracking-code="{code}"]').get_by_role("link").first.click()
    expect(reviewer).to_have_url(re.compile(f"/cases/{code}/$"))
    reviewer.get_by_role("button", name="پذیرش و ارجاع برای رفع").click()
    expect_state(reviewer, "در دست اقدام")
    reviewer.get_by_label("دلیل: رفع شد؛ اعلام نتیجه به شهروند").fill("حفاظ و چراغ هشدار نصب شد")
    reviewer.get_by_role("button", name="رفع شد؛ اعلام نتیجه به شهروند").click()
    expect_state(reviewer, "رسیدگی و رفع شد")

    # The citizen sees it resolved and reopens it within the window.
    citizen.reload()
    expect_state(citizen, "رسیدگی و رفع شد")
    reopen = citizen.locator('[data-followup="reopen"]')
    expect(reopen).to_be_visible()
    expect(reopen).to_contain_text(re.compile("[۰-۹]{4}"))  # the last day, in Jalali
    reopen.locator("textarea").fill("حفاظ را دوباره برداشته‌اند")
    screenshot(citizen, "report-reopen")
    reopen.get_by_role("button").click()
    expect_state(citizen, "در دست اقدام")
    expect(citizen.get_by_text("حفاظ را دوباره برداشته‌اند").first).to_be_visible()
    case.refresh_from_db()
    assert (case.state, case.closed_at) == ("in_progress", None)
    assert violations == []
