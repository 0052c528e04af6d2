"""Reads of the service catalogue."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ServiceCategory


def categories_list() -> QuerySet[ServiceCategory]:
    return ServiceCategory.objects.order_by("position", "code")
