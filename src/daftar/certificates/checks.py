"""System checks: a production site must be given its signing key, and configured keys must load."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import signing

MISSING_KEY = "daftar.E010"
BAD_KEY = "daftar.E011"
BAD_RETIRED_KEY = "daftar.E012"


@checks.register(checks.Tags.security)
def signing_keys_load(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A configured key (current or retired) that does not load is an error everywhere."""
    errors: list[checks.CheckMessage] = []
    if settings.DAFTAR_SIGNING_KEY or settings.DAFTAR_SIGNING_KEY_FILE:  # a generated key is made on use
        try:
            signing.current_key()
        except ImproperlyConfigured as exc:
            errors.append(
                checks.Error(
                    f"The certificate signing key cannot be used: {exc}",
                    hint="Set DAFTAR_SIGNING_KEY or DAFTAR_SIGNING_KEY_FILE to an Ed25519 PEM private key.",
                    id=BAD_KEY,
                )
            )
    try:
        signing.retired_public_keys()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id=BAD_RETIRED_KEY))
    return errors


@checks.register(checks.Tags.security, deploy=True)
def signing_key_present(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Production never generates a key: without one, no certificate can be issued."""
    if signing.is_configured():
        return []
    return [
        checks.Error(
            "No certificate signing key is configured.",
            hint=(
                "Create one with `manage.py signing_key_generate /path/signing-key.pem` and set "
                "DAFTAR_SIGNING_KEY_FILE to that path, or put the PEM text in DAFTAR_SIGNING_KEY."
            ),
            id=MISSING_KEY,
        )
    ]
