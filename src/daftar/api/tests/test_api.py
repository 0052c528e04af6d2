"""The API's authentication and its one error format."""

from __future__ import annotations

import pytest
from django.test import Client

from daftar.accounts.models import User
from daftar.accounts.services import api_token_create, api_token_revoke
from daftar.offices.models import Office, StaffAssignment

pytestmark = pytest.mark.django_db


def test_token_holder_sees_their_roles(client: Client, office: Office) -> None:
    user = User.objects.create_user(username="operator", password="a-long-password-1")
    StaffAssignment.objects.create(user=user, role="office_operator", city=office.city, office=office)
    issued = api_token_create(user=user, name="counter")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "operator"
    assert body["assignments"] == [
        {
            "role": "office_operator",
            "role_label": "اپراتور دفتر",
            "city": "tehran",
            "office_code": office.code,
        }
    ]


def test_missing_or_revoked_token_gets_401_in_the_shared_error_shape(client: Client) -> None:
    user = User.objects.create_user(username="operator", password="a-long-password-1")
    issued = api_token_create(user=user, name="counter")
    api_token_revoke(token=issued.token)
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}):
        response = client.get("/api/v1/me", **headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "unauthenticated"
        assert error["message"]
        assert error["fields"] == {}


def test_openapi_document_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/me" in response.json()["paths"]
