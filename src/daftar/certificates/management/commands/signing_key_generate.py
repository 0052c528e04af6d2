"""Make a new certificate signing key: `manage.py signing_key_generate PATH [--force]`.

Writes the Ed25519 private key as PEM, readable by its owner only (0600), and prints its key id
and public key. To rotate: point DAFTAR_SIGNING_KEY_FILE at the new file and add the old public
key to DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS so certificates already issued still verify.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.certificates.signing import b64url_encode, key_file_write, key_id, public_key_raw


class Command(BaseCommand):
    help = "Write a new Ed25519 signing key (PEM, mode 0600) and print its key id and public key."
    requires_system_checks: list[str] = []  # runs before any key is configured

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="where to write the private key")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        key = Ed25519PrivateKey.generate()
        try:
            key_file_write(path, key, overwrite=options["force"])
        except FileExistsError:
            raise CommandError(f"{path} exists; use --force to replace it") from None
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
        raw = public_key_raw(key)
        self.stdout.write(f"key_id: {key_id(raw)}")
        self.stdout.write(f"public_key: {b64url_encode(raw)}")
