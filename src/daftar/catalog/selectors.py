"""Reads of the service catalogue."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from daftar.core.jalali import local_today
from daftar.core.memo import Memo
from daftar.core.text import normalize_for_search

from .models import ServiceCategory, ServiceVersion, VersionStatus


def categories_list() -> QuerySet[ServiceCategory]:
    return ServiceCategory.objects.order_by("position", "code")


def services_current(
    *, channel: str | None = None, category: str | None = None, query: str = "", day: date | None = None
) -> list[ServiceVersion]:
    """The version of each service in force on ``day`` (today by default), catalogue order.

    One query. ``channel`` keeps services fileable through it; ``query`` matches Persian or English
    names after normalisation.
    """
    today = day or local_today()
    versions = (
        ServiceVersion.objects.filter(status=VersionStatus.PUBLISHED, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("service_type", "service_type__category")
        .order_by("service_type__category__position", "service_type__code")
    )
    if category:
        versions = versions.filter(service_type__category__code=category)
    result = list(versions)
    if channel:
        result = [v for v in result if channel in v.channels]
    if query.strip():
        needle = normalize_for_search(query)
        result = [
            v
            for v in result
            if needle in normalize_for_search(v.name_fa) or needle in v.name_en.lower() or needle in v.code
        ]
    return result


# Published versions change only through catalog_load and the admin: each process remembers the
# version in force per service and day (daftar.core.memo; cleared on every save, see apps.py).
version_memo: Memo[ServiceVersion | None] = Memo("service versions")


def service_current(*, code: str, day: date | None = None) -> ServiceVersion | None:
    """The version of one service in force on ``day``, or None."""
    today = day or local_today()
    return version_memo.get(
        (code, today),
        lambda: (
            ServiceVersion.objects.filter(
                service_type__code=code, status=VersionStatus.PUBLISHED, valid_from__lte=today
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .select_related("service_type", "service_type__category")
            .first()
        ),
    )
