"""Tests: the database comes from DATABASE_URL (SQLite by default, PostgreSQL in the second run)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in prod
SMS_STORE_SENSITIVE = True
DEV_SMS_PAGE = True
DAFTAR_VIRUS_SCANNER = "signature"  # the EICAR simulator; the clamd client is tested against a fake daemon
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test"}}
MEDIA_ROOT = BASE_DIR.parent.parent / "var" / f"test-media-{os.getpid()}"  # noqa: F405
# The live-server browser tests load CSS and fonts straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Certificates are signed with a test-only key made on first use (mode 0600), outside the tree.
DAFTAR_SIGNING_KEY_GENERATE_AT = Path(tempfile.gettempdir()) / f"daftar-test-signing-key-{os.getuid()}.pem"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent tests (threads) then wait for the writer as in
    # production instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"daftar-test-{os.getpid()}.sqlite3")
    }

# Tasks run eagerly (in the test's own process) unless a test starts a real worker, which it runs
# with CELERY_TASK_ALWAYS_EAGER=0 and CELERY_BROKER_URL pointing at the local Redis.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(Path(tempfile.gettempdir()) / f"daftar-test-celerybeat-{os.getpid()}")
# Files the code writes under VAR_DIR at run time (the demo's simulator.json) go to a scratch
# directory, never into a developer's var/ where `make run` keeps its own.
VAR_DIR = Path(tempfile.gettempdir()) / f"daftar-test-var-{os.getpid()}"

DAFTAR_SANDBOX_BANK = env_bool("DAFTAR_SANDBOX_BANK", True)  # the local sandbox bank serves the demo
DAFTAR_PAYMENT_PROVIDERS = env_list("DAFTAR_PAYMENT_PROVIDERS") or ["sandbox"]
