"""The catalogue admin applies the loader's validation and never edits a published version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from daftar.accounts.models import User
from daftar.catalog.models import ServiceVersion, VersionStatus
from daftar.catalog.services import service_version_new_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db: None) -> Client:
    user = User.objects.create_superuser(username="root", password="x-test-password-1405")
    client = Client()
    client.force_login(user)
    return client


def _form(version: ServiceVersion, **changes: Any) -> dict[str, Any]:
    data = {
        "name_fa": version.name_fa,
        "name_en": version.name_en,
        "description_fa": version.description_fa,
        "description_en": version.description_en,
        "department": version.department,
        "channels": json.dumps(version.channels),
        "sla_working_days": version.sla_working_days,
        "location": version.location,
        "links": json.dumps(version.links),
        "intake_schema": json.dumps(version.intake_schema, ensure_ascii=False),
        "documents": json.dumps(version.documents, ensure_ascii=False),
        "fees": json.dumps(version.fees),
        "inquiries": json.dumps(version.inquiries),
        "output": json.dumps(version.output, ensure_ascii=False),
        "valid_from": version.valid_from.isoformat(),
        "valid_to": "",
        "workflow_source": json.dumps(version.workflow_source, ensure_ascii=False),
    }
    data.update(changes)
    return data


def test_a_draft_with_a_broken_workflow_is_refused_with_the_reason(
    admin_client: Client, service_version: ServiceVersion
) -> None:
    draft = service_version_new_draft(version=service_version)
    broken = dict(draft.workflow_source)
    broken["start"] = "nowhere"
    response = admin_client.post(
        f"/admin/catalog/serviceversion/{draft.pk}/change/", _form(draft, workflow_source=json.dumps(broken))
    )
    assert response.status_code == 200
    assert "nowhere" in response.content.decode()
    draft.refresh_from_db()
    assert draft.workflow_source["start"] == "submitted"


def test_a_valid_draft_edit_is_saved_and_compiled(
    admin_client: Client, service_version: ServiceVersion
) -> None:
    draft = service_version_new_draft(version=service_version)
    response = admin_client.post(
        f"/admin/catalog/serviceversion/{draft.pk}/change/",
        _form(draft, name_fa="گواهی عدم خلاف (نسخه جدید)", sla_working_days=5),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.name_fa == "گواهی عدم خلاف (نسخه جدید)"
    assert draft.sla_working_days == 5
    assert "correction" in draft.workflow["states"]
    assert draft.status == VersionStatus.DRAFT


def test_a_published_version_cannot_be_changed_in_the_admin(
    admin_client: Client, service_version: ServiceVersion
) -> None:
    admin_client.post(
        f"/admin/catalog/serviceversion/{service_version.pk}/change/",
        _form(service_version, name_fa="تغییر غیرمجاز"),
    )
    service_version.refresh_from_db()
    assert service_version.name_fa == "گواهی عدم خلاف"
