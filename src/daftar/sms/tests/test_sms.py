"""SMS records, redaction of sensitive text, and the Kavenegar adapter against a local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import override_settings

from daftar.sms.models import SmsStatus
from daftar.sms.providers import ConsoleSmsProvider, KavenegarSmsProvider
from daftar.sms.services import REDACTED, sms_send

pytestmark = pytest.mark.django_db


class FakeKavenegar(BaseHTTPRequestHandler):
    """Answers like Kavenegar's REST API; `status` decides success or refusal."""

    received: list[tuple[str, dict[str, list[str]]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        type(self).received.append((self.path, form))
        if type(self).status == 200:
            body = {
                "return": {"status": 200, "message": "تایید شد"},
                "entries": [{"messageid": 8792343, "status": 1}],
            }
        else:
            body = {"return": {"status": type(self).status, "message": "اعتبار کافی نیست"}, "entries": None}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def kavenegar_url() -> Iterator[str]:
    FakeKavenegar.received = []
    FakeKavenegar.status = 200
    server = HTTPServer(("127.0.0.1", 0), FakeKavenegar)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_console_provider_records_the_message_as_sent() -> None:
    message = sms_send(to="09121234567", body="سلام", purpose="test", provider=ConsoleSmsProvider())
    assert message.status == SmsStatus.SENT
    assert message.body == "سلام"


@override_settings(SMS_STORE_SENSITIVE=False)
def test_sensitive_text_is_redacted_where_the_setting_forbids_keeping_it() -> None:
    message = sms_send(
        to="09121234567", body="کد: 123456", purpose="otp", sensitive=True, provider=ConsoleSmsProvider()
    )
    assert message.body == REDACTED


def test_kavenegar_plain_message_is_posted_with_receptor_and_text(kavenegar_url: str) -> None:
    provider = KavenegarSmsProvider(api_key="KEY123", sender="10004346", base_url=kavenegar_url)
    message = sms_send(to="09121234567", body="پرونده شما ثبت شد", purpose="case", provider=provider)
    assert message.status == SmsStatus.SENT
    assert message.provider_ref == "8792343"
    path, form = FakeKavenegar.received[0]
    assert path == "/v1/KEY123/sms/send.json"
    assert form == {"receptor": ["09121234567"], "message": ["پرونده شما ثبت شد"], "sender": ["10004346"]}


def test_kavenegar_template_message_sends_the_code_as_token(kavenegar_url: str) -> None:
    provider = KavenegarSmsProvider(api_key="KEY123", base_url=kavenegar_url)
    sms_send(
        to="09121234567",
        body="x",
        purpose="otp",
        template="daftar-otp",
        tokens=("482913",),
        provider=provider,
    )
    path, form = FakeKavenegar.received[0]
    assert path == "/v1/KEY123/verify/lookup.json"
    assert form["token"] == ["482913"]
    assert form["template"] == ["daftar-otp"]


def test_kavenegar_refusal_is_recorded_as_failed_not_raised(kavenegar_url: str) -> None:
    FakeKavenegar.status = 418
    provider = KavenegarSmsProvider(api_key="KEY123", base_url=kavenegar_url)
    message = sms_send(to="09121234567", body="x", purpose="case", provider=provider)
    assert message.status == SmsStatus.FAILED
    assert "418" in message.error


def test_unreachable_kavenegar_is_recorded_as_failed() -> None:
    provider = KavenegarSmsProvider(api_key="KEY123", base_url="http://127.0.0.1:9/v1")
    message = sms_send(to="09121234567", body="x", purpose="case", provider=provider)
    assert message.status == SmsStatus.FAILED
    assert "unreachable" in message.error
