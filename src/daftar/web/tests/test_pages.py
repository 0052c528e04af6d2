"""Public pages: Persian and right-to-left, safe headers, sign-in flows, the office finder."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from daftar.accounts.models import OtpChallenge, User
from daftar.conftest import captcha_answer, last_code_sent_to
from daftar.offices.models import Office, StaffAssignment

pytestmark = pytest.mark.django_db
MOBILE = "09121234567"


def _captcha_fields(client: Client) -> dict[str, str]:
    page = client.get(reverse("web:signin")).content.decode()
    hashkey = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page)
    assert hashkey is not None, "the sign-in page shows no captcha"
    return {"captcha_0": hashkey.group(1), "captcha_1": captcha_answer(hashkey.group(1))}


def _request_code(client: Client, mobile: str = MOBILE) -> object:
    return client.post(reverse("web:signin"), {"mobile": mobile, **_captcha_fields(client)})


def test_home_page_is_persian_right_to_left_with_every_service_family(client: Client) -> None:
    from pathlib import Path

    from django.conf import settings

    from daftar.catalog.services import categories_load

    categories_load(path=Path(settings.PROJECT_DIR) / "catalog" / "categories.yaml")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert html.count('class="card family"') == 12
    assert "پروانه ساختمان" in html
    assert "املاک و مستغلات" in html


def test_english_is_available_and_left_to_right(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "Find an office" in html


def test_pages_forbid_inline_scripts_through_the_content_security_policy(client: Client) -> None:
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"


def test_citizen_signs_in_with_captcha_and_sms_code(client: Client) -> None:
    response = _request_code(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:signin_verify")
    response = client.post(reverse("web:signin_verify"), {"code": last_code_sent_to(MOBILE)})
    assert response.status_code == 302
    assert client.get(reverse("web:account")).status_code == 200
    assert int(client.session["_auth_user_id"]) == User.objects.get(mobile=MOBILE).pk


def test_wrong_captcha_sends_no_code_and_says_so_in_persian(client: Client) -> None:
    fields = _captcha_fields(client)
    fields["captcha_1"] = "wrong"
    response = client.post(reverse("web:signin"), {"mobile": MOBILE, **fields})
    assert response.status_code == 200
    assert "عدد امنیتی" in response.content.decode()
    assert not OtpChallenge.objects.exists()


def test_invalid_mobile_gets_a_persian_error_and_nothing_is_stored(client: Client) -> None:
    response = client.post(reverse("web:signin"), {"mobile": "12345", **_captcha_fields(client)})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not OtpChallenge.objects.exists()


def test_sign_in_page_answers_the_same_for_registered_and_unknown_numbers(client: Client) -> None:
    User.objects.create(username="09120000001", mobile="09120000001")
    known = _request_code(client, "09120000001")
    other = Client()
    unknown = _request_code(other, "09120000002")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


@override_settings(OTP_RATE_PER_IP="2/h")
def test_too_many_code_requests_from_one_connection_are_refused(client: Client) -> None:
    _request_code(client, "09120000001")
    _request_code(client, "09120000002")
    response = _request_code(client, "09120000003")
    assert response.status_code == 200
    assert "بیش از حد" in response.content.decode()
    assert OtpChallenge.objects.count() == 2


def test_staff_sees_role_and_office_after_password_sign_in(client: Client, office: Office) -> None:
    user = User.objects.create_user(username="operator", password="a-long-password-1")
    StaffAssignment.objects.create(user=user, role="office_operator", city=office.city, office=office)
    response = client.post(
        reverse("web:staff_signin"), {"username": "operator", "password": "a-long-password-1"}
    )
    assert response.status_code == 302
    html = client.get(reverse("web:account")).content.decode()
    assert "اپراتور دفتر" in html
    assert office.name in html or "۱۱۰۲" in html


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)  # django-otp's back-off after a failure is tested upstream
def test_staff_with_an_authenticator_needs_its_code_too(client: Client, office: Office) -> None:
    user = User.objects.create_user(username="manager", password="a-long-password-1")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.post(reverse("web:staff_signin"), {"username": "manager", "password": "a-long-password-1"})
    assert client.get(reverse("web:account")).status_code == 302  # not signed in yet
    response = client.post(
        reverse("web:staff_totp"), {"token": "000000" if totp(device.bin_key) != 0 else "111111"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("web:staff_totp"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_wrong_staff_password_does_not_sign_in(client: Client) -> None:
    User.objects.create_user(username="operator", password="a-long-password-1")
    response = client.post(
        reverse("web:staff_signin"), {"username": "operator", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_account_page_requires_sign_in(client: Client) -> None:
    response = client.get(reverse("web:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:signin"))


@override_settings(DEV_SMS_PAGE=False)
def test_sms_outbox_page_does_not_exist_outside_development(client: Client) -> None:
    assert client.get(reverse("web:dev_sms")).status_code == 404


def test_citizen_completes_profile_with_a_valid_national_code(client: Client) -> None:
    _request_code(client)
    client.post(reverse("web:signin_verify"), {"code": last_code_sent_to(MOBILE)})
    bad = client.post(
        reverse("web:account"), {"national_code": "0084575949", "first_name": "علی", "last_name": "کریمی"}
    )
    assert "کد ملی" in bad.content.decode()
    assert User.objects.get(mobile=MOBILE).person_id is None
    client.post(
        reverse("web:account"), {"national_code": "0084575948", "first_name": "علی", "last_name": "کریمی"}
    )
    assert User.objects.get(mobile=MOBILE).person.national_code == "0084575948"


def test_unknown_page_answers_404_in_persian(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "صفحه یافت نشد" in response.content.decode()


def test_form_sent_without_csrf_token_is_refused_with_a_persian_page() -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("web:signin"), {"mobile": MOBILE})
    assert response.status_code == 403
    assert "فرم" in response.content.decode()
    assert not OtpChallenge.objects.exists()


def test_office_finder_filters_by_district_and_shows_hours_in_persian_digits(
    client: Client, office: Office
) -> None:
    from daftar.offices.models import LicenceStatus, Zone

    other_zone = Zone.objects.create(city=office.city, number=5, name="منطقه ۵")
    Office.objects.create(
        city=office.city,
        zone=other_zone,
        code="501",
        name="دفتر خدمات الکترونیک شهر کد ۵۰۱ — پونک",
        licence_status=LicenceStatus.ACTIVE,
        address="تهران، پونک",
    )
    Office.objects.create(
        city=office.city,
        zone=other_zone,
        code="502",
        name="دفتر تعلیق‌شده",
        licence_status=LicenceStatus.SUSPENDED,
        address="تهران، پونک",
    )
    html = client.get(reverse("web:offices"), {"district": "3"}).content.decode()
    assert 'data-office-code="1102"' in html
    assert 'data-office-code="501"' not in html
    everything = client.get(reverse("web:offices")).content.decode()
    assert 'data-office-code="501"' in everything
    assert 'data-office-code="502"' not in everything  # a suspended office is not offered to citizens
    assert "۰۸:۰۰" in html or "تعطیل" in html


@override_settings(STAFF_SIGNIN_RATE_PER_USERNAME="3/h")
def test_password_guessing_on_one_staff_account_is_stopped(client: Client) -> None:
    User.objects.create_user(username="operator", password="a-long-password-1")
    for attempt in range(3):
        Client(REMOTE_ADDR=f"10.0.0.{attempt}").post(
            reverse("web:staff_signin"), {"username": "operator", "password": "wrong-password"}
        )
    response = Client(REMOTE_ADDR="10.0.0.9").post(
        reverse("web:staff_signin"), {"username": "operator", "password": "a-long-password-1"}
    )
    assert response.status_code == 200
    assert "بیش از حد" in response.content.decode()


@override_settings(OTP_RATE_PER_IP="1/h", DAFTAR_CLIENT_IP_HEADER="HTTP_X_REAL_IP")
def test_behind_a_trusted_proxy_each_citizen_has_their_own_limit() -> None:
    first = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_REAL_IP="5.200.1.1")
    second = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_REAL_IP="5.200.1.2")
    assert _request_code(first, "09120000001").status_code == 302
    assert _request_code(second, "09120000002").status_code == 302
    assert OtpChallenge.objects.get(mobile="09120000002").requested_ip == "5.200.1.2"


@override_settings(OTP_RATE_PER_IP="1/h", DAFTAR_CLIENT_IP_HEADER="")
def test_a_forged_proxy_header_is_ignored_unless_the_operator_trusts_it() -> None:
    first = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_REAL_IP="5.200.1.1")
    second = Client(REMOTE_ADDR="10.1.1.1", HTTP_X_REAL_IP="5.200.1.2")
    assert _request_code(first, "09120000001").status_code == 302
    assert _request_code(second, "09120000002").status_code == 200  # same real address: limited
    assert OtpChallenge.objects.count() == 1
