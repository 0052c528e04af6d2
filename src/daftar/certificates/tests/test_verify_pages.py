"""The public verification pages, the published keys and payload, the offline check, the PDF download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from daftar.accounts.models import User
from daftar.certificates import signing
from daftar.certificates.models import Certificate
from daftar.certificates.services import certificate_issue, certificate_revoke

pytestmark = pytest.mark.django_db


def _detail(client: Client, number: str) -> Any:
    return client.get(reverse("certificates:verify_detail", args=[number]))


def test_a_valid_certificate_shows_valid_with_its_public_fields(
    client: Client, certificate: Certificate
) -> None:
    response = _detail(client, certificate.number)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["verification"].status == "valid"
    assert "گواهی عدم خلاف" in page
    assert "سارا احمدی" in page
    assert "۰۰۱*****۷۹" in page  # masked, in Persian digits
    assert "0012345679" not in page
    assert "مسکونی" in page
    assert f'<bdi dir="ltr">{certificate.number}</bdi>' in page
    assert "این گواهی را شهرداری صادر کرده و معتبر است." in page


def test_a_revoked_certificate_shows_revoked_with_its_reason(
    client: Client, certificate: Certificate, reviewer_user: User
) -> None:
    certificate_revoke(certificate=certificate, actor=reviewer_user, reason="صدور بر اساس سند نادرست")
    response = _detail(client, certificate.number)
    assert response.status_code == 200
    assert response.context["verification"].status == "revoked"
    page = response.content.decode()
    assert "صدور بر اساس سند نادرست" in page
    assert "ابطال شده و دیگر اعتبار ندارد" in page


def _main(response: Any) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def test_an_unknown_and_a_malformed_number_look_the_same(client: Client, certificate: Certificate) -> None:
    unknown = _detail(client, "ABCD-EFGH-2345")
    malformed = _detail(client, "not-a-number<>")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.context["verification"].status == malformed.context["verification"].status == "unknown"
    assert _main(unknown).replace("ABCD-EFGH-2345", "X") == _main(malformed).replace(
        "not-a-number&lt;&gt;", "X"
    )


def test_a_number_typed_loosely_leads_to_the_certificates_own_page(
    client: Client, certificate: Certificate
) -> None:
    own_page = reverse("certificates:verify_detail", args=[certificate.number])
    typed = certificate.number.replace("-", "").lower()
    from_form = client.get(reverse("certificates:verify"), {"number": typed})
    assert (from_form.status_code, from_form["Location"]) == (302, own_page)
    persian_digits = certificate.number.translate(str.maketrans("23456789", "۲۳۴۵۶۷۸۹")).lower()
    from_address = _detail(client, persian_digits)
    assert (from_address.status_code, from_address["Location"]) == (302, own_page)
    assert _detail(client, certificate.number).context["verification"].status == "valid"


def test_the_verify_form_page_renders(client: Client, db: None) -> None:
    response = client.get(reverse("certificates:verify"))
    assert response.status_code == 200
    assert 'name="number"' in response.content.decode()


def test_lookups_by_number_are_rate_limited_per_connection(
    client: Client, certificate: Certificate, settings: Settings
) -> None:
    settings.CERTIFICATE_VERIFY_RATE_PER_IP = "3/m"
    statuses = [_detail(client, certificate.number).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_keys_json_publishes_the_current_key_and_retired_ones(client: Client, settings: Settings) -> None:
    retired = Ed25519PrivateKey.generate()
    retired_b64 = signing.b64url_encode(signing.public_key_raw(retired))
    settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = [retired_b64]
    keys = client.get(reverse("certificates:keys")).json()
    current = signing.current_key()
    assert keys == [
        {
            "key_id": current.key_id,
            "algorithm": "Ed25519",
            "public_key": signing.b64url_encode(current.public_raw),
            "status": "current",
        },
        {
            "key_id": signing.key_id(retired.public_key()),
            "algorithm": "Ed25519",
            "public_key": retired_b64,
            "status": "retired",
        },
    ]


def test_payload_json_serves_the_signed_bytes_and_the_signature_headers(
    client: Client, certificate: Certificate
) -> None:
    response = client.get(reverse("certificates:payload", args=[certificate.number]))
    assert response.status_code == 200
    assert response.content == certificate.payload.encode("utf-8")
    assert response["X-Daftar-Signature"] == certificate.signature
    assert response["X-Daftar-Key-Id"] == certificate.key_id
    assert json.loads(response.content)["number"] == certificate.number


def test_payload_json_of_an_unknown_number_is_404(client: Client, db: None) -> None:
    assert client.get(reverse("certificates:payload", args=["ABCD-EFGH-2345"])).status_code == 404


def test_the_downloaded_payload_verifies_offline_with_the_command(
    client: Client, certificate: Certificate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get(reverse("certificates:payload", args=[certificate.number]))
    payload = tmp_path / "payload.json"
    payload.write_bytes(response.content)
    keys = tmp_path / "keys.json"
    keys.write_bytes(client.get(reverse("certificates:keys")).content)
    signature = response["X-Daftar-Signature"]
    public_key = signing.b64url_encode(signing.current_key().public_raw)

    call_command("certificate_verify", str(payload), signature=signature, public_key=public_key)
    call_command(
        "certificate_verify",
        str(payload),
        signature=signature,
        keys=str(keys),
        key_id=response["X-Daftar-Key-Id"],
    )
    assert capsys.readouterr().out.count("valid: signed by key") == 2


def test_the_offline_command_rejects_a_tampered_payload_with_exit_code_1(
    client: Client, certificate: Certificate, tmp_path: Path
) -> None:
    response = client.get(reverse("certificates:payload", args=[certificate.number]))
    payload = tmp_path / "payload.json"
    payload.write_bytes(response.content.replace("سارا".encode(), "زهرا".encode()))
    public_key = signing.b64url_encode(signing.current_key().public_raw)
    with pytest.raises(CommandError) as info:
        call_command(
            "certificate_verify",
            str(payload),
            signature=response["X-Daftar-Signature"],
            public_key=public_key,
        )
    assert info.value.returncode == 1


def test_a_signature_starting_with_a_dash_is_read_as_a_value_not_an_option(
    client: Client, certificate: Certificate, tmp_path: Path
) -> None:
    # base64url signatures start with "-" one time in 64: the command must still read them.
    response = client.get(reverse("certificates:payload", args=[certificate.number]))
    payload = tmp_path / "payload.json"
    payload.write_bytes(response.content)
    public_key = signing.b64url_encode(signing.current_key().public_raw)
    signature = response["X-Daftar-Signature"]
    # Starts with "-" and differs from the real one (which may itself start with "-").
    wrong = "-" + ("B" if signature[1] == "A" else "A") + signature[2:]
    with pytest.raises(CommandError) as info:
        call_command("certificate_verify", str(payload), signature=wrong, public_key=public_key)
    assert "NOT valid" in str(info.value)  # checked and found wrong, not refused by the argument parser


def test_a_certificate_signed_with_a_retired_key_still_shows_valid(
    client: Client, filed_case: Any, reviewer_user: User, settings: Settings
) -> None:
    old_key = Ed25519PrivateKey.generate()
    settings.DAFTAR_SIGNING_KEY = signing.private_key_pem(old_key).decode()
    certificate = certificate_issue(case=filed_case, actor=reviewer_user)
    settings.DAFTAR_SIGNING_KEY = signing.private_key_pem(Ed25519PrivateKey.generate()).decode()
    assert (
        _detail(client, certificate.number).context["verification"].status == "unknown"
    )  # key not published
    settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = [signing.b64url_encode(signing.public_key_raw(old_key))]
    assert _detail(client, certificate.number).context["verification"].status == "valid"


def test_a_stored_payload_altered_in_the_database_is_not_shown_as_valid(
    client: Client, certificate: Certificate
) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(payload=certificate.payload.replace("سارا", "زهرا"))
    response = _detail(client, certificate.number)
    assert response.status_code == 404
    assert "زهرا" not in response.content.decode()


# --- the PDF download ---------------------------------------------------------------------------


def _pdf_url(certificate: Certificate) -> str:
    return reverse("certificates:pdf", args=[certificate.number])


def test_the_applicant_downloads_the_pdf(
    client: Client, certificate: Certificate, citizen_user: User
) -> None:
    client.force_login(citizen_user)
    response = client.get(_pdf_url(certificate))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]


def test_staff_of_the_cases_office_download_the_pdf(
    client: Client, certificate: Certificate, operator_user: User
) -> None:
    client.force_login(operator_user)
    assert client.get(_pdf_url(certificate)).status_code == 200


def test_a_stranger_or_an_anonymous_visitor_gets_404_for_the_pdf(
    client: Client, certificate: Certificate
) -> None:
    assert client.get(_pdf_url(certificate)).status_code == 404
    stranger = User.objects.create_user(username="stranger", password="x-test-password-1405")
    client.force_login(stranger)
    assert client.get(_pdf_url(certificate)).status_code == 404
