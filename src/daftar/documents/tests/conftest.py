"""Documents are written through Django storage: each test gets its own media folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from daftar.documents.models import Document
from daftar.documents.services import document_upload

from .samples import pdf_bytes


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DAFTAR_VIRUS_SCANNER = "signature"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def stranger_user(db: None) -> Any:
    from daftar.accounts.models import User

    return User.objects.create_user(username="stranger", password="x-test-password-1405")


@pytest.fixture
def deed(filed_case: Any, operator_user: Any) -> Document:
    """A PDF title deed uploaded at the counter, awaiting review."""
    return upload(filed_case, operator_user, pdf_bytes(), name="deed.pdf")


def upload(
    case: Any, actor: Any, content: bytes, *, requirement: str = "deed", name: str = "d.pdf"
) -> Document:
    return document_upload(case=case, requirement=requirement, content=content, file_name=name, actor=actor)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
