"""Domain errors: stable codes, rendered messages, Persian digits in Persian messages."""

from __future__ import annotations

import pytest

from daftar.core.errors import Conflict, DomainError, InvalidValue, NotFound, RateLimited


def test_invalid_value_is_a_value_error_with_a_code() -> None:
    error = InvalidValue("national_code.checksum", "The check digit is wrong.")
    assert isinstance(error, ValueError)
    assert isinstance(error, DomainError)
    assert error.code == "national_code.checksum"
    assert str(error) == "The check digit is wrong."
    assert repr(error) == "InvalidValue('national_code.checksum')"


def test_params_are_filled_in_when_the_message_is_shown() -> None:
    error = InvalidValue(
        "x.length", "It has %(count)d digits, not %(expected)d.", {"count": 3, "expected": 10}
    )
    assert str(error) == "It has 3 digits, not 10."
    assert error.params == {"count": 3, "expected": 10}


def test_a_persian_message_shows_its_numbers_in_persian_digits() -> None:
    error = InvalidValue("x.length", "کد باید ۱۰ رقم باشد؛ %(count)d رقم وارد شده است.", {"count": 13})
    assert str(error) == "کد باید ۱۰ رقم باشد؛ ۱۳ رقم وارد شده است."


def test_a_persian_value_inside_an_english_message_keeps_latin_digits() -> None:
    error = InvalidValue(
        "x.day", "Month %(month_name)s of %(year)d has 30 days.", {"month_name": "مهر", "year": 1404}
    )
    assert str(error) == "Month مهر of 1404 has 30 days."


@pytest.mark.parametrize(("error_class", "status"), [(InvalidValue, 400), (NotFound, 404), (Conflict, 409)])
def test_each_error_kind_has_its_http_status(error_class: type[DomainError], status: int) -> None:
    assert error_class("x", "message").status == status


def test_rate_limited_says_when_to_retry() -> None:
    error = RateLimited("otp.too_many_codes", "Try again later.", retry_after=90)
    assert error.status == 429
    assert error.retry_after == 90
    assert RateLimited("x", "y").retry_after is None
