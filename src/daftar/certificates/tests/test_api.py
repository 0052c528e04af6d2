"""The public verification endpoint of the API answers in the API's error shape and is rate-limited."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_an_unknown_number_is_unknown_and_reveals_nothing(client: Client) -> None:
    body = client.get("/api/v1/certificates/ABCD-EFGH-JKMN/verify").json()
    assert body["status"] == "unknown"
    assert body["payload"] == {}
    assert body["number"] == ""


@override_settings(CERTIFICATE_VERIFY_RATE_PER_IP="2/m")
def test_verification_through_the_api_is_rate_limited_per_address(client: Client) -> None:
    for _ in range(2):
        assert client.get("/api/v1/certificates/ABCD-EFGH-JKMN/verify").status_code == 200
    response = client.get("/api/v1/certificates/ABCD-EFGH-JKMN/verify")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "certificate.rate_limited"
    assert response["Retry-After"] == "60"
