"""Canonical JSON, Ed25519 signing and verifying, and where the signing key comes from."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from daftar.certificates import signing
from daftar.certificates.checks import (
    BAD_KEY,
    BAD_RETIRED_KEY,
    MISSING_KEY,
    signing_key_present,
    signing_keys_load,
)


def _pem(key: Ed25519PrivateKey) -> str:
    return signing.private_key_pem(key).decode("ascii")


def _b64(key: Ed25519PrivateKey) -> str:
    return signing.b64url_encode(signing.public_key_raw(key))


@pytest.fixture
def key_a(settings: Settings) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    settings.DAFTAR_SIGNING_KEY = _pem(key)
    settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = []
    return key


# --- canonical JSON ----------------------------------------------------------------------------


def test_canonical_json_sorts_keys_at_every_level_and_has_no_spaces() -> None:
    first = signing.canonical_json({"b": 1, "a": {"z": None, "y": [True, False]}})
    second = signing.canonical_json({"a": {"y": [True, False], "z": None}, "b": 1})
    assert first == second == b'{"a":{"y":[true,false],"z":null},"b":1}'


def test_canonical_json_keeps_persian_text_as_utf8_not_escapes() -> None:
    data = signing.canonical_json({"title": "گواهی عدم خلاف"})
    assert data == '{"title":"گواهی عدم خلاف"}'.encode()
    assert b"\\u" not in data


def test_canonical_json_refuses_floats_anywhere() -> None:
    with pytest.raises(TypeError, match="float"):
        signing.canonical_json({"area": 120.5})
    with pytest.raises(TypeError, match="float"):
        signing.canonical_json({"fields": [["مساحت", 1.0]]})


def test_canonical_json_refuses_non_string_keys_and_other_objects() -> None:
    with pytest.raises(TypeError):
        signing.canonical_json({"a": {1: "x"}})
    with pytest.raises(TypeError):
        signing.canonical_json({"a": {1, 2}})


def test_canonical_json_reads_back_to_the_same_payload() -> None:
    payload = {"v": 1, "fields": [["کد نوسازی", "3-123-45-6"]], "office": None}
    assert json.loads(signing.canonical_json(payload)) == payload


# --- signatures --------------------------------------------------------------------------------


def test_signature_made_with_the_current_key_verifies_with_its_public_key(key_a: Ed25519PrivateKey) -> None:
    data = signing.canonical_json({"number": "ABCD-EFGH-2345"})
    signature, key_id = signing.sign(data)
    assert "=" not in signature
    assert len(signing.b64url_decode(signature)) == 64
    assert key_id == signing.key_id(key_a.public_key())
    assert signing.verify(data, signature, signing.public_key_raw(key_a))


def test_a_tampered_payload_does_not_verify(key_a: Ed25519PrivateKey) -> None:
    data = signing.canonical_json({"applicant": "سارا احمدی", "valid_until": "2026-06-01"})
    signature, _key_id = signing.sign(data)
    tampered = data.replace(b"2026-06-01", b"2027-06-01")
    assert not signing.verify(tampered, signature, signing.public_key_raw(key_a))


def test_another_key_or_a_garbled_signature_does_not_verify(key_a: Ed25519PrivateKey) -> None:
    data = b'{"a":1}'
    signature, _key_id = signing.sign(data)
    other = signing.public_key_raw(Ed25519PrivateKey.generate())
    assert not signing.verify(data, signature, other)
    assert not signing.verify(data, "not base64 at all!", signing.public_key_raw(key_a))
    assert not signing.verify(data, signature, b"short")


def test_key_id_is_16_hex_digits_of_the_public_key_hash() -> None:
    key = Ed25519PrivateKey.generate()
    key_id = signing.key_id(key.public_key())
    assert len(key_id) == 16
    assert int(key_id, 16) >= 0
    assert key_id == signing.key_id(signing.public_key_raw(key))


def test_a_retired_key_still_verifies_what_it_signed(settings: Settings, key_a: Ed25519PrivateKey) -> None:
    data = b'{"number":"ABCD-EFGH-2345"}'
    signature, old_id = signing.sign(data)
    key_b = Ed25519PrivateKey.generate()
    settings.DAFTAR_SIGNING_KEY = _pem(key_b)
    settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = [_b64(key_a)]
    old_public = signing.public_key_for(old_id)
    assert old_public is not None
    assert signing.verify(data, signature, old_public)
    assert signing.sign(data)[1] == signing.key_id(key_b.public_key())  # new signatures use the new key


def test_a_key_neither_current_nor_retired_is_not_found(settings: Settings, key_a: Ed25519PrivateKey) -> None:
    _signature, old_id = signing.sign(b"x")
    settings.DAFTAR_SIGNING_KEY = _pem(Ed25519PrivateKey.generate())
    assert signing.public_key_for(old_id) is None


def test_published_keys_list_the_current_key_first_then_retired_ones(
    settings: Settings, key_a: Ed25519PrivateKey
) -> None:
    retired = Ed25519PrivateKey.generate()
    settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = [
        _b64(retired),
        _b64(key_a),
    ]  # the current one is not repeated
    assert signing.public_keys() == [
        {
            "key_id": signing.key_id(key_a.public_key()),
            "algorithm": "Ed25519",
            "public_key": _b64(key_a),
            "status": "current",
        },
        {
            "key_id": signing.key_id(retired.public_key()),
            "algorithm": "Ed25519",
            "public_key": _b64(retired),
            "status": "retired",
        },
    ]


# --- where the key comes from ------------------------------------------------------------------


def test_without_a_configured_key_dev_and_test_generate_one_file_with_mode_0600(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "var" / "signing-key.pem"
    settings.DAFTAR_SIGNING_KEY = ""
    settings.DAFTAR_SIGNING_KEY_FILE = ""
    settings.DAFTAR_SIGNING_KEY_GENERATE_AT = path
    first = signing.current_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.private_key_from_pem(path.read_bytes()).public_key() == first.private.public_key()
    signing._load_current.cache_clear()  # as a restarted process would: the same file, the same key
    assert signing.current_key().key_id == first.key_id


def test_a_key_file_is_read_when_no_pem_text_is_set(settings: Settings, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "k.pem"
    signing.key_file_write(path, key)
    settings.DAFTAR_SIGNING_KEY = ""
    settings.DAFTAR_SIGNING_KEY_FILE = str(path)
    assert signing.current_key().key_id == signing.key_id(key.public_key())


def test_pem_text_from_one_environment_line_with_escaped_newlines_is_read(settings: Settings) -> None:
    key = Ed25519PrivateKey.generate()
    settings.DAFTAR_SIGNING_KEY = _pem(key).strip().replace("\n", "\\n")
    assert signing.current_key().key_id == signing.key_id(key.public_key())


def test_production_without_a_key_refuses_to_sign_and_fails_the_deploy_check(settings: Settings) -> None:
    settings.DAFTAR_SIGNING_KEY = ""
    settings.DAFTAR_SIGNING_KEY_FILE = ""
    settings.DAFTAR_SIGNING_KEY_GENERATE_AT = None
    with pytest.raises(ImproperlyConfigured):
        signing.sign(b"x")
    assert [error.id for error in signing_key_present()] == [MISSING_KEY]


def test_a_configured_key_passes_the_deploy_check(key_a: Ed25519PrivateKey) -> None:
    assert signing_key_present() == []
    assert signing_keys_load() == []


def test_a_key_that_is_not_ed25519_or_not_pem_fails_the_check(settings: Settings) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    ec_key = ec.generate_private_key(ec.SECP256R1())
    settings.DAFTAR_SIGNING_KEY = ec_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    ).decode()
    assert [error.id for error in signing_keys_load()] == [BAD_KEY]
    settings.DAFTAR_SIGNING_KEY = "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----"
    assert [error.id for error in signing_keys_load()] == [BAD_KEY]


def test_a_malformed_retired_key_fails_the_check(key_a: Ed25519PrivateKey, settings: Settings) -> None:
    settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = ["too-short"]
    assert [error.id for error in signing_keys_load()] == [BAD_RETIRED_KEY]
