"""Citizen sign-in by one-time password: codes, attempts, expiry, limits, enumeration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from daftar.accounts.models import OtpChallenge, User
from daftar.accounts.services import OtpFailure, otp_request, otp_verify
from daftar.conftest import last_code_sent_to
from daftar.core.errors import InvalidValue, RateLimited

pytestmark = pytest.mark.django_db
MOBILE = "09121234567"


def test_code_is_sent_by_sms_and_only_its_hash_is_stored() -> None:
    issued = otp_request(mobile="+98 912 123 4567")
    code = last_code_sent_to(MOBILE)
    challenge = OtpChallenge.objects.get(pk=issued.challenge_id)
    assert issued.mobile == MOBILE
    assert code not in challenge.code_hash
    assert len(challenge.code_hash) == 64


def test_first_successful_sign_in_creates_the_citizen_account_and_later_ones_reuse_it() -> None:
    issued = otp_request(mobile=MOBILE)
    user = otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=last_code_sent_to(MOBILE))
    assert user.mobile == MOBILE
    assert not user.has_usable_password()
    again = otp_request(mobile=MOBILE)
    assert otp_verify(challenge_id=again.challenge_id, mobile=MOBILE, code=last_code_sent_to(MOBILE)) == user
    assert User.objects.filter(mobile=MOBILE).count() == 1


def test_code_typed_in_persian_digits_is_accepted() -> None:
    issued = otp_request(mobile=MOBILE)
    code = last_code_sent_to(MOBILE).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=code).mobile == MOBILE


def test_wrong_code_says_how_many_attempts_are_left_in_persian() -> None:
    issued = otp_request(mobile=MOBILE)
    right = last_code_sent_to(MOBILE)
    wrong = "000000" if right != "000000" else "111111"
    with translation.override("fa"), pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=wrong)
    assert caught.value.code == "otp.wrong_code"
    assert "۴" in str(caught.value) or "4" in str(caught.value)
    assert "کد" in str(caught.value)
    assert OtpChallenge.objects.get(pk=issued.challenge_id).attempts == 1


def test_after_the_attempt_limit_even_the_right_code_is_refused() -> None:
    issued = otp_request(mobile=MOBILE)
    right = last_code_sent_to(MOBILE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(OtpFailure):
            otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=wrong)
    with pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=right)
    assert caught.value.code == "otp.too_many_attempts"
    assert not User.objects.filter(mobile=MOBILE).exists()


def test_expired_code_is_refused() -> None:
    issued = otp_request(mobile=MOBILE)
    OtpChallenge.objects.filter(pk=issued.challenge_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=last_code_sent_to(MOBILE))
    assert caught.value.code == "otp.expired"


def test_a_code_works_only_once() -> None:
    issued = otp_request(mobile=MOBILE)
    code = last_code_sent_to(MOBILE)
    otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=code)
    with pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=code)
    assert caught.value.code == "otp.used"


def test_a_code_cannot_sign_in_another_number() -> None:
    issued = otp_request(mobile=MOBILE)
    with pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id=issued.challenge_id, mobile="09350000000", code=last_code_sent_to(MOBILE))
    assert caught.value.code == "otp.unknown"


def test_malformed_challenge_id_is_an_unknown_challenge_not_a_crash() -> None:
    with pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id="not-a-uuid", mobile=MOBILE, code="123456")
    assert caught.value.code == "otp.unknown"


def test_landline_number_is_refused_with_a_precise_message_and_nothing_is_stored() -> None:
    with translation.override("fa"), pytest.raises(InvalidValue) as caught:
        otp_request(mobile="02188776655")
    assert "همراه" in str(caught.value)
    assert not OtpChallenge.objects.exists()


@override_settings(OTP_MOBILE_LIMITS=[(3, 600), (10, 86400)])
def test_more_than_three_codes_in_ten_minutes_for_one_number_is_refused_with_the_wait() -> None:
    for _ in range(3):
        otp_request(mobile=MOBILE)
    with translation.override("fa"), pytest.raises(RateLimited) as caught:
        otp_request(mobile=MOBILE)
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 600
    assert "دقیقه" in str(caught.value)
    assert OtpChallenge.objects.filter(mobile=MOBILE).count() == 3
    # Another number is not affected.
    otp_request(mobile="09350000000")


def test_staff_account_cannot_be_entered_with_an_sms_code() -> None:
    staff = User.objects.create_user(username="reviewer", password="a-long-password-1", mobile=MOBILE)
    issued = otp_request(mobile=MOBILE)
    with pytest.raises(OtpFailure) as caught:
        otp_verify(challenge_id=issued.challenge_id, mobile=MOBILE, code=last_code_sent_to(MOBILE))
    assert caught.value.code == "otp.staff_account"
    staff.refresh_from_db()
    assert staff.last_login is None
