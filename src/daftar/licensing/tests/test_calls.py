"""Calls for applications: no application outside an open call or in a full district, and the
applicant is told why; quotas count live applications; two applicants never take one last place."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from daftar.accounts.services import api_token_create
from daftar.cases.models import Case
from daftar.cases.services import Location, case_act
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.licensing.models import ApplicationCall, LicenceApplication
from daftar.licensing.selectors import call_quota_rows
from daftar.licensing.services import call_cancel, call_open
from daftar.offices.models import Zone

from .builders import PASSING_DATA, applicant, apply, open_call
from .conftest import Licensing

pytestmark = pytest.mark.django_db


def _refusal(licensing: Licensing, **kwargs: Any) -> str:
    user = applicant(
        national_code=kwargs.pop("national_code", "0012345679"), mobile=kwargs.pop("mobile", "09121112233")
    )
    with pytest.raises(Conflict) as caught:
        apply(licensing.application, user, **kwargs)
    assert not Case.objects.filter(applicant=user.person).exists()
    return str(caught.value)


def test_no_application_is_filed_when_no_call_is_open(licensing: Licensing) -> None:
    ApplicationCall.objects.update(
        closes_at=timezone.now() - timedelta(minutes=1), opens_at=timezone.now() - timedelta(days=9)
    )
    assert _refusal(licensing) == (
        "اکنون فراخوانی برای درخواست مجوز دفتر باز نیست؛ درخواست تنها در زمان فراخوان ثبت می‌شود."
    )


def test_a_call_that_has_not_opened_yet_takes_no_application(licensing: Licensing) -> None:
    ApplicationCall.objects.update(
        opens_at=timezone.now() + timedelta(days=1), closes_at=timezone.now() + timedelta(days=9)
    )
    assert "فراخوانی برای درخواست مجوز دفتر باز نیست" in _refusal(licensing)


def test_a_cancelled_call_takes_no_application(licensing: Licensing) -> None:
    call_cancel(call=licensing.call, actor=licensing.officer, reason="بازنگری در سهمیه مناطق")
    assert "فراخوانی برای درخواست مجوز دفتر باز نیست" in _refusal(licensing)


def test_a_district_without_places_in_the_call_is_refused_by_name(licensing: Licensing, city: Any) -> None:
    Zone.objects.create(
        city=city,
        number=4,
        name="منطقه ۴",
        boundary={
            "type": "Polygon",
            "coordinates": [[[51.46, 35.74], [51.52, 35.74], [51.52, 35.79], [51.46, 35.79], [51.46, 35.74]]],
        },
    )
    there = Location(latitude=Decimal("35.76"), longitude=Decimal("51.49"), address="تهران، منطقه ۴")
    assert _refusal(licensing, location=there) == (
        "فراخوان باز در منطقه ۴ ظرفیتی ندارد؛ برای این منطقه درخواست ثبت نمی‌شود."
    )


def test_premises_outside_every_district_are_refused(licensing: Licensing) -> None:
    nowhere = Location(latitude=Decimal("35.60"), longitude=Decimal("51.10"), address="خارج از شهر")
    assert _refusal(licensing, location=nowhere) == "موقعیت محل دفتر در هیچ‌یک از مناطق شهر نیست."


def test_a_full_district_is_refused_and_a_rejected_application_frees_its_place(licensing: Licensing) -> None:
    first = apply(licensing.application, applicant("0012345679", "09121112233"))
    apply(licensing.application, applicant("0079876541", "09121112244"))
    assert _refusal(licensing, national_code="1234567891", mobile="09121112255") == (
        "ظرفیت منطقه ۳ در این فراخوان تکمیل شده است."
    )
    [row] = call_quota_rows(call=licensing.call)
    assert (row.quota.places, row.taken, row.left) == (2, 2, 0)

    case_act(
        case=first, action="reject", actor=licensing.officer, expected_version=first.version, reason="انصراف"
    )
    third = apply(licensing.application, applicant("2222222222", "09121112266"))
    assert LicenceApplication.objects.get(case=third).call == licensing.call


def test_an_application_records_its_call_and_district(licensing: Licensing, zone: Any) -> None:
    case = apply(licensing.application, applicant())
    application = LicenceApplication.objects.get(case=case)
    assert (application.call, application.zone, application.quota.zone) == (licensing.call, zone, zone)


def test_the_refusal_through_the_api_is_a_409_with_the_reason(licensing: Licensing, client: Client) -> None:
    ApplicationCall.objects.update(
        closes_at=timezone.now() - timedelta(minutes=1), opens_at=timezone.now() - timedelta(days=9)
    )
    user = applicant()
    token = api_token_create(user=user, name="test").secret
    response = client.post(
        "/api/v1/cases",
        data=json.dumps(
            {
                "service": "licensing.office_licence",
                "channel": "online",
                "data": PASSING_DATA,
                "location": {"latitude": "35.76", "longitude": "51.43"},
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 409
    body = response.json()["error"]
    assert body["code"] == "case.filing_refused"
    assert "فراخوانی برای درخواست مجوز دفتر باز نیست" in body["message"]
    assert not Case.objects.exists()


def test_only_licensing_staff_of_the_city_open_calls(licensing: Licensing, zone: Any, city: Any) -> None:
    now = timezone.now()
    with pytest.raises(Forbidden):
        call_open(
            city=city,
            title="فراخوان",
            opens_at=now,
            closes_at=now + timedelta(days=3),
            quotas={3: 1},
            actor=licensing.inspector,
        )


def test_a_call_with_bad_dates_or_districts_is_refused_field_by_field(
    licensing: Licensing, city: Any
) -> None:
    now = timezone.now()
    with pytest.raises(InvalidValue) as caught:
        call_open(
            city=city,
            title="",
            opens_at=now,
            closes_at=now - timedelta(days=1),
            quotas={3: 0, 9: 2},
            actor=licensing.officer,
        )
    fields = caught.value.field_messages()
    assert set(fields) == {"title", "closes_at", "quotas"}
    assert len(fields["quotas"]) == 2
    assert ApplicationCall.objects.count() == 1  # only the fixture's


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_applicants_racing_for_the_last_place_get_one_application(
    city: Any, zone: Any, categories: Any, tehran_tariffs: Any
) -> None:
    from .builders import licensing_services, municipal_user

    service = licensing_services()["licensing.office_licence"]
    officer = municipal_user(city, "licensing1", "licensing_officer")
    open_call(city, zone, actor=officer, places=1)
    users = [applicant(f"{n:010d}", f"0912111{n:04d}") for n in (1, 2, 3, 4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(users))

    def run(user: Any) -> None:
        barrier.wait()
        try:
            apply(service, user)
            outcomes.append("filed")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["case.filing_refused"] * 3 + ["filed"]
    assert LicenceApplication.objects.count() == 1
