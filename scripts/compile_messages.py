"""Compile every gettext catalogue (.po) under src/ into .mo, in pure Python (no GNU gettext needed).

Only catalogues whose .mo is missing or older than the .po are rewritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src"


def main() -> int:
    compiled = 0
    for po_path in sorted(ROOT.rglob("locale/*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        catalogue.save_as_mofile(str(mo_path))
        compiled += 1
    print(f"compile_messages: {compiled} catalogue(s) compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
