"""Downloading a document: only to those who may see the case, as an inert attachment."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import FileResponse
from django.test import Client
from django.urls import reverse

from daftar.cases.models import Case
from daftar.documents.models import Document

from .conftest import upload
from .samples import pdf_bytes

pytestmark = pytest.mark.django_db


def _get(client: Client, document_pk: int) -> Any:
    return client.get(reverse("documents:download", args=[document_pk]))


def test_owner_gets_the_file_as_an_inert_attachment(
    client: Client, filed_case: Case, citizen_user: Any
) -> None:
    content = pdf_bytes()
    document = upload(filed_case, citizen_user, content, name="scan.png")
    client.force_login(citizen_user)
    response = _get(client, document.pk)
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    response.close()
    assert body == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="scan.pdf"' in response["Content-Disposition"]  # the real type's extension
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_office_staff_of_the_case_may_download(client: Client, deed: Document, operator_user: Any) -> None:
    client.force_login(operator_user)
    response = _get(client, deed.pk)
    assert response.status_code == 200
    response.close()


def test_stranger_gets_not_found(client: Client, deed: Document, stranger_user: Any) -> None:
    client.force_login(stranger_user)
    assert _get(client, deed.pk).status_code == 404


def test_missing_document_answers_the_same_as_a_hidden_one(
    client: Client, deed: Document, citizen_user: Any
) -> None:
    client.force_login(citizen_user)
    assert _get(client, deed.pk + 1000).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, deed: Document) -> None:
    response = _get(client, deed.pk)
    assert response.status_code == 302
    assert reverse("web:signin") in response["Location"]
