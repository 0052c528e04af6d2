"""Check a certificate's signature offline, with nothing but its payload and a public key.

    manage.py certificate_verify payload.json --signature SIG --public-key KEY
    manage.py certificate_verify payload.json --signature SIG --keys keys.json [--key-id ID]

payload.json holds the bytes served at /verify/<number>/payload.json, exactly as downloaded;
SIG is its X-Daftar-Signature header. With --keys (the file served at /verify/keys.json) the key
named by --key-id (the X-Daftar-Key-Id header) is used, or else each key in turn. Prints whether
the signature is valid; the exit code is 1 when it is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.certificates.signing import b64url_decode, key_id, verify


class Command(BaseCommand):
    help = "Check a certificate payload's Ed25519 signature offline; exit code 1 if it is not valid."
    requires_system_checks: list[str] = []  # needs no database and no key of its own

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("payload", type=Path, help="the payload file, byte for byte as served")
        # Not required=True: a base64url signature may start with "-", which argparse would read
        # as an option; on the command line write --signature=VALUE.
        parser.add_argument(
            "--signature", help="base64url signature (X-Daftar-Signature); write --signature=VALUE"
        )
        keys = parser.add_mutually_exclusive_group(required=True)
        keys.add_argument("--public-key", help="base64url raw Ed25519 public key")
        keys.add_argument("--keys", type=Path, help="a keys.json file as published at /verify/keys.json")
        parser.add_argument("--key-id", default="", help="with --keys: the key to use (X-Daftar-Key-Id)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["signature"]:
            raise CommandError("--signature=VALUE is required")
        try:
            data = options["payload"].read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {options['payload']}: {exc.strerror}") from exc
        candidates = self._candidates(options)
        for raw in candidates:
            if verify(data, options["signature"], raw):
                self.stdout.write(f"valid: signed by key {key_id(raw)}")
                return
        raise CommandError("NOT valid: the signature does not match this payload and key", returncode=1)

    def _candidates(self, options: dict[str, Any]) -> list[bytes]:
        if options["public_key"]:
            return [_raw_key(options["public_key"])]
        try:
            published = json.loads(Path(options["keys"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the keys file: {exc}") from exc
        entries = published.get("keys", []) if isinstance(published, dict) else published
        if not isinstance(entries, list):
            raise CommandError("the keys file holds no list of keys")
        wanted = options["key_id"]
        keys = [
            _raw_key(str(entry.get("public_key", "")))
            for entry in entries
            if isinstance(entry, dict) and (not wanted or entry.get("key_id") == wanted)
        ]
        if not keys:
            raise CommandError(
                f"no key {wanted!r} in the keys file" if wanted else "the keys file lists no keys"
            )
        return keys


def _raw_key(text: str) -> bytes:
    try:
        raw = b64url_decode(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise CommandError("a public key is 32 bytes written in base64url")
    return raw
