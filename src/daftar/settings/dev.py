"""Development and demo: SQLite and local files by default, console SMS, DEBUG on."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env_list

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-used-in-production"  # noqa: F405
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
SMS_STORE_SENSITIVE = True
DEV_SMS_PAGE = True

VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405 - the SQLite file and uploads live here
