"""Persian text: one spelling for storage, one looser key for search, and digit conversion.

Text arrives typed on Arabic keyboards (ي ك), pasted from Word (diacritics, tatweel, bidi
marks) or from phones (Arabic-Indic digits, odd zero-width characters). ``normalize_persian``
gives the one spelling we store and compare; ``normalize_for_search`` a looser key that makes
common spelling variants meet; the digit helpers convert between Persian, Arabic-Indic and
Latin digits.

Decisions worth knowing:

* Storage keeps the letters a careful writer would: ة, ۀ/هٔ and hamza forms (أ ؤ ئ) stay; only
  Arabic-keyboard look-alikes (ي ى ك ڪ) become Persian ی ک. Arabic-Indic digits become Persian
  digits; Latin digits stay Latin (turning them Persian is a display choice).
* Harakat (fatha … sukun, superscript alef, Quranic marks) and tatweel (ـ) are removed. Kept,
  because they are spelling rather than vocalisation: hamza above/below (خانهٔ) and the
  tanwin of «مثلاً»; the search key drops them too.
* ZWNJ (نیم‌فاصله) is kept only between two letters, once. Characters people use in its place
  (zero-width space, soft hyphen, LRM/RLM) become a ZWNJ between letters and vanish elsewhere;
  a ZWNJ touching a space is dropped (the space wins). ZWJ is kept inside words and emoji
  sequences and dropped at word edges. Other bidi controls and the BOM are removed.
* Whitespace runs (any Unicode space, tabs, newlines) become one space and ends are stripped;
  with ``multiline=True`` line breaks survive and at most one blank line is kept.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"
ZWJ = "\u200d"

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN_DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN_DIGITS = str.maketrans(LATIN_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)

# Arabic-keyboard look-alikes; Arabic-Indic digits go to their Persian shapes (٤٥٦ → ۴۵۶).
_LETTER_FIXES = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "ڪ": "ک", **dict(zip(ARABIC_INDIC_DIGITS, PERSIAN_DIGITS, strict=True))}
)

# Spelling, not vocalisation: hamza above/below (خانهٔ، ئ) and the fathatan of «مثلاً، فوراً».
_KEPT_MARKS = {"\u0654", "\u0655", "\u064b"}
_MARK_RANGES = [(0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED)]
_REMOVED_MARKS = "".join(
    chr(cp)
    for start, end in _MARK_RANGES
    for cp in range(start, end + 1)
    if unicodedata.category(chr(cp)) == "Mn" and chr(cp) not in _KEPT_MARKS
)
_TATWEEL = "\u0640"
# Bidi embeddings/overrides/isolates, Arabic letter mark, word joiner, invisible operators, BOM.
_INVISIBLE = (
    "\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2060\u2061\u2062\u2063\u2064\ufeff"
)
_DROP = str.maketrans(dict.fromkeys(_REMOVED_MARKS + _TATWEEL + _INVISIBLE))

# What people type where a ZWNJ belongs: ZWNJ itself, zero-width space, soft hyphen, LRM, RLM.
_JOINER_LIKE = "\u200c\u200b\u00ad\u200e\u200f"
_JOINER_RUN = re.compile(rf"[\s{_JOINER_LIKE}]*[{_JOINER_LIKE}][\s{_JOINER_LIKE}]*")
_ZWJ_RUN = re.compile(f"{ZWJ}+")
_ZWJ_AT_EDGE = re.compile(rf"(?<!\S){ZWJ}|{ZWJ}(?!\S)")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")  # C0/C1 controls that are not spaces
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")
_BLANK_LINES = re.compile(r"\n{3,}")


def to_latin_digits(text: str) -> str:
    """Persian (۰–۹) and Arabic-Indic (٠–٩) digits → 0–9; everything else unchanged."""
    return _require_str(text).translate(_TO_LATIN_DIGITS)


def to_persian_digits(text: str) -> str:
    """Latin and Arabic-Indic digits → Persian digits (۰۱۲۳۴۵۶۷۸۹); everything else unchanged."""
    return _require_str(text).translate(_TO_PERSIAN_DIGITS)


def digits_only(text: str) -> str:
    """The digits of ``text`` in order, as Latin digits: ``"۰۹۱۲-۱۲۳"`` → ``"0912123"``."""
    return "".join(ch for ch in to_latin_digits(text) if ch in LATIN_DIGITS)


def normalize_persian(text: str, *, multiline: bool = False) -> str:
    """The one spelling we store and compare (see the module docstring for each rule).

    Idempotent: normalising twice gives the same text as normalising once.
    """
    text = _require_str(text)
    if not multiline:
        return _normalize_line(text)
    lines = [_normalize_line(line) for line in _LINE_BREAKS.split(text)]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _normalize_line(text: str) -> str:
    text = _fold_presentation_forms(text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text.translate(_LETTER_FIXES).translate(_DROP))
    text = _JOINER_RUN.sub(_replace_joiner_run, text)
    text = _ZWJ_AT_EDGE.sub("", _ZWJ_RUN.sub(ZWJ, text))
    text = _SPACES.sub(" ", text).strip().replace("یٔ", "ئ")
    # Removing marks and invisibles can bring a letter next to its hamza (ا + ٔ): compose again.
    return unicodedata.normalize("NFC", text)


def _fold_presentation_forms(text: str) -> str:
    """Arabic presentation forms (ﻻ ﮐ ﯾ …, from old PDFs and fonts) → ordinary letters.

    NFKC is applied to those code points only: on whole text it would also rewrite things
    like superscripts, fractions and full-width characters that are not ours to change.
    """
    if not any(_is_presentation_form(ch) for ch in text):
        return text
    return "".join(unicodedata.normalize("NFKC", ch) if _is_presentation_form(ch) else ch for ch in text)


def _is_presentation_form(ch: str) -> bool:
    return "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufefe"


def _replace_joiner_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if any(ch.isspace() for ch in run):
        return " "
    text = match.string
    before = text[match.start() - 1] if match.start() > 0 else ""
    after = text[match.end()] if match.end() < len(text) else ""
    # A letter (or a letter's kept hamza mark) before, a letter after: only there does it act.
    joins = bool(before) and (before.isalpha() or unicodedata.category(before).startswith("M"))
    return ZWNJ if joins and after.isalpha() else ""


# --- search ----------------------------------------------------------------------------------

_SEARCH_FOLD = str.maketrans(
    {
        "آ": "ا",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ئ": "ی",
        "ۀ": "ه",
        "ة": "ه",
        "\u0654": None,
        "\u0655": None,
        "\u064b": None,
        "ء": None,
        ZWNJ: None,
        ZWJ: None,
    }
)
# «می روم» and «کتاب ها»: the verbal prefix and the plural suffix typed with a plain space.
_DETACHED_PREFIX = re.compile(r"(?<!\S)(ن?می) (?=\S)")
_DETACHED_SUFFIX = re.compile(r"(?<=\S) (ها|های|هایی)(?!\S)")


def normalize_for_search(text: str) -> str:
    """A key for matching, never for display: variants of one word give the same key.

    On top of ``normalize_persian``: Latin digits, case-folded Latin, hamza and alef forms
    folded (آ أ إ ٱ → ا, ؤ → و, ئ → ی, ۀ ة → ه, tanwin dropped), ZWNJ removed so «می‌روم» and «میروم» meet, and
    the prefixes «می»/«نمی» and the suffixes «ها»/«های»/«هایی» joined when typed with a plain
    space, so «می روم» and «کتاب ها» meet them too. Apply it to both the stored text and
    the query.
    """
    text = to_latin_digits(normalize_persian(text)).casefold().translate(_SEARCH_FOLD)
    text = _DETACHED_PREFIX.sub(r"\1", text)
    text = _DETACHED_SUFFIX.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _require_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value
