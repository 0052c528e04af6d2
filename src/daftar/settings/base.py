"""Settings shared by every environment. Values that vary come from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # src/daftar
PROJECT_DIR = BASE_DIR.parent.parent  # repository root
VAR_DIR = Path(os.environ.get("DAFTAR_VAR_DIR", PROJECT_DIR / "var"))
# The service catalogue's data files (see docs/catalogue.md).
DAFTAR_CATALOG_DIR = Path(os.environ.get("DAFTAR_CATALOG_DIR", PROJECT_DIR / "catalog"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "captcha",
    "csp",
    "ninja",
    # core layer
    "daftar.core",
    "daftar.sms",
    "daftar.outbox",
    # people & places
    "daftar.accounts",
    "daftar.offices",
    # engine
    "daftar.catalog",
    "daftar.workflow",
    "daftar.cases",
    "daftar.documents",
    "daftar.certificates",
    "daftar.billing",
    "daftar.queueing",
    "daftar.appointments",
    # domain packages
    "daftar.inquiries",
    "daftar.fees",
    "daftar.licensing",
    "daftar.complaints",
    "daftar.reports",
    # simulators of outside parties (the sandbox bank), for the demo and tests; off in production
    "daftar.simulators.bank",
    # faces
    "daftar.api",
    "daftar.open311",
    "daftar.web",
]
# The benchmark suite's bare baseline endpoints (bench/baseline, see bench/README.md): never in production.
if env_bool("DAFTAR_BENCH", False):
    INSTALLED_APPS += ["bench.baseline"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Any view may raise django_ratelimit's Ratelimited; this answers with RATELIMIT_VIEW (429).
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "daftar.urls"
CSRF_FAILURE_VIEW = "daftar.web.views.csrf_failure"
WSGI_APPLICATION = "daftar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "daftar.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'daftar.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:signin"
LOGIN_REDIRECT_URL = "web:account"
LOGOUT_REDIRECT_URL = "web:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded documents go to an S3-compatible bucket when DAFTAR_S3_BUCKET is set (credentials from
# the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables), else to MEDIA_ROOT.
# Either way they are private: documents are only ever served through the permission-checked view.
if os.environ.get("DAFTAR_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["DAFTAR_S3_BUCKET"],
            "endpoint_url": os.environ.get("DAFTAR_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DAFTAR_S3_REGION") or None,
            "default_acl": None,  # the bucket's own policy, private by default
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Virus scanning of uploads: "clamd" (a ClamAV daemon over TCP) or "signature" (a local simulator
# that only knows the EICAR test file; dev, tests and the demo). Uploads fail closed without it.
DAFTAR_VIRUS_SCANNER = os.environ.get("DAFTAR_VIRUS_SCANNER", "clamd")
DAFTAR_CLAMD_HOST = os.environ.get("DAFTAR_CLAMD_HOST", "127.0.0.1")
DAFTAR_CLAMD_PORT = int(os.environ.get("DAFTAR_CLAMD_PORT", "3310"))
DAFTAR_CLAMD_TIMEOUT = float(os.environ.get("DAFTAR_CLAMD_TIMEOUT", "30"))

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "daftar"}
    )
}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "daftar.web.client_ip.client_ip"
# The header a trusted reverse proxy sets to the client's address (e.g. HTTP_X_REAL_IP); empty: none.
DAFTAR_CLIENT_IP_HEADER = os.environ.get("DAFTAR_CLIENT_IP_HEADER", "")
RATELIMIT_VIEW = "daftar.web.views.ratelimited"
# Public case tracking (tracking code + national code): attempts per client address.
DAFTAR_CASE_TRACK_RATE_PER_IP = os.environ.get("DAFTAR_CASE_TRACK_RATE_PER_IP", "10/m")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy: no inline scripts or styles anywhere, fonts from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Captcha (the national portals' «عدد امنیتی»): digits only, read by people in Persian offices.
CAPTCHA_CHALLENGE_FUNCT = "daftar.web.numeric_captcha.digits_challenge"
CAPTCHA_TIMEOUT = 5  # minutes
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_IMAGE_SIZE = (140, 50)

# One-time passwords for citizens.
OTP_CODE_LENGTH = 6
OTP_TTL_SECONDS = int(os.environ.get("DAFTAR_OTP_TTL_SECONDS", "120"))
OTP_MAX_ATTEMPTS = 5
# Codes per mobile number: (how many, within seconds). Counted from stored challenges.
OTP_MOBILE_LIMITS = [(3, 10 * 60), (10, 24 * 60 * 60)]
OTP_RATE_PER_IP = os.environ.get("DAFTAR_OTP_RATE_PER_IP", "20/h")
OTP_VERIFY_RATE_PER_IP = os.environ.get("DAFTAR_OTP_VERIFY_RATE_PER_IP", "30/h")
STAFF_SIGNIN_RATE_PER_IP = os.environ.get("DAFTAR_STAFF_SIGNIN_RATE_PER_IP", "20/h")
STAFF_SIGNIN_RATE_PER_USERNAME = os.environ.get("DAFTAR_STAFF_SIGNIN_RATE_PER_USERNAME", "10/h")
OTP_TOTP_ISSUER = "Daftar"

# SMS goes through a provider; "console" records messages locally (dev, tests, demo).
SMS_PROVIDER = os.environ.get("DAFTAR_SMS_PROVIDER", "console")
SMS_SENDER = os.environ.get("DAFTAR_SMS_SENDER", "")
KAVENEGAR_API_KEY = os.environ.get("KAVENEGAR_API_KEY", "")
KAVENEGAR_OTP_TEMPLATE = os.environ.get("KAVENEGAR_OTP_TEMPLATE", "")
KAVENEGAR_BASE_URL = os.environ.get("KAVENEGAR_BASE_URL", "https://api.kavenegar.com/v1")
SMS_TIMEOUT_SECONDS = float(os.environ.get("DAFTAR_SMS_TIMEOUT_SECONDS", "10"))
# Only the console provider keeps a message's text readable; real providers keep a redacted copy.
SMS_STORE_SENSITIVE = False
DEV_SMS_PAGE = False

DAFTAR_DEFAULT_CITY = os.environ.get("DAFTAR_DEFAULT_CITY", "tehran")

# Certificates are signed with Ed25519. The private key is PEM text (DAFTAR_SIGNING_KEY, from the
# environment) or a PEM file (DAFTAR_SIGNING_KEY_FILE). Dev and test generate one at
# DAFTAR_SIGNING_KEY_GENERATE_AT when neither is set; production never does (a deploy check fails).
DAFTAR_SIGNING_KEY = os.environ.get("DAFTAR_SIGNING_KEY", "")
DAFTAR_SIGNING_KEY_FILE = os.environ.get("DAFTAR_SIGNING_KEY_FILE", "")
DAFTAR_SIGNING_KEY_GENERATE_AT: Path | None = None
# Public keys (base64url, raw 32 bytes) of earlier signing keys: old certificates still verify.
DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS = env_list("DAFTAR_SIGNING_RETIRED_PUBLIC_KEYS")
# The site's public address, printed in the certificate's QR code (no trailing slash needed).
# Payments. Online gateways offered to payers, in order: real ones such as "zarinpal" or "zibal",
# configured below. Dev and test offer "sandbox", the local sandbox bank; production offers none
# until they are listed (counter payments work regardless).
DAFTAR_PAYMENT_PROVIDERS = env_list("DAFTAR_PAYMENT_PROVIDERS")
DAFTAR_PAYMENT_GATEWAYS: dict[str, dict[str, str]] = {
    "zarinpal": {
        "merchant_id": os.environ.get("DAFTAR_ZARINPAL_MERCHANT_ID", ""),
        "sandbox": os.environ.get("DAFTAR_ZARINPAL_SANDBOX", "false"),
    },
    "zibal": {"merchant": os.environ.get("DAFTAR_ZIBAL_MERCHANT", "")},
}
# The sandbox bank's pages are served at /sandbox-bank/ only when this is on (never in production).
DAFTAR_SANDBOX_BANK = env_bool("DAFTAR_SANDBOX_BANK", False)
# What amounts are shown in: "rial" or "toman" (stored amounts are always rials).
DAFTAR_MONEY_UNIT = os.environ.get("DAFTAR_MONEY_UNIT", "rial")
# Appointment rules a city may tune (defaults and meaning: daftar/appointments/conf.py), e.g.
# DAFTAR_APPOINTMENT_CHANGE_HOURS_BEFORE=4.
for _name in (
    "MIN_LEAD_MINUTES",
    "HORIZON_DAYS",
    "CHANGE_HOURS_BEFORE",
    "CHECK_IN_EARLY_MINUTES",
    "GRACE_MINUTES",
    "NO_SHOW_LIMIT",
    "NO_SHOW_WINDOW_DAYS",
    "NO_SHOW_BLOCK_DAYS",
):
    if f"DAFTAR_APPOINTMENT_{_name}" in os.environ:
        globals()[f"APPOINTMENT_{_name}"] = int(os.environ[f"DAFTAR_APPOINTMENT_{_name}"])
DAFTAR_BOOKING_LOOKUP_RATE = os.environ.get("DAFTAR_BOOKING_LOOKUP_RATE", "60/m")
# One kiosk serves a whole waiting room from one address: generous, per IP.
DAFTAR_QUEUE_TICKET_RATE_PER_IP = os.environ.get("DAFTAR_QUEUE_TICKET_RATE_PER_IP", "30/m")
PAYMENT_LOOKUP_RATE_PER_IP = os.environ.get("DAFTAR_PAYMENT_LOOKUP_RATE_PER_IP", "20/m")

DAFTAR_PUBLIC_BASE_URL = os.environ.get("DAFTAR_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
CERTIFICATE_VERIFY_RATE_PER_IP = os.environ.get("DAFTAR_CERTIFICATE_VERIFY_RATE_PER_IP", "30/m")
# The public register of licensed offices (searches per address) and office-hours writes per user.
DAFTAR_REGISTER_RATE_PER_IP = os.environ.get("DAFTAR_REGISTER_RATE_PER_IP", "30/m")
DAFTAR_HOURS_WRITE_RATE = os.environ.get("DAFTAR_HOURS_WRITE_RATE", "30/m")

# Background work: Celery on Redis (or any broker URL). With no broker configured (the embedded
# default: `make run` on SQLite) tasks run eagerly, in the process that queues them, and
# `manage.py periodic_run` (started by `make run`) runs the schedule below instead of beat.
_CELERY_BROKER = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
CELERY_BROKER_URL = _CELERY_BROKER or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not _CELERY_BROKER)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is delivered again (tasks are idempotent)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING below
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# "expires": a run still queued when the next one is due is dropped rather than piling up.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "outbox-deliver-due": {"task": "outbox.deliver_due", "schedule": 30.0, "options": {"expires": 25.0}},
    "cases-sweep-overdue": {
        "task": "cases.sweep_overdue",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60.0},
    },
    "inquiries-sweep-overdue": {
        "task": "inquiries.sweep_overdue",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60.0},
    },
    "cases-remind-waiting-applicants": {
        "task": "cases.remind_waiting_applicants",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
    # Appointments: bookings whose time passed without a check-in become no-shows; reminders the day before.
    "appointments-mark-no-shows": {
        "task": "appointments.mark_no_shows",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60.0},
    },
    "appointments-remind": {
        "task": "appointments.remind",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
    # Office licensing: suspensions start and end on their days; expiry, renewal reminders and the
    # previous day's out-of-hours activity once a day.
    "licensing-sanctions-due": {
        "task": "licensing.sanctions_due",
        "schedule": 60 * 60.0,
        "options": {"expires": 50 * 60.0},
    },
    "licensing-licences-daily": {
        "task": "licensing.licences_daily",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
    # Open311 requests whose filing was deferred (or failed) are filed again.
    "open311-file-pending": {
        "task": "open311.file_pending",
        "schedule": 300.0,
        "options": {"expires": 240.0},
    },
    # Online payments whose payer never came back, or whose verify call failed, are verified again.
    "billing-reconcile-payments": {
        "task": "billing.reconcile_payments",
        "schedule": 5 * 60.0,
        "options": {"expires": 4 * 60.0},
    },
}

# The transactional outbox (daftar.outbox): retries with backoff, then parks a message as dead.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "120"))  # a worker's hold on one message
OUTBOX_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OUTBOX_WEBHOOK_TIMEOUT_SECONDS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DAFTAR_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "INFO"}},
}
