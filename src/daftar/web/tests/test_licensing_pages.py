"""The public licensing pages: the licence's conditions and open calls, every call, applying (sign-in
first, then the prefilled form), and the public register of offices with their standing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.core.jalali import format_jalali_date, format_jalali_datetime, local_today
from daftar.licensing.models import Sanction, SanctionKind
from daftar.licensing.services import call_cancel
from daftar.licensing.tests.builders import applicant, licensing_services, municipal_user, open_call
from daftar.offices.models import City, LicenceStatus, Office, Zone
from daftar.offices.services import office_licence_status_set

from .licensing_flow import LICENCE, licensed, signed_in

pytestmark = pytest.mark.django_db
HOME = "/licensing/"


@pytest.fixture
def lic(city: City, zone: Zone, categories: Any, tehran_tariffs: Any) -> dict[str, Any]:
    services = licensing_services()
    officer = municipal_user(city, "licensing1", Role.LICENSING_OFFICER)
    inspector = municipal_user(city, "inspector1", Role.TECHNICAL_INSPECTOR)
    return {"service": services[LICENCE], "officer": officer, "inspector": inspector}


# --- the conditions page ---------------------------------------------------------------------------


def test_the_page_lists_every_condition_grouped_the_citys_minimum_area_the_documents_and_open_calls(
    lic: dict[str, Any], city: City, zone: Zone, django_assert_max_num_queries: Any
) -> None:
    city.min_office_area_m2 = 75
    city.save()
    call = open_call(city, zone, actor=lic["officer"], places=3)
    with django_assert_max_num_queries(8):
        response = Client().get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    for name in lic["service"].parameters["eligibility"]["rules"]:
        assert f'data-condition="{name}"' in html
    assert html.count("<h3>") >= 3  # general, specialised, premises
    area = re.search(r'data-condition="premises_area">(.*?)</li>', html, re.S)
    assert area is not None
    assert "۷۵" in area.group(1)
    assert "فناوری اطلاعات" in html  # a degree field, titled as the catalogue titles it
    for spec in lic["service"].documents:
        assert spec["name"]["fa"] in html
    assert f'data-call-id="{call.pk}"' in html
    assert 'data-left="3"' in html


def test_a_foreign_national_is_told_plainly_they_are_not_eligible_and_offered_no_button(
    lic: dict[str, Any], city: City, zone: Zone
) -> None:
    open_call(city, zone, actor=lic["officer"])
    html = Client().get(HOME, {"person_type": "real", "nationality": "foreign"}).content.decode()
    assert "data-not-eligible" in html
    assert "data-apply-link" not in html


def test_an_iranian_is_sent_to_sign_in_by_sms_and_comes_back_to_the_prefilled_form(
    lic: dict[str, Any], city: City, zone: Zone
) -> None:
    open_call(city, zone, actor=lic["officer"])
    client = Client()
    html = client.get(HOME, {"person_type": "legal", "nationality": "iranian"}).content.decode()
    link = re.search(r'href="([^"]+)" data-apply-link', html)
    assert link is not None
    target = urlsplit(link.group(1).replace("&amp;", "&"))
    assert target.path == reverse("web:signin")
    next_url = parse_qs(target.query)["next"][0]
    assert next_url.startswith(reverse("web:apply", args=[LICENCE]))

    mobile = "09121112233"
    applicant(mobile=mobile)  # a citizen who completed their details before
    page = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    hashkey = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page)
    assert hashkey is not None
    response = client.post(
        link.group(1).replace("&amp;", "&"),
        {"mobile": mobile, "captcha_0": hashkey.group(1), "captcha_1": captcha_answer(hashkey.group(1))},
    )
    assert response.status_code == 302
    response = client.post(reverse("web:signin_verify"), {"code": last_code_sent_to(mobile)})
    assert response.status_code == 302
    assert response["Location"] == next_url
    form = client.get(next_url).content.decode()
    assert re.search(r'<option value="legal" selected>', form)
    assert re.search(r'<option value="iranian" selected>', form)


def test_a_signed_in_citizen_goes_straight_to_the_form(lic: dict[str, Any], city: City, zone: Zone) -> None:
    open_call(city, zone, actor=lic["officer"])
    html = (
        signed_in(applicant()).get(HOME, {"person_type": "real", "nationality": "iranian"}).content.decode()
    )
    link = re.search(r'href="([^"]+)" data-apply-link', html)
    assert link is not None
    assert link.group(1).startswith(reverse("web:apply", args=[LICENCE]))


def test_without_an_open_call_the_page_says_so_and_offers_no_button(
    lic: dict[str, Any], city: City, zone: Zone
) -> None:
    call = open_call(city, zone, actor=lic["officer"])
    call_cancel(call=call, actor=lic["officer"], reason="بازنگری")
    html = Client().get(HOME, {"person_type": "real", "nationality": "iranian"}).content.decode()
    assert "data-no-call" in html
    assert "data-apply-link" not in html


def test_an_unknown_choice_answers_400(lic: dict[str, Any]) -> None:
    response = Client().get(HOME, {"person_type": "real", "nationality": "martian"})
    assert response.status_code == 400
    assert "data-apply-link" not in response.content.decode()


def test_the_apply_page_ignores_a_prefill_that_is_not_one_of_the_choices(
    lic: dict[str, Any], city: City, zone: Zone
) -> None:
    open_call(city, zone, actor=lic["officer"])
    url = reverse("web:apply", args=[LICENCE])
    html = signed_in(applicant()).get(url, {"nationality": "<b>x</b>", "office_name": "x"}).content.decode()
    choices = html.split('name="nationality"')[1].split("</select>")[0]
    assert '<option value="" selected>' in choices
    assert 'name="office_name" value=' not in html  # only choice fields are taken from the address


# --- the calls page --------------------------------------------------------------------------------


def test_the_calls_page_shows_open_coming_and_closed_calls_with_places_in_jalali(
    lic: dict[str, Any], city: City, zone: Zone, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    officer = lic["officer"]
    current = open_call(city, zone, actor=officer, places=2, title="فراخوان جاری")
    coming = open_call(
        city,
        zone,
        actor=officer,
        title="فراخوان آینده",
        opens_at=now + timedelta(days=10),
        closes_at=now + timedelta(days=40),
    )
    past = open_call(
        city,
        zone,
        actor=officer,
        title="فراخوان گذشته",
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=20),
    )
    withdrawn = open_call(city, zone, actor=officer, title="فراخوان لغوشده", opens_at=now + timedelta(days=3))
    call_cancel(call=withdrawn, actor=officer, reason="اشتباه")
    with django_assert_max_num_queries(6):
        response = Client().get(reverse("web:licence_calls"))
    html = response.content.decode()
    sections = {
        phase: html.split(f'data-calls="{phase}"')[1].split("</section>")[0]
        for phase in ("open", "upcoming", "closed")
    }
    assert f'data-call-id="{current.pk}"' in sections["open"]
    assert f'data-call-id="{coming.pk}"' in sections["upcoming"]
    assert f'data-call-id="{past.pk}"' in sections["closed"]
    assert f'data-call-id="{withdrawn.pk}"' not in html
    assert format_jalali_datetime(current.closes_at) in sections["open"]
    assert "منطقه ۳" in sections["open"]
    assert 'data-left="2"' in sections["open"]


# --- the public register ---------------------------------------------------------------------------


@pytest.fixture
def licence(
    lic: dict[str, Any], city: City, zone: Zone, pay_case_bills: Any, django_capture_on_commit_callbacks: Any
) -> Any:
    open_call(city, zone, actor=lic["officer"])
    return licensed(
        lic["service"],
        applicant(),
        lic["officer"],
        lic["inspector"],
        pay_case_bills,
        django_capture_on_commit_callbacks,
    )


def test_the_register_finds_an_office_by_name_code_or_licence_number(licence: Any, office: Office) -> None:
    url = reverse("web:register")
    licensed_office = licence.office
    html = Client().get(url).content.decode()
    assert f'data-office="{licensed_office.code}" data-standing="good"' in html
    assert f'data-office="{office.code}"' in html
    by_name = Client().get(url, {"q": "ملاصدرا"}).content.decode()  # typed with an Arabic kaf
    assert f'data-office="{licensed_office.code}"' in by_name
    assert f'data-office="{office.code}"' not in by_name
    from daftar.core.text import to_persian_digits

    by_code = Client().get(url, {"q": to_persian_digits(licensed_office.code)}).content.decode()
    assert f'data-office="{licensed_office.code}"' in by_code
    assert f'data-office="{office.code}"' not in by_code
    by_number = Client().get(url, {"q": licence.number.lower()}).content.decode()
    assert f'data-office="{licensed_office.code}"' in by_number
    assert licence.number in by_number
    nothing = Client().get(url, {"q": "دفتری که نیست"}).content.decode()
    assert "data-office=" not in nothing


def test_an_office_page_shows_licence_validity_hours_and_the_certificate_link_but_nothing_of_the_holder(
    licence: Any,
) -> None:
    response = Client().get(reverse("web:register_office", args=[licence.office.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert licence.number in html
    assert format_jalali_date(licence.valid_until, style="long") in html
    assert reverse("certificates:verify_detail", args=[licence.certificate.number]) in html
    assert 'data-standing="good"' in html
    assert 'data-weekday="5"><span class="ltr">۰۸:۰۰–۱۴:۰۰' in html  # Saturday
    assert 'data-weekday="4">' in html  # Friday: closed
    holder = licence.holder
    assert holder.national_code not in html
    assert holder.last_name not in html
    assert holder.mobile not in html


def test_a_suspended_office_shows_suspended_until_the_end_of_its_suspension(licence: Any) -> None:
    office = licence.office
    ends = local_today() + timedelta(days=30)
    Sanction.objects.create(
        office=office,
        kind=SanctionKind.SUSPENSION,
        reason="فعالیت خارج از ساعات مصوب",
        starts_on=local_today(),
        ends_on=ends,
        previous_status=LicenceStatus.ACTIVE,
        issued_by=User.objects.get(username="licensing1"),
    )
    office_licence_status_set(office=office, status=LicenceStatus.SUSPENDED, reason="تعلیق")
    html = Client().get(reverse("web:register_office", args=[office.code])).content.decode()
    assert 'data-standing="suspended"' in html
    assert format_jalali_date(ends, style="long") in html
    listing = Client().get(reverse("web:register")).content.decode()
    assert f'data-office="{office.code}" data-standing="suspended"' in listing


def test_revoked_and_expired_offices_say_so(office: Office) -> None:
    office_licence_status_set(office=office, status=LicenceStatus.REVOKED, reason="لغو")
    assert (
        'data-standing="revoked"'
        in Client().get(reverse("web:register_office", args=[office.code])).content.decode()
    )
    Office.objects.filter(pk=office.pk).update(
        licence_status=LicenceStatus.ACTIVE, licence_valid_until=local_today() - timedelta(days=1)
    )
    assert (
        'data-standing="expired"'
        in Client().get(reverse("web:register_office", args=[office.code])).content.decode()
    )


def test_a_licence_registered_from_the_citys_records_shows_without_a_certificate_link(office: Office) -> None:
    from daftar.licensing.records import licence_register_existing

    licence_register_existing(
        office=office,
        holder=applicant().person,  # type: ignore[arg-type]
        number="TEH-1401-0042",
        valid_from=local_today() - timedelta(days=400),
        valid_until=local_today() + timedelta(days=900),
    )
    response = Client().get(reverse("web:register_office", args=[office.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "TEH-1401-0042" in html
    assert "data-verify-link" not in html


def test_a_pending_or_unknown_office_is_not_in_the_register(office: Office) -> None:
    Office.objects.filter(pk=office.pk).update(licence_status=LicenceStatus.PENDING)
    assert Client().get(reverse("web:register_office", args=[office.code])).status_code == 404
    assert Client().get(reverse("web:register_office", args=["9999"])).status_code == 404
    assert f'data-office="{office.code}"' not in Client().get(reverse("web:register")).content.decode()


@override_settings(DAFTAR_REGISTER_RATE_PER_IP="3/m")
def test_searching_the_register_is_rate_limited(office: Office) -> None:
    client = Client()
    statuses = [client.get(reverse("web:register"), {"q": f"دفتر {n}"}).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(reverse("web:register_office", args=[office.code])).status_code == 429


def test_the_register_costs_a_bounded_number_of_queries(
    city: City, zone: Zone, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        Office.objects.create(
            city=city,
            zone=zone,
            code=str(500 + n),
            name=f"دفتر {n}",
            licence_status=LicenceStatus.ACTIVE,
            address="تهران",
        )
    with django_assert_max_num_queries(5):
        response = Client().get(reverse("web:register"))
    assert response.content.decode().count("data-office=") == 12


def test_the_public_calls_page_only_reads(lic: dict[str, Any]) -> None:
    assert Client().post(reverse("web:licence_calls")).status_code == 405
    assert Client().post(reverse("web:register")).status_code == 405
