"""Queue groups as data: ``catalog/queue_groups.yaml`` maps service categories to counter groups.

A group has a code, a one-letter prefix for its ticket numbers, a Persian (and English) name and
the typical minutes one citizen takes at a counter. Every category of ``catalog/categories.yaml``
belongs to exactly one group; a file that breaks this is refused with every problem listed.
Loading is lazy and cached per directory; no database table holds the groups.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from daftar.core.i18n import pick

GROUPS_FILE = "queue_groups.yaml"
CATEGORIES_FILE = "categories.yaml"
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LETTER = re.compile(r"[A-Z]")
MAX_MINUTES = 240


class QueueGroupsError(ValueError):
    """The queue groups file is missing or wrong; the message lists every problem found."""


@dataclass(frozen=True)
class QueueGroup:
    code: str
    letter: str
    name_fa: str
    name_en: str
    minutes: int
    categories: tuple[str, ...]

    @property
    def name(self) -> str:
        """The name in the active language (Persian unless English is active and given)."""
        return pick(self.name_fa, self.name_en or self.name_fa)


def category_codes(directory: Path) -> list[str]:
    path = directory / CATEGORIES_FILE
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise QueueGroupsError(f"{path}: cannot read the service categories: {exc}") from exc
    return [str(entry["code"]) for entry in entries if isinstance(entry, Mapping) and "code" in entry]


def _group(code: object, entry: object, problems: list[str]) -> QueueGroup | None:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        problems.append(f"group {code!r}: the code must be lowercase letters, digits and _")
        return None
    if not isinstance(entry, Mapping):
        problems.append(f"group {code}: expected a mapping with letter, name, minutes and categories")
        return None
    letter = entry.get("letter")
    name = entry.get("name")
    minutes = entry.get("minutes")
    categories = entry.get("categories")
    ok = True
    if not isinstance(letter, str) or not _LETTER.fullmatch(letter):
        problems.append(f"group {code}: letter must be one capital Latin letter, not {letter!r}")
        ok = False
    if not isinstance(name, str) or not name.strip():
        problems.append(f"group {code}: a Persian name is required")
        ok = False
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        problems.append(f"group {code}: minutes must be a whole number from 1 to {MAX_MINUTES}")
        ok = False
    if not isinstance(categories, list) or not categories or not all(isinstance(c, str) for c in categories):
        problems.append(f"group {code}: categories must be a non-empty list of category codes")
        ok = False
    unknown = set(entry) - {"letter", "name", "name_en", "minutes", "categories"}
    if unknown:
        problems.append(f"group {code}: unknown keys {sorted(unknown)}")
        ok = False
    if not ok:
        return None
    assert isinstance(letter, str)
    assert isinstance(name, str)
    assert isinstance(minutes, int)
    assert isinstance(categories, list)
    return QueueGroup(
        code=code,
        letter=letter,
        name_fa=name.strip(),
        name_en=str(entry.get("name_en") or "").strip(),
        minutes=minutes,
        categories=tuple(categories),
    )


def queue_groups_parse(data: Any, *, categories: list[str], source: str = GROUPS_FILE) -> list[QueueGroup]:
    """Validate parsed YAML against the category codes; QueueGroupsError lists every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping) or not data:
        raise QueueGroupsError(f"{source}: expected a mapping of group code to group")
    groups = [group for code, entry in data.items() if (group := _group(code, entry, problems)) is not None]
    owner: dict[str, str] = {}
    letters: dict[str, str] = {}
    known = set(categories)
    for group in groups:
        if group.letter in letters:
            problems.append(
                f"group {group.code}: letter {group.letter} is already used by {letters[group.letter]}"
            )
        letters.setdefault(group.letter, group.code)
        for category in group.categories:
            if category not in known:
                problems.append(f"group {group.code}: unknown category {category!r}")
            elif category in owner:
                problems.append(f"category {category} is in both {owner[category]} and {group.code}")
            else:
                owner[category] = group.code
    for category in categories:
        if category not in owner:
            problems.append(f"category {category} belongs to no queue group")
    if problems:
        raise QueueGroupsError(f"{source}: " + "; ".join(problems))
    return groups


@cache
def queue_groups_load(directory: Path) -> tuple[QueueGroup, ...]:
    """The groups of a catalogue directory, validated against its categories (cached per directory)."""
    path = directory / GROUPS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QueueGroupsError(f"{path}: cannot read the queue groups: {exc}") from exc
    return tuple(queue_groups_parse(data, categories=category_codes(directory), source=str(path)))
