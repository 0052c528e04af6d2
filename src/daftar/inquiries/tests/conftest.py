"""Shared by the inquiries tests: the real catalogue, a utility inquiry case, its inquiries sent; each
test gets its own media folder (attachments are written through Django storage)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from pytest_django.fixtures import Settings

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import case_act, case_file
from daftar.catalog.selectors import service_current
from daftar.catalog.services import catalog_load
from daftar.documents.services import document_upload

UTILITIES = {"renewal_code": "3-123-45-6-7-8", "water_bill_id": "1234567890", "purpose": "transfer"}


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DAFTAR_VIRUS_SCANNER = "signature"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def catalogue(db: None, tehran_tariffs: None) -> None:
    catalog_load(directory=settings.DAFTAR_CATALOG_DIR)


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


@pytest.fixture
def utilities_case(
    catalogue: None, office: Any, operator_user: User, citizen_user: User, pay_case_bills: Any
) -> Case:
    service = service_current(code="inquiry.utilities")
    assert service is not None
    data = {key: value for key, value in UTILITIES.items() if key in service.intake_schema["properties"]}
    case = case_file(
        service=service,
        applicant=citizen_user.person,
        office=office,
        channel="office",
        data=data,
        actor=operator_user,
    )
    for requirement in service.documents:
        if requirement["required"]:
            document_upload(
                case=case,
                requirement=requirement["code"],
                content=pdf_bytes(),
                file_name="doc.pdf",
                actor=operator_user,
            )
    pay_case_bills(case)  # the fees are paid at filing, so accepting sends the inquiries at once
    return case


def accept(case: Case, reviewer: User, capture: Any) -> Case:
    case.refresh_from_db()
    with capture(execute=True):
        case_act(case=case, action="accept", actor=reviewer, expected_version=case.version)
    case.refresh_from_db()  # the paid case moved on by itself after the commit
    return case


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def sent(utilities_case: Case, reviewer_user: User, django_capture_on_commit_callbacks: Any) -> Case:
    """The utility case accepted: its four inquiries (water, electricity, gas, telecom) went out."""
    return accept(utilities_case, reviewer_user, django_capture_on_commit_callbacks)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
