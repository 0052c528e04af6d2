"""Ed25519 signatures over canonical JSON: what a certificate says, provably said by the city.

The payload is serialised one way only (sorted keys, no spaces, UTF-8, Persian left as is), so
anyone holding the bytes, the signature and the published public key can check it offline
with any Ed25519 library. Floats are refused: their text form differs between languages.

The private key comes from the settings (PEM text or a PEM file). Dev and test generate one on
first use at ``DAFTAR_SIGNING_KEY_GENERATE_AT`` (mode 0600); production must be given one, and
``manage.py check --deploy`` says so (see ``checks.py``). Earlier keys stay publishable as
*retired*: certificates signed with them still verify.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM: Final = "Ed25519"
PUBLIC_KEY_BYTES: Final = 32
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


# --- canonical JSON -----------------------------------------------------------------------------


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The one byte string a payload signs as: sorted keys, compact, UTF-8, non-ASCII unescaped.

    Only str, int, bool, None, lists and string-keyed dicts are allowed; a float (or anything
    else) is a TypeError, because its text form is not the same in every language.
    """
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a mapping, got {type(payload).__name__}")
    _check_value(payload, "$")
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def _check_value(value: object, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not allowed in a signed payload; write the number as text")
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, got {type(key).__name__}")
            _check_value(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(value).__name__} is not allowed in a signed payload")


# --- base64url ----------------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded (or padded) base64url; ValueError on any other character."""
    stripped = text.strip().rstrip("=")
    if not _BASE64URL.fullmatch(stripped):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


# --- keys ---------------------------------------------------------------------------------------


def public_key_raw(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey | bytes) -> str:
    """First 16 hex digits of the SHA-256 of the raw 32-byte public key."""
    raw = public_key if isinstance(public_key, bytes) else public_key_raw(public_key)
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes | str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; ImproperlyConfigured for anything else.

    PEM text pasted into one environment variable often has its line breaks written as ``\\n``;
    those are read as line breaks.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if "\\n" in text and "\n" not in text.strip():
        text = text.replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.strip().encode("utf-8") + b"\n", password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("the signing key is not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"the signing key must be an Ed25519 key, not {type(key).__name__}")
    return key


def key_file_write(path: Path, key: Ed25519PrivateKey, *, overwrite: bool = False) -> None:
    """Write a PEM private key readable by its owner only (0600); FileExistsError unless ``overwrite``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(key))
    os.chmod(path, 0o600)


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public_raw: bytes
    key_id: str


def is_configured() -> bool:
    """Whether a key is set, or may be generated here (dev and test)."""
    return bool(
        settings.DAFTAR_SIGNING_KEY
        or settings.DAFTAR_SIGNING_KEY_FILE
        or settings.DAFTAR_SIGNING_KEY_GENERATE_AT
    )


def current_key() -> SigningKey:
    """The key new certificates are signed with; ImproperlyConfigured when there is none."""
    generate_at = settings.DAFTAR_SIGNING_KEY_GENERATE_AT
    return _load_current(
        settings.DAFTAR_SIGNING_KEY,
        str(settings.DAFTAR_SIGNING_KEY_FILE or ""),
        str(generate_at) if generate_at else "",
    )


@lru_cache(maxsize=8)
def _load_current(pem: str, file: str, generate_at: str) -> SigningKey:
    if pem:
        private = private_key_from_pem(pem)
    elif file:
        try:
            private = private_key_from_pem(Path(file).read_bytes())
        except OSError as exc:
            raise ImproperlyConfigured(f"cannot read the signing key file {file}: {exc.strerror}") from exc
    elif generate_at:
        private = _generated_key(Path(generate_at))
    else:
        raise ImproperlyConfigured(
            "no signing key: set DAFTAR_SIGNING_KEY (PEM text) or DAFTAR_SIGNING_KEY_FILE "
            "(make one with `manage.py signing_key_generate PATH`)"
        )
    raw = public_key_raw(private)
    return SigningKey(private=private, public_raw=raw, key_id=key_id(raw))


def _generated_key(path: Path) -> Ed25519PrivateKey:
    """The key stored at ``path``, made (once, mode 0600) if there is none yet."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            key_file_write(path, Ed25519PrivateKey.generate())
    return private_key_from_pem(path.read_bytes())


def retired_public_keys() -> list[bytes]:
    """The raw public keys of earlier signing keys; ImproperlyConfigured for a malformed entry."""
    return list(_parse_retired(tuple(settings.DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS)))


@lru_cache(maxsize=8)
def _parse_retired(entries: tuple[str, ...]) -> tuple[bytes, ...]:
    keys = []
    for entry in entries:
        try:
            raw = b64url_decode(entry)
        except ValueError:
            raw = b""
        if len(raw) != PUBLIC_KEY_BYTES:
            raise ImproperlyConfigured(
                f"DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS: {entry!r} is not a base64url raw Ed25519 public key"
            )
        keys.append(raw)
    return tuple(keys)


def public_key_for(wanted_key_id: str) -> bytes | None:
    """The raw public key (current or retired) whose id is ``wanted_key_id``, if any."""
    current = current_key()
    if current.key_id == wanted_key_id:
        return current.public_raw
    return next((raw for raw in retired_public_keys() if key_id(raw) == wanted_key_id), None)


def public_keys() -> list[dict[str, str]]:
    """Every key a certificate may be checked against, for publishing: current first, then retired."""
    current = current_key()
    published = [_published(current.public_raw, "current")]
    seen = {current.key_id}
    for raw in retired_public_keys():
        if key_id(raw) not in seen:
            seen.add(key_id(raw))
            published.append(_published(raw, "retired"))
    return published


def _published(raw: bytes, status: str) -> dict[str, str]:
    return {"key_id": key_id(raw), "algorithm": ALGORITHM, "public_key": b64url_encode(raw), "status": status}


# --- signing ------------------------------------------------------------------------------------


def sign(data: bytes) -> tuple[str, str]:
    """Sign with the current key: (base64url signature without padding, key id)."""
    key = current_key()
    return b64url_encode(key.private.sign(data)), key.key_id


def verify(data: bytes, signature: str, public_key_raw: bytes) -> bool:
    """Whether ``signature`` (base64url) is the key's signature over exactly ``data``.

    Malformed signatures and keys are simply not valid: no exception reaches the caller.
    """
    try:
        public = Ed25519PublicKey.from_public_bytes(public_key_raw)
        public.verify(b64url_decode(signature), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
