"""Fixtures shared by every app's tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest
from django.core.cache import cache

from daftar.core.memo import memo_clear_all
from daftar.offices.models import City, LicenceStatus, Office, WeeklyHours, Zone
from daftar.sms.models import SmsMessage


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters live in the cache; each test starts with none. The process-local
    # reference caches (daftar.core.memo) would outlive a flushed database: cleared as well.
    cache.clear()
    memo_clear_all()
    yield
    cache.clear()
    memo_clear_all()


# The fee the test service (building.no_violation_certificate) charges in the test city.
NO_VIOLATION_FEE = 2_500_000


@pytest.fixture
def city(db: None) -> City:
    from daftar.billing.models import FeeRule
    from daftar.core.jalali import fiscal_year_bounds, fiscal_year_of, local_today

    city = City.objects.create(code="tehran", name_fa="تهران", name_en="Tehran")
    year = fiscal_year_of(local_today())
    start, end = fiscal_year_bounds(year)
    FeeRule.objects.create(
        city=city,
        fiscal_year=year,
        code="building.no_violation_fee",
        title_fa="عوارض صدور گواهی عدم خلاف",
        fee_type="building",
        kind="fixed",
        definition={"amount": NO_VIOLATION_FEE},
        effective_from=start,
        effective_to=end,
    )
    return city


@pytest.fixture
def zone(city: City) -> Zone:
    return Zone.objects.create(
        city=city,
        number=3,
        name="منطقه ۳",
        boundary={
            "type": "Polygon",
            "coordinates": [[[51.40, 35.74], [51.46, 35.74], [51.46, 35.79], [51.40, 35.79], [51.40, 35.74]]],
        },
    )


@pytest.fixture
def office(city: City, zone: Zone) -> Office:
    office = Office.objects.create(
        city=city,
        zone=zone,
        code="1102",
        name="دفتر خدمات الکترونیک شهر کد ۱۱۰۲ — ونک",
        licence_status=LicenceStatus.ACTIVE,
        address="تهران، میدان ونک، خیابان ملاصدرا، پلاک ۱۲",
        latitude="35.7575",
        longitude="51.4100",
        counters=3,
    )
    for weekday in (5, 6, 0, 1, 2):  # Saturday to Wednesday
        WeeklyHours.objects.create(office=office, weekday=weekday, opens=time(8), closes=time(15))
    WeeklyHours.objects.create(office=office, weekday=3, opens=time(8), closes=time(13))  # Thursday
    return office


def last_code_sent_to(mobile: str) -> str:
    """The sign-in code in the newest SMS to this number (the console provider keeps the text)."""
    message = SmsMessage.objects.filter(to=mobile, purpose="otp").order_by("-id").first()
    assert message is not None, f"no code was sent to {mobile}"
    match = re.search(r"\d{6}", message.body)
    assert match is not None, message.body
    return match.group(0)


def captcha_answer(hashkey: str) -> str:
    from captcha.models import CaptchaStore

    return CaptchaStore.objects.get(hashkey=hashkey).response


# --- the case engine ------------------------------------------------------------------------------

TEST_WORKFLOW = {
    "start": "submitted",
    "states": {
        "submitted": {
            "name": {"fa": "در انتظار بررسی", "en": "Awaiting review"},
            "sla_working_days": 2,
            "on_overdue": {"escalate_to": ["city_administrator"]},
            "actions": {
                "accept": {
                    "to": "approval",
                    "roles": ["municipal_reviewer"],
                    "guards": ["documents_verified"],
                },
            },
        },
        "approval": {
            "name": {"fa": "در انتظار تأیید نهایی", "en": "Awaiting approval"},
            "sla_working_days": 3,
            "actions": {
                "approve": {
                    "name": {"fa": "تأیید و صدور گواهی", "en": "Approve and issue"},
                    "to": "issued",
                    "roles": ["municipal_reviewer"],
                    "effects": ["issue_certificate", "notify_applicant"],
                },
            },
        },
        "issued": {"name": {"fa": "صادر شد", "en": "Issued"}, "terminal": True},
    },
}

TEST_SERVICE = {
    "code": "building.no_violation_certificate",
    "version": 1,
    "category": "building_technical",
    "name": {"fa": "گواهی عدم خلاف", "en": "No-violation certificate"},
    "channels": ["office", "online"],
    "sla_working_days": 7,
    "links": {"property": "renewal_code"},
    "intake_schema": {
        "type": "object",
        "required": ["renewal_code", "deed_number"],
        "properties": {
            "renewal_code": {"type": "string", "title": "کد نوسازی", "format": "renewal_code"},
            "deed_number": {"type": "string", "title": "شماره سند", "maxLength": 30},
            "floors": {"type": "integer", "title": "تعداد طبقات", "minimum": 1, "maximum": 60},
            "use": {
                "type": "string",
                "title": "کاربری",
                "enum": ["residential", "commercial"],
                "x-enum-titles": ["مسکونی", "تجاری"],
            },
        },
    },
    "documents": [
        {
            "code": "deed",
            "name": {"fa": "سند مالکیت"},
            "types": ["application/pdf", "image/jpeg"],
            "max_mb": 5,
        },
        {
            "code": "photo",
            "name": {"fa": "عکس ملک"},
            "types": ["image/jpeg", "image/png"],
            "max_mb": 5,
            "required": False,
        },
    ],
    "fees": ["building.no_violation_fee"],
    "output": {
        "kind": "certificate",
        "title": {"fa": "گواهی عدم خلاف", "en": "No-violation certificate"},
        "valid_days": 90,
        "fields": ["renewal_code", "deed_number", "use"],
    },
    "workflow": TEST_WORKFLOW,
}


@pytest.fixture
def categories(db: None) -> None:
    from pathlib import Path

    from django.conf import settings

    from daftar.catalog.services import categories_load

    categories_load(path=Path(settings.DAFTAR_CATALOG_DIR) / "categories.yaml")


@pytest.fixture
def service_version(categories: None) -> Any:
    from daftar.catalog.models import ServiceCategory
    from daftar.catalog.services import service_entry_compile, service_version_load

    compiled = service_entry_compile(
        TEST_SERVICE, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
    )
    version, _changed = service_version_load(compiled=compiled)
    return version


def _user(username: str, **extra: Any) -> Any:
    from daftar.accounts.models import User

    return User.objects.create_user(username=username, password="x-test-password-1405", **extra)  # noqa: S106


@pytest.fixture
def operator_user(office: Office) -> Any:
    from daftar.offices.services import staff_assign

    user = _user("operator1", first_name="مریم", last_name="کاظمی")
    staff_assign(user=user, role="office_operator", city=office.city, office=office)
    return user


@pytest.fixture
def reviewer_user(city: City) -> Any:
    from daftar.offices.services import staff_assign

    user = _user("reviewer1", first_name="علی", last_name="رضایی")
    staff_assign(user=user, role="municipal_reviewer", city=city)
    return user


@pytest.fixture
def applicant_person(db: None) -> Any:
    from daftar.accounts.models import Person

    return Person.objects.create(
        national_code="0012345679", first_name="سارا", last_name="احمدی", mobile="09121234567"
    )


@pytest.fixture
def citizen_user(applicant_person: Any) -> Any:
    return _user("09121234567", mobile="09121234567", person=applicant_person)


@pytest.fixture
def filed_case(service_version: Any, office: Office, operator_user: Any, citizen_user: Any) -> Any:
    from daftar.cases.services import case_file

    return case_file(
        service=service_version,
        applicant=citizen_user.person,
        office=office,
        channel="office",
        data={"renewal_code": "۳-۱۲۳-۴۵-۶", "deed_number": "۱۲۳۴۵", "floors": "4", "use": "residential"},
        actor=operator_user,
    )


@pytest.fixture
def tehran_tariffs(city: City) -> None:
    """The shipped Tehran tariff file, for this fiscal year (tests that file catalogue services)."""
    from pathlib import Path

    from django.conf import settings

    from daftar.billing.tariffs import tariffs_load
    from daftar.core.jalali import fiscal_year_of, local_today

    tariffs_load(
        path=Path(settings.DAFTAR_CATALOG_DIR) / "tariffs" / "tehran.yaml",
        fiscal_years={fiscal_year_of(local_today())},
    )


@pytest.fixture
def pay_case_bills(django_capture_on_commit_callbacks: Any) -> Any:
    """Pay every open bill of a case through the sandbox bank, the way a citizen pays online;
    the bill-paid event runs after commit, as in production, so the case moves on."""

    def pay(case: Any) -> list[Any]:
        from daftar.billing.models import PAYABLE_STATUSES
        from daftar.billing.payments import payment_callback, payment_start
        from daftar.billing.selectors import bills_of_case
        from daftar.simulators.bank.services import sandbox_payment_debit

        payments = []
        with django_capture_on_commit_callbacks(execute=True):
            for bill in bills_of_case(case_id=case.pk).filter(status__in=PAYABLE_STATUSES):
                started = payment_start(
                    bill=bill, provider="sandbox", callback_url="http://testserver/pay/callback/sandbox/"
                )
                authority = started.payment.authority or ""
                sandbox_payment_debit(authority=authority, card_number="6037991234561234")
                payments.append(
                    payment_callback(provider="sandbox", params={"authority": authority, "status": "OK"})
                )
        case.refresh_from_db()
        return payments

    return pay
