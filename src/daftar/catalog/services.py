"""Writes for the service catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from daftar.core.errors import InvalidValue

from .models import ServiceCategory

CATEGORY_FIELDS = ("name", "description", "examples")


def _bilingual(entry: dict[str, Any], field: str, code: str) -> tuple[Any, Any]:
    value = entry.get(field) or {}
    if not isinstance(value, dict) or "fa" not in value:
        raise InvalidValue(
            "catalog.category_field",
            "category %(code)s: %(field)s needs a Persian (fa) value",
            {"code": code, "field": field},
        )
    return value["fa"], value.get("en", "")


@transaction.atomic
def categories_load(*, path: Path) -> int:
    """Create or update the service categories from a data file; returns how many changed.

    Idempotent: loading the same file twice changes nothing the second time.
    """
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    changed = 0
    for position, entry in enumerate(entries, start=1):
        code = str(entry.get("code", "")).strip()
        if not code:
            raise InvalidValue("catalog.category_code", "every category needs a code")
        values: dict[str, Any] = {"position": position, "icon": entry.get("icon", "")}
        for field in CATEGORY_FIELDS:
            values[f"{field}_fa"], values[f"{field}_en"] = _bilingual(entry, field, code)
        category = ServiceCategory.objects.filter(code=code).first()
        if category is None:
            ServiceCategory.objects.create(code=code, **values)
            changed += 1
        elif any(getattr(category, name) != value for name, value in values.items()):
            ServiceCategory.objects.filter(pk=category.pk).update(**values)
            changed += 1
    return changed
