"""The violation catalogue (``catalog/violations.yaml``) loaded into ``ViolationType``.

Registered with the catalogue's data loaders, so ``catalog_load`` (and ``manage.py catalog_load``)
reads the file with the rest of the catalogue and does not take it for a family of services.
Loading is idempotent: an unchanged file changes nothing; a code taken out of the file is kept
(violations recorded under it still point at it) but marked inactive, so no new violation uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import transaction

from daftar.catalog.services import data_loaders, yaml_load_strict
from daftar.core.errors import InvalidValue
from daftar.core.text import normalize_persian

from .models import SanctionKind, ViolationType

VIOLATIONS_FILE = "violations.yaml"
MAX_SUSPENSION_DAYS = 365
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


def _problem(source: str, position: int, message: str) -> InvalidValue:
    return InvalidValue(
        "catalog.violation_type",
        "%(source)s, entry %(position)s: %(message)s",
        {"source": source, "position": position, "message": message},
    )


def violation_type_values(
    entry: Mapping[str, Any], *, source: str, position: int
) -> tuple[str, dict[str, Any]]:
    """The code and the model values of one entry of the file; InvalidValue naming what is wrong."""
    if not isinstance(entry, Mapping):
        raise _problem(source, position, "each entry must be a mapping")
    code = str(entry.get("code") or "").strip()
    if not _CODE.match(code):
        raise _problem(source, position, f"code {code!r} must be lower-case letters, digits and _")
    names = entry.get("name") or {}
    if not isinstance(names, Mapping) or not str(names.get("fa") or "").strip():
        raise _problem(source, position, f"{code}: a Persian name (name.fa) is required")
    description = entry.get("description") or {}
    description_fa = description.get("fa", "") if isinstance(description, Mapping) else str(description)
    min_sanction = str(entry.get("min_sanction") or SanctionKind.WARNING)
    if min_sanction not in SanctionKind.values:
        raise _problem(
            source, position, f"{code}: min_sanction must be one of {', '.join(SanctionKind.values)}"
        )
    days = entry.get("suspension_days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise _problem(
            source, position, f"{code}: suspension_days must be a whole number 1–{MAX_SUSPENSION_DAYS}"
        )
    return code, {
        "name_fa": normalize_persian(str(names["fa"]))[:200],
        "name_en": str(names.get("en") or "").strip()[:200],
        "description_fa": normalize_persian(str(description_fa or ""), multiline=True),
        "min_sanction": min_sanction,
        "suspension_days": days,
        "is_active": True,
    }


@data_loaders.register(VIOLATIONS_FILE)
def violation_types_load(path: Path) -> int:
    """Create, update or retire the violation types of the file; how many rows changed."""
    entries = yaml_load_strict(path.read_text(encoding="utf-8"), source=path.name) or []
    if not isinstance(entries, list):
        raise _problem(path.name, 0, "the file must be a list of violation types")
    wanted: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(entries, start=1):
        code, values = violation_type_values(entry, source=path.name, position=position)
        if code in wanted:
            raise _problem(path.name, position, f"{code} is defined twice")
        wanted[code] = values
    changed = 0
    with transaction.atomic():
        existing = {row.code: row for row in ViolationType.objects.select_for_update()}
        for code, values in wanted.items():
            row = existing.get(code)
            if row is None:
                ViolationType.objects.create(code=code, **values)
                changed += 1
            elif any(getattr(row, key) != value for key, value in values.items()):
                ViolationType.objects.filter(pk=row.pk).update(**values)
                changed += 1
        retired = [row.pk for code, row in existing.items() if code not in wanted and row.is_active]
        if retired:
            changed += ViolationType.objects.filter(pk__in=retired).update(is_active=False)
    return changed
