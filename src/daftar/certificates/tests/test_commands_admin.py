"""The key-generation command and the admin's revoke action."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from daftar.accounts.models import User
from daftar.certificates import signing
from daftar.certificates.models import Certificate


def test_signing_key_generate_writes_an_owner_only_pem_and_prints_its_public_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys" / "signing-key.pem"
    call_command("signing_key_generate", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = signing.private_key_from_pem(path.read_bytes())
    out = capsys.readouterr().out
    assert f"key_id: {signing.key_id(key.public_key())}" in out
    assert f"public_key: {signing.b64url_encode(signing.public_key_raw(key))}" in out


def test_signing_key_generate_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    call_command("signing_key_generate", str(path))
    before = path.read_bytes()
    with pytest.raises(CommandError):
        call_command("signing_key_generate", str(path))
    assert path.read_bytes() == before
    call_command("signing_key_generate", str(path), force=True)
    assert path.read_bytes() != before


@pytest.fixture
def admin_client(client: Client, db: None) -> Client:
    admin = User.objects.create_superuser(username="root", password="x-test-password-1405")
    client.force_login(admin)
    return client


def _revoke(client: Client, certificate: Certificate, **extra: str) -> object:
    return client.post(
        reverse("admin:certificates_certificate_changelist"),
        {"action": "revoke", "_selected_action": [str(certificate.pk)], **extra},
    )


@pytest.mark.django_db
def test_the_admin_revoke_action_asks_for_a_reason_first(
    admin_client: Client, certificate: Certificate
) -> None:
    response = _revoke(admin_client, certificate)
    assert response.status_code == 200  # the confirmation page, with the reason field
    assert 'name="reason"' in response.content.decode()
    certificate.refresh_from_db()
    assert not certificate.is_revoked


@pytest.mark.django_db
def test_the_admin_revoke_action_revokes_with_the_reason(
    admin_client: Client, certificate: Certificate
) -> None:
    response = _revoke(admin_client, certificate, confirm="1", reason="ابطال به دستور کمیسیون")
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoke_reason == "ابطال به دستور کمیسیون"


@pytest.mark.django_db
def test_certificates_cannot_be_added_or_edited_in_the_admin(
    admin_client: Client, certificate: Certificate
) -> None:
    assert admin_client.get(reverse("admin:certificates_certificate_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:certificates_certificate_change", args=[certificate.pk]), {"title_fa": "جعلی"}
    )
    assert change.status_code == 403
    certificate.refresh_from_db()
    assert certificate.title_fa == "گواهی عدم خلاف"
