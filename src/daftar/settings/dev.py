"""Development and demo: SQLite and local files by default, console SMS, DEBUG on."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-used-in-production"  # noqa: F405
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
SMS_STORE_SENSITIVE = True
DEV_SMS_PAGE = True
DAFTAR_VIRUS_SCANNER = os.environ.get("DAFTAR_VIRUS_SCANNER", "signature")  # no ClamAV needed locally

VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405 - the SQLite file and uploads live here
DAFTAR_SIGNING_KEY_GENERATE_AT = VAR_DIR / "signing-key.pem"  # noqa: F405 - made on first use, mode 0600

DAFTAR_SANDBOX_BANK = env_bool("DAFTAR_SANDBOX_BANK", True)  # the local sandbox bank serves the demo
DAFTAR_PAYMENT_PROVIDERS = env_list("DAFTAR_PAYMENT_PROVIDERS") or ["sandbox"]
