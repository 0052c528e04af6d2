"""The sandbox bank's payment page: every button does what a real bank does in that case."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from daftar.billing.gateways import gateway_for
from daftar.simulators.bank.models import SandboxPayment, SandboxState

pytestmark = pytest.mark.django_db
CARD = "۶۰۳۷-۹۹۱۲-۳۴۵۶-۱۲۳۴"  # Persian digits and dashes, as people type it
AMOUNT = 6_770_000
CALLBACK = "http://testserver/pay/callback/sandbox/"


@pytest.fixture
def authority() -> str:
    return (
        gateway_for("sandbox")
        .start(
            amount=AMOUNT,
            order_id="4821937465019283",
            callback_url=CALLBACK,
            description="عوارض سالانه نوسازی",
        )
        .authority
    )


def _page(authority: str) -> str:
    return reverse("sandbox_bank:pay", args=[authority])


def _press(authority: str, action: str, card: str = CARD) -> tuple[int, str, str]:
    response = Client().post(_page(authority), {"action": action, "card_number": card})
    return response.status_code, response.get("Location", ""), response.content.decode()


def _callback_query(location: str) -> dict[str, list[str]]:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return parse_qs(parts.query)


def _state(authority: str) -> SandboxPayment:
    return SandboxPayment.objects.get(authority=authority)


def test_the_page_shows_the_amount_and_the_merchants_description_in_persian(authority: str) -> None:
    response = Client().get(_page(authority))
    html = response.content.decode()
    assert response.status_code == 200
    assert "۶٬۷۷۰٬۰۰۰ ریال" in html
    assert "عوارض سالانه نوسازی" in html
    assert 'dir="rtl"' in html
    for label in ("پرداخت", "انصراف", "خطا پس از برداشت", "بستن صفحه پس از پرداخت", "اتمام زمان"):
        assert label in html
    assert "برداشت مبلغ متفاوت" in html
    assert "<style" not in html
    assert "<script" not in html  # the CSP allows neither inline


def test_pay_debits_and_returns_to_the_callback_claiming_success(authority: str) -> None:
    status, location, _html = _press(authority, "pay")
    assert status == 302
    assert _callback_query(location) == {"authority": [authority], "status": ["OK"]}
    payment = _state(authority)
    assert payment.state == SandboxState.DEBITED
    assert payment.debited_amount == AMOUNT
    assert payment.card_mask == "6037-99**-****-1234"
    assert not payment.verified


def test_cancel_charges_nothing_and_returns_with_nok(authority: str) -> None:
    status, location, _html = _press(authority, "cancel", card="")
    assert status == 302
    assert _callback_query(location)["status"] == ["NOK"]
    payment = _state(authority)
    assert payment.state == SandboxState.CANCELLED
    assert payment.debited_amount is None


def test_error_after_the_debit_keeps_the_money_but_says_nok(authority: str) -> None:
    status, location, _html = _press(authority, "fail_after_debit")
    assert status == 302
    assert _callback_query(location)["status"] == ["NOK"]
    assert _state(authority).state == SandboxState.DEBITED


def test_closing_the_page_after_paying_debits_without_going_back(authority: str) -> None:
    status, location, html = _press(authority, "close_after_debit")
    assert status == 200
    assert location == ""
    assert "می‌توانید این صفحه را ببندید" in html
    assert CALLBACK not in html  # no way back: only reconciliation will find it
    assert _state(authority).state == SandboxState.DEBITED


def test_a_timeout_charges_nothing_and_does_not_go_back(authority: str) -> None:
    status, location, html = _press(authority, "time_out", card="")
    assert status == 200
    assert location == ""
    assert "زمان به پایان رسید" in html
    payment = _state(authority)
    assert payment.state == SandboxState.TIMED_OUT
    assert payment.debited_amount is None


def test_debiting_a_different_amount_takes_1000_rials_more(authority: str) -> None:
    status, location, _html = _press(authority, "debit_different")
    assert status == 302
    assert _callback_query(location)["status"] == ["OK"]
    assert _state(authority).debited_amount == AMOUNT + 1_000


def test_a_malformed_card_number_is_refused_in_persian_and_nothing_is_debited(authority: str) -> None:
    status, location, html = _press(authority, "pay", card="6037 99")
    assert status == 400
    assert location == ""
    assert "۱۶ رقم شمارهٔ کارت را وارد کنید" in html
    assert _state(authority).state == SandboxState.CREATED


def test_a_finished_payment_cannot_be_acted_on_again(authority: str) -> None:
    _press(authority, "pay")
    status, location, html = _press(authority, "cancel", card="")
    assert status == 200
    assert location == ""
    assert "این پرداخت پایان یافته است" in html
    payment = _state(authority)
    assert payment.state == SandboxState.DEBITED
    assert Client().get(_page(authority)).status_code == 200


def test_posts_need_the_csrf_token(authority: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(_page(authority), {"action": "pay", "card_number": CARD})
    assert response.status_code == 403
    assert _state(authority).state == SandboxState.CREATED


def test_an_unknown_authority_is_404() -> None:
    assert Client().get(_page("SBXNOSUCHPAYMENT")).status_code == 404


def test_an_unknown_button_is_refused(authority: str) -> None:
    status, _location, _html = _press(authority, "refund_everyone")
    assert status == 400
    assert _state(authority).state == SandboxState.CREATED
