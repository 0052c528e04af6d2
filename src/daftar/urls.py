from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from daftar.api.api import api, not_found

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", not_found),
    path("captcha/", include("captcha.urls")),
    path("open311/", include("daftar.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("daftar.documents.urls")),
    path("", include("daftar.certificates.urls")),
    path("", include("daftar.queueing.urls")),
    path("", include("daftar.web.urls")),
]
if "bench.baseline" in settings.INSTALLED_APPS:  # the benchmark baselines (DAFTAR_BENCH=1 only)
    urlpatterns.insert(0, path("bench/", include("bench.baseline.urls")))
if settings.DAFTAR_SANDBOX_BANK:  # the local sandbox bank: demo and tests only
    urlpatterns.append(path("sandbox-bank/", include("daftar.simulators.bank.urls")))
# Uploaded files are never served straight from MEDIA_ROOT, not even in development: documents and
# certificates go through views that check who may see them.
