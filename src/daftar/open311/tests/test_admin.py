"""The admin shows Open311 clients, keys and requests read-only; keys are revoked there, never made."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from daftar.open311.models import Open311Client, Open311Key, Open311Request

from .conftest import STREET_LIGHT

pytestmark = pytest.mark.django_db


def test_admin_pages_open_and_nothing_can_be_added_there(
    admin_client: Client, post_request: Any, reports: Any
) -> None:
    post_request("json", **STREET_LIGHT, email="reporter@example.com")
    client = Open311Client.objects.get()
    key = Open311Key.objects.get()
    record = Open311Request.objects.get()
    for name, pk in (("open311client", client.pk), ("open311key", key.pk), ("open311request", record.pk)):
        assert admin_client.get(reverse(f"admin:open311_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:open311_{name}_change", args=[pk])).status_code == 200
        assert admin_client.get(reverse(f"admin:open311_{name}_add")).status_code == 403
    page = admin_client.get(reverse("admin:open311_open311request_change", args=[record.pk]))
    assert "reporter@example.com" in page.content.decode()
    assert (
        key.key_hash
        not in admin_client.get(reverse("admin:open311_open311key_change", args=[key.pk])).content.decode()
    )


def test_keys_are_revoked_from_the_admin(
    admin_client: Client, api_key: str, post_request: Any, reports: Any
) -> None:
    key = Open311Key.objects.get()
    response = admin_client.post(
        reverse("admin:open311_open311key_changelist"), {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert post_request("json", **STREET_LIGHT).status_code == 403
