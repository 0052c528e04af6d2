"""Certificates write PDFs through Django storage: each test gets its own media folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from daftar.certificates.models import Certificate


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def certificate(filed_case: Any, reviewer_user: Any) -> Certificate:
    from daftar.certificates.services import certificate_issue

    return certificate_issue(case=filed_case, actor=reviewer_user)
