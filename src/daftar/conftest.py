"""Fixtures shared by every app's tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time

import pytest
from django.core.cache import cache

from daftar.offices.models import City, LicenceStatus, Office, WeeklyHours, Zone
from daftar.sms.models import SmsMessage


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city(db: None) -> City:
    return City.objects.create(code="tehran", name_fa="تهران", name_en="Tehran")


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
