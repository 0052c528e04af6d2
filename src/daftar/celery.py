"""The Celery application: workers run ``celery -A daftar worker``, the scheduler ``celery -A daftar beat``.

Configuration comes from Django settings whose names start with ``CELERY_`` (see settings/base.py):
with no broker configured, tasks run eagerly in the calling process (the embedded default).
Each app's ``tasks.py`` is discovered from INSTALLED_APPS.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daftar.settings.prod")  # as daftar.wsgi

app = Celery("daftar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
