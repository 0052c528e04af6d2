"""System check: the queue groups file loads and covers every service category exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from .groups import QueueGroupsError, queue_groups_load

BAD_GROUPS = "queueing.E001"


@checks.register()
def queue_groups_valid(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    try:
        queue_groups_load(Path(settings.DAFTAR_CATALOG_DIR))
    except QueueGroupsError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix catalog/queue_groups.yaml: every category of categories.yaml in exactly one group.",
                id=BAD_GROUPS,
            )
        ]
    return []
