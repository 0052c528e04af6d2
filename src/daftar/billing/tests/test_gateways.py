"""The payment-gateway adapters against recorded HTTP (ADR 0006).

Each cassette in ``cassettes/`` is one exchange written by hand from the gateway's documentation
(request body, status, headers, JSON body). vcrpy replays them with ``record_mode="none"`` and
matches method, URI and body, so a request that differs from the documented one, or any request
that would leave the machine, fails the test. Transport failures (timeouts) use httpx's
``MockTransport``. No test touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings
from vcr.cassette import Cassette

from daftar.billing.gateways import (
    GatewayError,
    GatewayRefused,
    PaymentGateway,
    ZarinpalGateway,
    ZibalGateway,
    gateway_classes,
    gateway_for,
)
from daftar.billing.gateways.base import TIMEOUT

CASSETTES = Path(__file__).parent / "cassettes"
recorded = vcr.VCR(
    cassette_library_dir=str(CASSETTES), record_mode="none", match_on=["method", "uri", "body"]
)

ZARINPAL_MERCHANT = "9a1f6c2e-4b7d-4e8a-b1c3-5d2e7f8a9b0c"
AUTHORITY = "A0000000000000000000000000000wwOGYpd"
TRACK_ID = "3714669999"
ORDER = "B-1405-000123"
AMOUNT = 1_250_000  # rials
DESCRIPTION = "عوارض نوسازی — قبض B-1405-000123"
MOBILE = "09121234567"
ZARINPAL_CALLBACK = "https://daftar.example.ir/pay/zarinpal/B-1405-000123/"
ZIBAL_CALLBACK = "https://daftar.example.ir/pay/zibal/B-1405-000123/"


@contextmanager
def replay(name: str) -> Iterator[Cassette]:
    """Replay ``cassettes/{name}.yaml``; every recorded exchange must be used, exactly once."""
    with recorded.use_cassette(f"{name}.yaml") as cassette:
        yield cassette
    assert cassette.all_played, f"{name}: not every recorded request was made"


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
def client(sent: list[httpx.Request]) -> Iterator[httpx.Client]:
    """A plain client that remembers what was sent (the cassette answers it)."""
    with httpx.Client(event_hooks={"request": [sent.append]}) as plain:
        yield plain


def zarinpal(client: httpx.Client | None = None, **config: str) -> ZarinpalGateway:
    return ZarinpalGateway(config={"merchant_id": ZARINPAL_MERCHANT, **config}, client=client)


def zibal(client: httpx.Client | None = None, **config: str) -> ZibalGateway:
    return ZibalGateway(config={"merchant": "zibal", **config}, client=client)


def body_of(request: httpx.Request) -> dict[str, Any]:
    parsed = json.loads(request.content)
    assert isinstance(parsed, dict)
    return parsed


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def start_zarinpal(gateway: ZarinpalGateway, amount: int = AMOUNT) -> Any:
    return gateway.start(
        amount=amount, order_id=ORDER, callback_url=ZARINPAL_CALLBACK, description=DESCRIPTION, mobile=MOBILE
    )


def start_zibal(gateway: ZibalGateway, amount: int = AMOUNT) -> Any:
    return gateway.start(
        amount=amount, order_id=ORDER, callback_url=ZIBAL_CALLBACK, description=DESCRIPTION, mobile=MOBILE
    )


# ---------------------------------------------------------------- registry and configuration


def test_every_adapter_is_registered_under_its_own_code() -> None:
    assert {"zarinpal", "zibal"} <= set(gateway_classes)  # and the sandbox bank's, when installed
    for code in gateway_classes:
        assert gateway_classes.get(code).code == code


def test_gateway_for_reads_its_config_from_the_setting(settings: Settings) -> None:
    settings.DAFTAR_PAYMENT_GATEWAYS = {
        "zarinpal": {"merchant_id": ZARINPAL_MERCHANT, "sandbox": "true"},
        "zibal": {"merchant": "zibal"},
    }
    with gateway_for("zarinpal") as gateway:
        assert isinstance(gateway, ZarinpalGateway)
        assert gateway.merchant_id == ZARINPAL_MERCHANT
        assert gateway.url("request") == "https://sandbox.zarinpal.com/pg/v4/payment/request.json"
    with gateway_for("zibal") as other:
        assert isinstance(other, ZibalGateway)
        assert other.merchant == "zibal"


def test_gateway_for_an_unknown_code_is_a_lookup_error(settings: Settings) -> None:
    settings.DAFTAR_PAYMENT_GATEWAYS = {}
    with pytest.raises(LookupError, match="unknown payment gateway 'mellat'"):
        gateway_for("mellat")


def test_a_gateway_without_its_merchant_code_is_improperly_configured(settings: Settings) -> None:
    if hasattr(settings, "DAFTAR_PAYMENT_GATEWAYS"):
        del settings.DAFTAR_PAYMENT_GATEWAYS
    with pytest.raises(ImproperlyConfigured, match="merchant_id"):
        gateway_for("zarinpal")
    settings.DAFTAR_PAYMENT_GATEWAYS = {"zibal": {"merchant": " "}}
    with pytest.raises(ImproperlyConfigured, match="merchant"):
        gateway_for("zibal")


def test_gateway_for_passes_the_given_client_through(settings: Settings, client: httpx.Client) -> None:
    settings.DAFTAR_PAYMENT_GATEWAYS = {"zibal": {"merchant": "zibal"}}
    gateway = gateway_for("zibal", client=client)
    assert gateway.client is client
    gateway.close()
    assert not client.is_closed  # a client passed in belongs to the caller


# ---------------------------------------------------------------- money, timeouts, retries


def fail_if_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request should be sent, got {request.method} {request.url}")


@pytest.mark.parametrize("gateway_class", [ZarinpalGateway, ZibalGateway])
@pytest.mark.parametrize("amount", [1_250_000.0, Decimal(1_250_000), "1250000", True])
def test_an_amount_that_is_not_int_rials_is_refused_before_any_request(
    gateway_class: type[PaymentGateway], amount: Any
) -> None:
    gateway = gateway_class(
        config={"merchant_id": ZARINPAL_MERCHANT, "merchant": "zibal"}, client=mock_client(fail_if_called)
    )
    with pytest.raises(TypeError, match="int rials"):
        gateway.start(amount=amount, order_id=ORDER, callback_url=ZIBAL_CALLBACK, description=DESCRIPTION)
    with pytest.raises(TypeError, match="int rials"):
        gateway.verify(authority=TRACK_ID, amount=amount)
    with pytest.raises(TypeError, match="int rials"):
        gateway.inquire(authority=TRACK_ID, amount=amount)


@pytest.mark.parametrize("gateway_class", [ZarinpalGateway, ZibalGateway])
@pytest.mark.parametrize("amount", [0, -1_250_000])
def test_an_amount_that_is_not_positive_is_refused_before_any_request(
    gateway_class: type[PaymentGateway], amount: int
) -> None:
    gateway = gateway_class(
        config={"merchant_id": ZARINPAL_MERCHANT, "merchant": "zibal"}, client=mock_client(fail_if_called)
    )
    with pytest.raises(ValueError, match="must be positive"):
        gateway.start(amount=amount, order_id=ORDER, callback_url=ZIBAL_CALLBACK, description=DESCRIPTION)


def test_an_adapter_left_to_itself_uses_the_explicit_timeouts_and_no_redirects() -> None:
    with zarinpal() as gateway:
        assert gateway.client.timeout == httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
        assert gateway.client.timeout == TIMEOUT
        assert gateway.client.follow_redirects is False


@pytest.mark.parametrize("make", [zarinpal, zibal])
def test_every_call_carries_the_explicit_timeouts_even_on_a_given_client(
    make: Callable[..., PaymentGateway],
) -> None:
    timeouts: list[dict[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(503)

    gateway = make(mock_client(answer))
    with pytest.raises(GatewayError):
        gateway.verify(authority=TRACK_ID, amount=AMOUNT)
    assert timeouts == [{"connect": 5.0, "read": 15.0, "write": 15.0, "pool": 5.0}]


@pytest.mark.parametrize("make", [zarinpal, zibal])
def test_a_read_timeout_is_a_gateway_error_and_is_not_retried(make: Callable[..., PaymentGateway]) -> None:
    calls: list[httpx.Request] = []

    def too_slow(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    gateway = make(mock_client(too_slow))
    with pytest.raises(GatewayError, match=r"no answer .* in time") as raised:
        gateway.verify(authority=TRACK_ID, amount=AMOUNT)
    assert not isinstance(raised.value, GatewayRefused)  # unknown outcome: the payment stays pending
    with pytest.raises(GatewayError, match="ReadTimeout"):
        gateway.start(amount=AMOUNT, order_id=ORDER, callback_url=ZIBAL_CALLBACK, description=DESCRIPTION)
    with pytest.raises(GatewayError):
        gateway.inquire(authority=TRACK_ID, amount=AMOUNT)
    assert len(calls) == 3  # one request per call: the reconciliation job is what retries


@pytest.mark.parametrize("make", [zarinpal, zibal])
def test_an_unreachable_gateway_is_a_gateway_error(make: Callable[..., PaymentGateway]) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    with pytest.raises(GatewayError, match="could not be reached"):
        make(mock_client(unreachable)).verify(authority=TRACK_ID, amount=AMOUNT)


# ---------------------------------------------------------------- Zarinpal


def test_zarinpal_start_sends_int_rials_with_currency_irr_and_redirects_to_startpay(
    client: httpx.Client, sent: list[httpx.Request]
) -> None:
    with replay("zarinpal_start_ok"):
        start = start_zarinpal(zarinpal(client))
    assert start.authority == AUTHORITY
    assert start.redirect_url == f"https://payment.zarinpal.com/pg/StartPay/{AUTHORITY}"
    assert start.raw["data"]["code"] == 100
    [request] = sent
    sent_body = body_of(request)
    assert sent_body == {
        "merchant_id": ZARINPAL_MERCHANT,
        "amount": AMOUNT,
        "currency": "IRR",
        "callback_url": ZARINPAL_CALLBACK,
        "description": DESCRIPTION,
        "metadata": {"order_id": ORDER, "mobile": MOBILE},
    }
    assert type(sent_body["amount"]) is int
    assert b'"amount":1250000,' in request.content  # not 1250000.0, not "1250000"
    assert request.headers["content-type"] == "application/json"


def test_zarinpal_sandbox_uses_the_sandbox_host_for_the_api_and_the_payer(client: httpx.Client) -> None:
    with replay("zarinpal_start_sandbox_ok"):
        start = start_zarinpal(zarinpal(client, sandbox="true"))
    assert start.redirect_url == f"https://sandbox.zarinpal.com/pg/StartPay/{start.authority}"


def test_zarinpal_start_leaves_out_an_unknown_mobile() -> None:
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(body_of(request))
        return httpx.Response(200, json={"data": {"code": 100, "authority": AUTHORITY}, "errors": []})

    zarinpal(mock_client(answer)).start(
        amount=AMOUNT, order_id=ORDER, callback_url=ZARINPAL_CALLBACK, description=DESCRIPTION
    )
    assert bodies[0]["metadata"] == {"order_id": ORDER}


def test_zarinpal_start_refused_for_an_unknown_merchant_carries_the_gateway_code(
    client: httpx.Client,
) -> None:
    gateway = ZarinpalGateway(config={"merchant_id": "00000000-0000-0000-0000-000000000000"}, client=client)
    with replay("zarinpal_start_refused_bad_merchant"), pytest.raises(GatewayRefused) as refused:
        start_zarinpal(gateway)
    assert refused.value.code == -10
    assert "Terminal is not valid" in str(refused.value)
    assert refused.value.raw["errors"]["code"] == -10


def test_zarinpal_start_refused_below_the_minimum_amount(client: httpx.Client) -> None:
    with replay("zarinpal_start_refused_amount_too_low"), pytest.raises(GatewayRefused) as refused:
        start_zarinpal(zarinpal(client), amount=500)
    assert refused.value.code == -9
    assert refused.value.raw["errors"]["validations"] == [{"amount": "The amount must be at least 1000."}]


def test_zarinpal_verify_paid_reports_the_ref_id_the_card_and_the_verified_amount(
    client: httpx.Client, sent: list[httpx.Request]
) -> None:
    with replay("zarinpal_verify_paid"):
        result = zarinpal(client).verify(authority=AUTHORITY, amount=AMOUNT)
    assert result.status == "paid"
    assert result.amount == AMOUNT
    assert result.reference == "23940375"
    assert result.card_mask == "502229******5995"
    assert result.message == "100 Paid"
    assert result.raw["data"]["ref_id"] == 23940375
    sent_body = body_of(sent[0])
    assert sent_body == {"merchant_id": ZARINPAL_MERCHANT, "amount": AMOUNT, "authority": AUTHORITY}
    assert type(sent_body["amount"]) is int


def test_zarinpal_verify_repeated_after_success_is_paid_again(client: httpx.Client) -> None:
    with replay("zarinpal_verify_already_verified"):
        result = zarinpal(client).verify(authority=AUTHORITY, amount=AMOUNT)
    assert result.status == "paid"
    assert result.reference == "23940375"
    assert result.message == "101 Verified"


def test_zarinpal_verify_of_a_cancelled_payment_is_failed(client: httpx.Client) -> None:
    with replay("zarinpal_verify_cancelled"):
        result = zarinpal(client).verify(authority=AUTHORITY, amount=AMOUNT)
    assert result.status == "failed"
    assert result.amount is None
    assert result.reference == ""
    assert result.message.startswith("-51 ")


def test_zarinpal_verify_for_another_amount_is_failed_and_names_the_mismatch(client: httpx.Client) -> None:
    with replay("zarinpal_verify_amount_mismatch"):
        result = zarinpal(client).verify(authority=AUTHORITY, amount=1_200_000)
    assert result.status == "failed"
    assert result.amount is None
    assert result.message == "-50 Session is not valid, amounts values is not the same."


def test_zarinpal_inquiry_while_the_payer_is_at_the_bank_is_pending(
    client: httpx.Client, sent: list[httpx.Request]
) -> None:
    with replay("zarinpal_inquiry_pending"):
        result = zarinpal(client).inquire(authority=AUTHORITY, amount=AMOUNT)
    assert result.status == "pending"
    assert result.message.startswith("IN_BANK")
    assert body_of(sent[0]) == {"merchant_id": ZARINPAL_MERCHANT, "authority": AUTHORITY}


def test_zarinpal_inquiry_paid_but_not_verified_is_pending_not_paid(client: httpx.Client) -> None:
    # The bank reverses a payment that is never verified: reconciliation must verify it, not book it.
    with replay("zarinpal_inquiry_paid_not_verified"):
        result = zarinpal(client).inquire(authority=AUTHORITY, amount=AMOUNT)
    assert result.status == "pending"
    assert result.message.startswith("PAID (paid, not verified yet")


def test_zarinpal_inquiry_of_a_verified_payment_is_paid(client: httpx.Client) -> None:
    with replay("zarinpal_inquiry_paid"):
        result = zarinpal(client).inquire(authority=AUTHORITY, amount=AMOUNT)
    assert result.status == "paid"
    assert result.amount is None  # Zarinpal's inquiry does not say how much


def test_zarinpal_server_error_is_a_gateway_error(client: httpx.Client) -> None:
    with replay("zarinpal_verify_server_error"), pytest.raises(GatewayError, match="HTTP 502") as raised:
        zarinpal(client).verify(authority=AUTHORITY, amount=AMOUNT)
    assert not isinstance(raised.value, GatewayRefused)


def test_zarinpal_malformed_json_is_a_gateway_error(client: httpx.Client) -> None:
    with replay("zarinpal_verify_malformed_json"), pytest.raises(GatewayError, match="not JSON"):
        zarinpal(client).verify(authority=AUTHORITY, amount=AMOUNT)


def test_zarinpal_callback_gives_the_authority_and_what_the_browser_claims() -> None:
    gateway = zarinpal(mock_client(fail_if_called))
    assert gateway.callback_authority({"Authority": AUTHORITY, "Status": "OK"}) == AUTHORITY
    assert gateway.callback_claims_success({"Authority": AUTHORITY, "Status": "OK"}) is True
    assert gateway.callback_claims_success({"Authority": AUTHORITY, "Status": "NOK"}) is False
    assert gateway.callback_claims_success({}) is False


@pytest.mark.parametrize("params", [{}, {"Status": "OK"}, {"Authority": ""}, {"Authority": "A00/../x"}])
def test_zarinpal_callback_without_a_valid_authority_is_a_gateway_error(params: dict[str, str]) -> None:
    with pytest.raises(GatewayError, match="Authority"):
        zarinpal(mock_client(fail_if_called)).callback_authority(params)


# ---------------------------------------------------------------- Zibal


def test_zibal_start_sends_int_rials_and_redirects_to_start(
    client: httpx.Client, sent: list[httpx.Request]
) -> None:
    with replay("zibal_start_ok"):
        start = start_zibal(zibal(client))
    assert start.authority == TRACK_ID
    assert start.redirect_url == f"https://gateway.zibal.ir/start/{TRACK_ID}"
    assert start.raw == {"trackId": 3714669999, "result": 100, "message": "success"}
    [request] = sent
    sent_body = body_of(request)
    assert sent_body == {
        "merchant": "zibal",
        "amount": AMOUNT,
        "callbackUrl": ZIBAL_CALLBACK,
        "description": DESCRIPTION,
        "orderId": ORDER,
        "mobile": MOBILE,
    }
    assert type(sent_body["amount"]) is int
    assert b'"amount":1250000,' in request.content


def test_zibal_start_refused_for_an_unknown_merchant_carries_the_result_code(client: httpx.Client) -> None:
    with replay("zibal_start_refused_bad_merchant"), pytest.raises(GatewayRefused) as refused:
        start_zibal(zibal(client, merchant="not-our-merchant"))
    assert refused.value.code == 102
    assert refused.value.raw == {"result": 102, "message": "merchant یافت نشد."}


def test_zibal_start_refused_below_the_minimum_amount(client: httpx.Client) -> None:
    with replay("zibal_start_refused_amount_too_low"), pytest.raises(GatewayRefused) as refused:
        start_zibal(zibal(client), amount=500)
    assert refused.value.code == 105


def test_zibal_verify_paid_reports_the_amount_paid_the_reference_and_the_card(
    client: httpx.Client, sent: list[httpx.Request]
) -> None:
    with replay("zibal_verify_paid"):
        result = zibal(client).verify(authority=TRACK_ID, amount=AMOUNT)
    assert result.status == "paid"
    assert result.amount == AMOUNT
    assert result.reference == "785612394012"
    assert result.card_mask == "603799******1234"
    assert result.message == "100 success"
    sent_body = body_of(sent[0])
    assert sent_body == {"merchant": "zibal", "trackId": 3714669999}
    assert type(sent_body["trackId"]) is int  # Zibal's trackId is a number, our authority its text


def test_zibal_verify_repeated_after_success_is_paid_again_without_an_amount(client: httpx.Client) -> None:
    with replay("zibal_verify_already_verified"):
        result = zibal(client).verify(authority=TRACK_ID, amount=AMOUNT)
    assert result.status == "paid"
    assert result.amount is None  # 201 carries no details: the caller keeps the amount of the first verify
    assert result.message == "201 قبلا تایید شده."


def test_zibal_verify_of_an_unpaid_payment_is_failed(client: httpx.Client) -> None:
    with replay("zibal_verify_not_paid"):
        result = zibal(client).verify(authority=TRACK_ID, amount=AMOUNT)
    assert result.status == "failed"
    assert result.amount is None
    assert result.message.startswith("202 ")


def test_zibal_verify_of_a_different_amount_reports_what_was_paid_for_the_caller_to_compare(
    client: httpx.Client,
) -> None:
    with replay("zibal_verify_amount_different"):
        result = zibal(client).verify(authority=TRACK_ID, amount=AMOUNT)
    assert result.status == "paid"  # Zibal verified it: the money is settled, whatever the bill says
    assert result.amount == 1_200_000
    assert result.amount != AMOUNT


def test_zibal_inquiry_of_an_unpaid_payment_is_pending(
    client: httpx.Client, sent: list[httpx.Request]
) -> None:
    with replay("zibal_inquiry_pending"):
        result = zibal(client).inquire(authority=TRACK_ID, amount=AMOUNT)
    assert result.status == "pending"
    assert result.amount is None  # the amount it carries is the one asked, not one paid
    assert result.message.startswith("status -1 (awaiting payment)")
    assert body_of(sent[0]) == {"merchant": "zibal", "trackId": 3714669999}


def test_zibal_inquiry_of_a_verified_payment_is_paid(client: httpx.Client) -> None:
    with replay("zibal_inquiry_paid"):
        result = zibal(client).inquire(authority=TRACK_ID, amount=AMOUNT)
    assert result.status == "paid"
    assert result.amount == AMOUNT
    assert result.reference == "785612394012"
    assert result.card_mask == "603799******1234"


def test_zibal_server_error_is_a_gateway_error(client: httpx.Client) -> None:
    with replay("zibal_verify_server_error"), pytest.raises(GatewayError, match="HTTP 503"):
        zibal(client).verify(authority=TRACK_ID, amount=AMOUNT)


def test_zibal_page_instead_of_json_is_a_gateway_error(client: httpx.Client) -> None:
    with replay("zibal_verify_malformed_json"), pytest.raises(GatewayError, match="not JSON"):
        zibal(client).verify(authority=TRACK_ID, amount=AMOUNT)


def test_zibal_callback_gives_the_track_id_and_what_the_browser_claims() -> None:
    gateway = zibal(mock_client(fail_if_called))
    params = {"trackId": TRACK_ID, "success": "1", "status": "2", "orderId": ORDER}
    assert gateway.callback_authority(params) == TRACK_ID
    assert gateway.callback_claims_success(params) is True
    assert gateway.callback_claims_success({**params, "success": "0", "status": "3"}) is False


@pytest.mark.parametrize("params", [{}, {"success": "1"}, {"trackId": "abc"}, {"trackId": "12 34"}])
def test_zibal_callback_without_a_numeric_track_id_is_a_gateway_error(params: dict[str, str]) -> None:
    with pytest.raises(GatewayError, match="trackId"):
        zibal(mock_client(fail_if_called)).callback_authority(params)


@pytest.mark.parametrize("answer", [[], {"message": "no result"}, {"result": "100"}])
def test_zibal_answer_without_a_numeric_result_is_a_gateway_error(answer: Any) -> None:
    gateway = zibal(mock_client(lambda request: httpx.Response(200, json=answer)))
    with pytest.raises(GatewayError):
        gateway.verify(authority=TRACK_ID, amount=AMOUNT)
