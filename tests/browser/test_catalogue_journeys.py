"""Three families of the shipped catalogue, from the counter to a certificate that verifies, in a real
browser: the operator registers the applicant, finds the service by its Persian name, fills its whole
form with a location and a PDF per required document and gets the receipt; the reviewer of the
workflow rejects a document, the operator sends a new one and resubmits; the reviewer verifies every
document and accepts, the technical inspector records the site visit, the reviewer approves, and the
certificate's public verification page (linked from the case page) says it is valid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect

from daftar.accounts.models import User
from daftar.billing.models import Bill
from daftar.catalog.models import ServiceVersion
from daftar.catalog.selectors import service_current
from daftar.catalog.services import catalog_load
from daftar.core.i18n import pick
from daftar.offices.models import Office
from daftar.offices.services import staff_assign
from tests.e2e.test_api_journeys import JOURNEYS

from .conftest import screenshot
from .journey import PASSWORD, expect_state, new_page, pdf_file, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
APPLICANT = {
    "national_code": "0012345679",
    "first_name": "سارا",
    "last_name": "احمدی",
    "mobile": "09121234567",
}
LOCATION = {  # label: value; these services require a location
    "عرض جغرافیایی": "35.7575",
    "طول جغرافیایی": "51.4100",
    "نشانی": "تهران، میدان ونک، خیابان ملاصدرا",
}
SUBMITTED, CORRECTION, ISSUED = "در انتظار بررسی مدارک", "نقص مدارک", "صادر شد"
AWAITING_PAYMENT = "در انتظار پرداخت هزینه‌ها"
STAFF = {
    # username: (role, first name, last name); office roles work at the `office` fixture
    "operator": ("office_operator", "مریم", "کاظمی"),
    "reviewer": ("municipal_reviewer", "علی", "رضایی"),
    "inspector": ("technical_inspector", "حسین", "نوری"),
    "licensing": ("licensing_officer", "زهرا", "موسوی"),
}


@dataclass(frozen=True)
class Journey:
    reviewer: str  # the username of the role that checks the documents, accepts and approves
    inspection: str  # the name of the state the inspector records a result in
    approval: str  # the name of the state waiting for the final approval


JOURNEY_STEPS = {
    "building.new_construction_permit": Journey(
        "reviewer", "در حال بررسی فنی و بازدید ملک", "در انتظار تصویب نقشه‌ها و صدور پروانه"
    ),
    "business.new_licence": Journey("licensing", "در انتظار بازدید از محل کسب", "در انتظار صدور پروانه"),
    "building.completion_certificate": Journey(
        "reviewer", "در انتظار بازدید کارشناس", "در انتظار تأیید نهایی"
    ),
}


@pytest.fixture
def staff(office: Office, tehran_tariffs: None) -> dict[str, User]:
    """The shipped catalogue and tariffs, and the staff who work its cases in the office's city."""
    catalog_load(directory=settings.DAFTAR_CATALOG_DIR)
    users = {}
    for username, (role, first, last) in STAFF.items():
        user = User.objects.create_user(
            username=username, password=PASSWORD, first_name=first, last_name=last
        )
        at_office = office if role == "office_operator" else None
        staff_assign(user=user, role=role, city=office.city, office=at_office)
        users[username] = user
    return users


def open_from_inbox(page: Page, code: str, state: str) -> None:
    page.get_by_role("link", name="کارتابل").click()
    row = page.locator(f'tr[data-tracking-code="{code}"]')
    expect(row).to_contain_text(state)
    row.get_by_role("link").click()
    expect_state(page, state)


def required_documents(service: ServiceVersion) -> list[tuple[str, str]]:
    """(code, Persian name) of each document the service requires, in catalogue order."""
    return [
        (spec["code"], pick(spec["name"]["fa"], spec["name"].get("en", "")))
        for spec in service.documents
        if spec.get("required", True)
    ]


