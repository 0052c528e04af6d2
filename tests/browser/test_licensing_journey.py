"""Licensing an office in a real browser: a citizen reads the conditions on «دفتر خدمات الکترونیک شهر»,
chooses real person and Iranian, signs in by SMS, files the application with every document and the
premises' point on the map and sees the eligibility panel with its pending rules; then a technical
inspector records the site visit on a phone (375×812) with «my current location» and photos."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.licensing.models import SiteVisit, SiteVisitPhoto
from daftar.licensing.tests.builders import applicant, licensing_services, municipal_user, open_call
from daftar.offices.models import City, Zone
from daftar.web.tests.licensing_flow import LICENCE, at_site_visit

from .conftest import screenshot
from .journey import pdf_file, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOBILE = "09123456789"


def _watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def jpeg_file(name: str, colour: tuple[int, int, int]) -> FilePayload:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def _fits_the_screen(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.fixture
def licensing(city: City, zone: Zone, categories: Any, tehran_tariffs: Any) -> dict[str, Any]:
    services = licensing_services()
    officer = municipal_user(city, "licensing1", Role.LICENSING_OFFICER)
    inspector = municipal_user(city, "inspector1", Role.TECHNICAL_INSPECTOR)
    open_call(city, zone, actor=officer, places=2)
    return {"service": services[LICENCE], "officer": officer, "inspector": inspector}


def test_a_citizen_reads_the_conditions_signs_in_and_applies_and_sees_the_pending_rules(
    live_server: Any, browser: Browser, contexts: list[BrowserContext], licensing: dict[str, Any]
) -> None:
    person = Person.objects.create(
        national_code="0013542419", first_name="لیلا", last_name="صالحی", mobile=MOBILE
    )
    User.objects.create_user(username=MOBILE, mobile=MOBILE, person=person)
    context = browser.new_context(locale="fa-IR", viewport={"width": 390, "height": 844})
    contexts.append(context)
    page = context.new_page()
    violations = _watch_csp(page)
    base = str(live_server)

    page.goto(base + "/licensing/")
    expect(page.locator("[data-condition=premises_area]")).to_contain_text("۶۰")
    expect(page.locator("[data-open-calls] [data-call-id]")).to_have_count(1)
    expect(page.locator("[data-apply-link]")).to_have_count(0)
    page.get_by_label("حقیقی").check()
    page.get_by_label("ایرانی", exact=True).check()
    page.locator("[data-applicant-kind] button[type=submit]").click()
    screenshot(page, "licensing-conditions")
    page.locator("[data-apply-link]").click()

    # Sign in: mobile number, the security number (captcha), the code sent by SMS.
    expect(page).to_have_url(re.compile(r"/signin/\?next="))
    page.get_by_label("شماره همراه").fill("۰۹۱۲ ۳۴۵ ۶۷۸۹")
    page.get_by_label("عدد امنیتی").fill(captcha_answer(page.locator("input[name=captcha_0]").input_value()))
    page.get_by_role("button", name="ارسال کد").click()
    page.get_by_label("کد").fill(last_code_sent_to(MOBILE))
    page.get_by_role("button", name="ورود").click()

    # The application form, person type and nationality already chosen.
    expect(page).to_have_url(re.compile(rf"/services/{re.escape(LICENCE)}/apply/\?"))
    expect(page.locator("#id_person_type")).to_have_value("real")
    expect(page.locator("#id_nationality")).to_have_value("iranian")
    page.locator("#id_office_name").fill("دفتر خدمات الکترونیک شهر ملاصدرا")
    page.locator("#id_degree_level").select_option("bachelor")
    page.locator("#id_degree_field").select_option("it")
    page.locator("#id_experience_years").fill("۵")
    page.locator("#id_experience_field").select_option("it")
    for name in ("course_e_city_services", "course_citizen_rights", "course_information_security"):
        page.locator(f"#id_{name}").check()
    page.locator("#id_premises_address").fill("تهران، خیابان ملاصدرا، پلاک ۴۰، طبقه همکف")
    page.locator("#id_premises_postal_code").fill("۱۹۹۱۸۳۳۵۱۱")
    page.locator("#id_premises_use").select_option("commercial")
    page.locator("#id_premises_tenure").select_option("leased")
    page.locator("#id_premises_area_m2").fill("۸۰")
    page.locator("#id_counters").fill("۳")
    page.locator("#id_office_phone").fill("02188001122")
    for name in ("has_computers", "has_fast_internet", "has_printer", "has_sign", "has_visitor_facilities"):
        page.locator(f"#id_{name}").check()
    page.locator("#id_loc_latitude").fill("35.7600")
    page.locator("#id_loc_longitude").fill("51.4300")
    for spec in licensing["service"].documents:
        if spec["required"]:
            page.locator(f"#id_doc_{spec['code']}").set_input_files(pdf_file(f"{spec['code']}.pdf"))
    page.locator("main form button[type=submit]").click()

    case = Case.objects.get(applicant=person)
    expect(page).to_have_url(re.compile(rf"/cases/{case.tracking_code}/$"))
    panel = page.locator("[data-licence-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-rule=applicant_iranian_citizen]")).to_have_attribute(
        "data-rule-state", "passed"
    )
    expect(panel.locator("[data-rule=applicant_degree]")).to_have_attribute("data-rule-state", "pending")
    expect(panel.locator("[data-rule=applicant_passed_exam]")).to_have_attribute("data-rule-state", "pending")
    expect(panel.locator("[data-zone]")).to_have_text("منطقه ۳")
    expect(panel.locator("form")).to_have_count(0)  # the applicant schedules nothing
    _fits_the_screen(page)
    screenshot(page, "licensing-application-panel")
    assert violations == []


def test_the_inspector_records_the_site_visit_on_a_phone_with_the_current_location_and_photos(
    live_server: Any,
    browser: Browser,
    contexts: list[BrowserContext],
    licensing: dict[str, Any],
    pay_case_bills: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    case = at_site_visit(
        licensing["service"],
        applicant(),
        licensing["officer"],
        pay_case_bills,
        django_capture_on_commit_callbacks,
    )
    context = browser.new_context(
        locale="fa-IR",
        viewport={"width": 375, "height": 812},
        geolocation={"latitude": 35.76012, "longitude": 51.43021},
        permissions=["geolocation"],
    )
    contexts.append(context)
    page = context.new_page()
    violations = _watch_csp(page)
    base = str(live_server)
    staff_sign_in(page, base, "inspector1")

    page.goto(f"{base}/cases/{case.tracking_code}/")
    page.locator("[data-site-visit-link]").click()
    expect(page).to_have_url(re.compile(r"/site-visit/$"))
    _fits_the_screen(page)
    page.locator("#id_measured_area_m2").fill("۸۲٫۵")
    page.locator("input[name=building_use][value=commercial]").check()
    for title in ("رایانه‌های کافی برای باجه‌ها", "اینترنت پرسرعت", "چاپگر و اسکنر", "تابلوی دفتر"):
        page.get_by_label(title).check()
    locate = page.locator("[data-geolocate]")
    expect(locate).to_be_visible()  # shown only where the script runs
    locate.click()
    expect(page.locator("#id_latitude")).to_have_value("35.760120")
    expect(page.locator("#id_longitude")).to_have_value("51.430210")
    page.locator("#id_notes").fill("فضای انتظار کوچک است")
    page.locator("#id_photos").set_input_files(
        [jpeg_file("front.jpg", (200, 30, 30)), jpeg_file("hall.jpg", (30, 30, 200))]
    )
    screenshot(page, "licensing-site-visit-phone")
    page.locator("[data-form=site-visit] button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case.tracking_code}/$"))
    expect(page.locator("[data-site-visit]")).to_be_visible()
    visit = SiteVisit.objects.get(application__case=case)
    assert str(visit.latitude) == "35.760120"
    assert visit.equipment["has_visitor_facilities"] is False
    assert SiteVisitPhoto.objects.filter(visit=visit).count() == 2
    case.refresh_from_db()
    assert case.state == "decision"
    assert violations == []
