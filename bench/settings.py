"""Settings for benchmarks: the dev settings made production-like (DEBUG off, quiet logs), with the
baseline app installed and the guards that stop a load generator (captcha, per-address rate
limits) opened. Never use these for a real site."""

from __future__ import annotations

import os

os.environ.setdefault("DAFTAR_BENCH", "1")  # base.py installs bench.baseline when this is on

from daftar.settings.dev import *  # noqa: F403
from daftar.settings.dev import INSTALLED_APPS

if "bench.baseline" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SMS_STORE_SENSITIVE = False
DEV_SMS_PAGE = False

# A load generator comes from one address and cannot read a captcha: open both guards, keep the
# code paths (the rate-limit counters are still incremented, the captcha store still written).
CAPTCHA_TEST_MODE = True
_OPEN = "1000000/m"
DAFTAR_CASE_TRACK_RATE_PER_IP = _OPEN
PAYMENT_LOOKUP_RATE_PER_IP = _OPEN
DAFTAR_REGISTER_RATE_PER_IP = _OPEN
CERTIFICATE_VERIFY_RATE_PER_IP = _OPEN

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DAFTAR_LOG_LEVEL", "WARNING")},
    "loggers": {"django.request": {"level": "ERROR"}},  # no line per 404 under load
}