@pytest.mark.parametrize("code", list(JOURNEY_STEPS))
def test_a_catalogue_service_goes_from_the_counter_through_correction_to_a_verified_certificate(
    code: str, live_server: Any, browser: Browser, contexts: list[BrowserContext], staff: dict[str, User]
) -> None:
    base = str(live_server)
    steps = JOURNEY_STEPS[code]
    service = service_current(code=code)
    assert service is not None
    assert service.location == "required"
    schema = service.intake_schema
    data = JOURNEYS[code]
    assert set(data) == set(schema["properties"]), "the realistic data fills every intake field"
    documents = required_documents(service)
    operator = new_page(browser, contexts, wide=True)
    reviewer = new_page(browser, contexts, wide=True)
    inspector = new_page(browser, contexts)  # on site, with a phone

    # The operator registers the applicant at the desk: not found by national code, so registered.
    staff_sign_in(operator, base, "operator")
    operator.get_by_role("link", name="پیشخوان").click()
    find = operator.locator('section[aria-labelledby="find-title"]')
    find.get_by_role("textbox", name="کد ملی / شناسه ملی").fill(APPLICANT["national_code"])
    find.get_by_role("button", name="یافتن", exact=True).click()
    register = operator.locator("details#register")
    expect(register).to_have_attribute("open", "")
    expect(register.get_by_role("textbox", name="کد ملی / شناسه ملی")).to_have_value(
        APPLICANT["national_code"]
    )
    register.get_by_label("نام", exact=True).fill(APPLICANT["first_name"])
    register.get_by_label("نام خانوادگی", exact=True).fill(APPLICANT["last_name"])
    register.get_by_label("شماره همراه", exact=True).fill(APPLICANT["mobile"])
    register.get_by_role("button", name="ثبت و ادامه").click()
    expect(operator).to_have_url(re.compile(r"/desk/services/$"))
    expect(operator.locator("[data-applicant-name]")).to_have_text("سارا احمدی")

    # The service, found by its Persian name.
    search = operator.get_by_role("search", name="جست‌وجوی خدمات")
    search.get_by_role("textbox", name="جست‌وجوی خدمات").fill(service.name)
    search.get_by_role("button").click()
    expect(operator).to_have_url(re.compile(r"/desk/services/\?q="))
    listed = operator.locator(f'[data-service-code="{code}"]')
    expect(listed).to_have_count(1)
    listed.get_by_role("link", name=service.name, exact=True).click()
    expect(operator.get_by_role("heading", level=1)).to_have_text(service.name)

    # Every intake field, the location and a PDF for every required document.
    form = operator.locator("form[enctype='multipart/form-data']")
    for name, value in data.items():
        field = form.locator(f'[name="{name}"]')
        if schema["properties"][name].get("enum"):
            field.select_option(value=value)
        else:
            field.fill(value)
    for label, value in LOCATION.items():
        form.get_by_role("textbox", name=label, exact=True).fill(value)
    for requirement, name in documents:
        # A file input's accessible role is a button named by its label.
        form.get_by_role("button", name=name, exact=True).set_input_files(pdf_file(f"{requirement}.pdf"))
    operator.get_by_role("button", name="ثبت پرونده").click()
    expect(operator).to_have_url(re.compile(r"/desk/receipt/[A-Z0-9]{10}/$"))
    tracking = operator.url.rstrip("/").rsplit("/", 1)[-1]
    expect(operator.locator("[data-tracking-code]")).to_have_text(f"{tracking[:5]}-{tracking[5:]}")
    received = operator.locator(".receipt li")
    expect(received).to_have_count(len(documents))
    for _requirement, name in documents:
        expect(received.filter(has_text=name)).to_have_count(1)
    screenshot(operator, f"{code}-receipt")

    # The workflow's reviewer rejects the first document: the case waits for a correction.
    first, first_name = documents[0]
    staff_sign_in(reviewer, base, steps.reviewer)
    open_from_inbox(reviewer, tracking, SUBMITTED)
    row = reviewer.locator(f'[data-requirement="{first}"]')
    reason = "تصویر ناخوانا است؛ نسخهٔ اسکن‌شده با کیفیت بهتر بارگذاری شود"
    row.get_by_label(f"دلیل رد {first_name}").fill(reason)
    row.get_by_role("button", name=f"رد {first_name}", exact=True).click()
    expect_state(reviewer, CORRECTION)
    expect(reviewer.locator(f'[data-requirement="{first}"]')).to_have_attribute("data-status", "rejected")

    # The operator opens the case from the receipt, uploads a new file and resubmits.
    operator.get_by_role("link", name="مشاهدهٔ پرونده").click()
    expect_state(operator, CORRECTION)
    row = operator.locator(f'[data-requirement="{first}"]')
    expect(row.locator(".reason")).to_contain_text(reason)
    screenshot(operator, f"{code}-correction")
    row.get_by_label(f"فایل جدید برای {first_name}").set_input_files(pdf_file(f"{first}-2.pdf"))
    row.get_by_role("button", name=f"بارگذاری {first_name}", exact=True).click()
    expect(operator.get_by_text("فایل دریافت شد.")).to_be_visible()
    expect(operator.locator(f'[data-requirement="{first}"]')).to_have_attribute("data-status", "pending")
    operator.locator('form[data-action="resubmit"] button').click()
    expect_state(operator, SUBMITTED)

    # The reviewer verifies every document and accepts: the case goes to the inspector.
    reviewer.reload()
    expect_state(reviewer, SUBMITTED)
    for requirement, name in documents:
        row = reviewer.locator(f'[data-requirement="{requirement}"]')
        row.get_by_role("button", name=f"تأیید {name}", exact=True).click()
        expect(reviewer.locator(f'[data-requirement="{requirement}"]')).to_have_attribute(
            "data-status", "verified"
        )
    reviewer.locator('form[data-action="accept"] button').click()
    expect_state(reviewer, AWAITING_PAYMENT)

    # The applicant pays the fees on the office's card terminal; the case moves on by itself.
    bill = Bill.objects.get(case__tracking_code=tracking)
    assert {item.line for item in bill.items.all()} == {"municipal_fee", "office_tariff"}
    operator.goto(f"{base}/desk/bills/{bill.number}/")
    operator.get_by_label("شماره پیگیری پایانه").fill("۶۲۱۵۴۸۷۳۹۰")
    operator.get_by_role("button", name="ثبت پرداخت").click()
    expect(operator).to_have_url(re.compile(r"/desk/payments/[0-9]+/$"))
    bill.refresh_from_db()
    assert bill.status == "paid"
    reviewer.reload()
    expect_state(reviewer, steps.inspection)

    # The inspector records the site visit, with the reason the workflow requires.
    staff_sign_in(inspector, base, "inspector")
    open_from_inbox(inspector, tracking, steps.inspection)
    visit = inspector.locator('form[data-action="record_inspection"]')
    visit.get_by_role("textbox").fill("بازدید از محل انجام شد و وضع موجود با مدارک و نقشه‌ها مطابقت دارد")
    visit.get_by_role("button").click()
    expect_state(inspector, steps.approval)

    # The reviewer approves: the certificate is issued and shown on the case page.
    reviewer.reload()
    expect_state(reviewer, steps.approval)
    reviewer.locator('form[data-action="approve"] button').click()
    expect_state(reviewer, ISSUED)
    certificate = reviewer.locator("[data-certificate]")
    expect(certificate).to_have_count(1)
    expect(certificate).to_contain_text(str(service.output["title"]["fa"]))
    screenshot(reviewer, f"{code}-issued")

    # Anyone can follow the case page's link to the public verification page: it says valid.
    number = certificate.get_attribute("data-certificate")
    link = certificate.get_by_role("link", name="صفحهٔ استعلام اصالت").get_attribute("href")
    assert number
    assert link
    assert number in link
    public = new_page(browser, contexts)
    public.goto(base + link)
    expect(public.locator(".badge.open")).to_have_text("معتبر")
    expect(public.get_by_text("این گواهی را شهرداری صادر کرده و معتبر است.")).to_be_visible()
    expect(public.locator("dl.facts")).to_contain_text(number)
    screenshot(public, f"{code}-verified")
