"""Fail when a user-facing English string has no Persian translation.

1. Every entry in our Persian catalogues is translated and none is fuzzy.
2. Where GNU xgettext is available, the strings marked in each app's code and templates are
   extracted afresh (in a scratch copy, so the tree is untouched) and each must be translated in
   one of our catalogues or in Django's own Persian catalogue.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "daftar"


def our_catalogues() -> list[Path]:
    return sorted(SRC.rglob("locale/fa/LC_MESSAGES/django.po"))


def known_translations() -> set[str]:
    import django

    known: set[str] = set()
    django_po = Path(django.__file__).parent / "conf" / "locale" / "fa" / "LC_MESSAGES" / "django.po"
    contrib = Path(django.__file__).parent / "contrib"
    for path in [django_po, *our_catalogues(), *contrib.rglob("locale/fa/LC_MESSAGES/django.po")]:
        for entry in polib.pofile(str(path)):
            if entry.translated() and not entry.obsolete:
                known.add(entry.msgid)
    return known


def incomplete_entries() -> list[str]:
    problems = []
    for path in our_catalogues():
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags or not entry.translated():
                problems.append(f"{path.relative_to(ROOT)}: untranslated or fuzzy: {entry.msgid!r}")
    return problems


def missing_from_code(known: set[str]) -> list[str]:
    if shutil.which("xgettext") is None:
        print("check_translations: xgettext not found; checked the catalogues only")
        return []
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "daftar"
        shutil.copytree(
            SRC, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__", "tests", "migrations")
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "daftar.settings.test"}
        for app in sorted(p for p in copy.iterdir() if (p / "apps.py").exists()):
            (app / "locale").mkdir(exist_ok=True)
            subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
                [
                    str(Path(sys.executable).parent / "django-admin"),
                    "makemessages",
                    "-l",
                    "fa",
                    "--no-obsolete",
                    "--no-location",
                ],
                cwd=app,
                env=env,
                check=True,
                capture_output=True,
            )
            extracted = app / "locale" / "fa" / "LC_MESSAGES" / "django.po"
            if not extracted.exists():
                continue
            for entry in polib.pofile(str(extracted)):
                if entry.msgid not in known:
                    problems.append(f"src/daftar/{app.name}: no Persian translation for {entry.msgid!r}")
    return problems


def main() -> int:
    problems = incomplete_entries() + missing_from_code(known_translations())
    for line in problems:
        print(line)
    if problems:
        print(f"check_translations: {len(problems)} problem(s)")
        return 1
    print("check_translations: every marked string has a Persian translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
