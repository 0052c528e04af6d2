"""Fill untranslated entries of a Persian catalogue from a Python file holding a dict `T`.

Usage: po_fill.py TRANSLATIONS.py PO [PO ...]. Keys are msgids, or (singular, plural) tuples
whose values are (singular, plural) translations. Existing translations are kept.
"""

from __future__ import annotations

import runpy
import sys

import polib


def main() -> int:
    table = runpy.run_path(sys.argv[1])["T"]
    missing = 0
    for path in sys.argv[2:]:
        catalogue = polib.pofile(path)
        catalogue.metadata_is_fuzzy = False
        catalogue.header = "Persian translations of Daftar."
        catalogue.metadata.update(
            {
                "Project-Id-Version": "daftar",
                "Language-Team": "Persian",
                "Language": "fa",
                "Content-Type": "text/plain; charset=UTF-8",
                "Plural-Forms": "nplurals=2; plural=(n > 1);",
            }
        )
        for entry in catalogue:
            if "fuzzy" in entry.flags:
                # makemessages' fuzzy guesses are often another message's translation: never keep one.
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
                entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "") if entry.msgid_plural else {}
            if entry.msgid_plural:
                if entry.msgstr_plural and all(entry.msgstr_plural.values()):
                    continue
                value = table.get((entry.msgid, entry.msgid_plural))
                if value:
                    entry.msgstr_plural = {0: value[0], 1: value[1]}
                    continue
            else:
                if entry.msgstr:
                    continue
                if entry.msgid in table:
                    entry.msgstr = table[entry.msgid]
                    continue
            missing += 1
            print(f"{path}: missing {entry.msgid!r}")
        catalogue.save(path)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
