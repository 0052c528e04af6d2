"""``catalog_load`` checks queue_groups.yaml with the rest of the catalogue (and does not read it as a
family of services). The groups live in the file, not the database: loading is validating."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.utils.translation import gettext_lazy as _

from daftar.catalog.services import data_loaders
from daftar.core.errors import InvalidValue

from .groups import GROUPS_FILE, QueueGroupsError, category_codes, queue_groups_parse


@data_loaders.register(GROUPS_FILE)
def queue_groups_check(path: Path) -> int:
    """The number of queue groups in the file; InvalidValue listing every problem when it is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return len(queue_groups_parse(data, categories=category_codes(path.parent), source=path.name))
    except (OSError, yaml.YAMLError, QueueGroupsError) as exc:
        raise InvalidValue(
            "queue.groups_file", _("The queue groups file is wrong: %(error)s"), {"error": str(exc)}
        ) from exc
