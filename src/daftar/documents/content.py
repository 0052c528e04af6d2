"""What a file really is, judged by its bytes and never by its name.

``detect_type`` asks puremagic for the signature and then confirms it the hard way: a PDF must
begin with ``%PDF-`` and end with ``%%EOF``; a JPEG or PNG must open, verify and (JPEG) decode in
Pillow. Only PDF, JPEG and PNG are ever accepted; anything else (HTML, an executable, a ZIP, an
image cut short) is ``None``. Pure: no Django, no database.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from pathlib import PurePosixPath
from typing import Final

import puremagic
from PIL import Image, UnidentifiedImageError

PDF: Final = "application/pdf"
JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
ACCEPTED_TYPES: Final = (PDF, JPEG, PNG)

# How each type is named to a person (the same words in Persian and English).
TYPE_LABELS: Final = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
# The extension a download of each type is given, whatever the uploader called the file.
TYPE_EXTENSIONS: Final = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

# A PDF's "%%EOF" marker must lie within this many bytes of the end (readers allow trailing junk).
PDF_EOF_WINDOW: Final = 1024
# Larger images are refused before any pixel is decoded: an A4 page scanned at 600 dpi is ~35 Mpx.
# Checked here on the header's dimensions, independently of Pillow's process-wide MAX_IMAGE_PIXELS.
MAX_IMAGE_PIXELS: Final = 50_000_000

# In a JPEG's entropy-coded data 0xFF is always followed by 0x00 (stuffing) or a restart marker;
# anything else after 0xFF (fill bytes aside) is the next marker.
_NEXT_MARKER: Final = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")
_STANDALONE_MARKERS: Final = frozenset({0x01, *range(0xD0, 0xD8)})

MAX_NAME_LENGTH: Final = 200
# Zero-width (non-)joiners are part of Persian spelling; every other invisible format character
# (bidi overrides that can disguise "gpj.exe" as "exe.jpg", for one) is dropped.
_KEPT_FORMAT_CHARACTERS: Final = {"\u200c", "\u200d"}


def detect_type(data: bytes) -> str | None:
    """The MIME type of ``data`` if it is a well-formed PDF, JPEG or PNG; otherwise ``None``."""
    if not data:
        return None
    candidate = _signature_type(data)
    if candidate == PDF:
        return PDF if _is_pdf(data) else None
    if candidate == JPEG:
        return JPEG if _jpeg_complete(data) and _is_image(data, "JPEG") else None
    if candidate == PNG:
        return PNG if _is_image(data, "PNG") else None
    return None


def types_label(types: list[str] | tuple[str, ...]) -> str:
    """Allowed types as a person reads them: ``PDF / JPEG``."""
    return " / ".join(TYPE_LABELS.get(mime, mime) for mime in types)


def _signature_type(data: bytes) -> str | None:
    """The accepted type puremagic finds most likely from the signature, if any."""
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        return None
    accepted = [match for match in matches if match.mime_type in ACCEPTED_TYPES]
    if not accepted:
        return None
    # Only a hint: the chosen type is then confirmed by the checks below, which a ZIP, HTML page
    # or executable carrying a stray marker cannot pass.
    return max(accepted, key=lambda match: match.confidence).mime_type


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-PDF_EOF_WINDOW:]


def _is_image(data: bytes, pillow_format: str) -> bool:
    try:
        # verify() checks the structure (for PNG every chunk's CRC, up to IEND) without decoding.
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            if image.format != pillow_format or not _sane_size(image):
                return False
            image.verify()
        # verify() does little for JPEG: decode it, at 1/8 scale (memory stays small), to find
        # a truncated or corrupt stream.
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return False
    return True


def _jpeg_complete(data: bytes) -> bool:
    """Walk the JPEG's segments from SOI to EOI: a file cut short (or not a JPEG) never gets there.

    Done by hand because Pillow's own truncation check follows a process-wide switch
    (``ImageFile.LOAD_TRUNCATED_IMAGES``) that other libraries (WeasyPrint) turn off. Bytes after
    the EOI marker (some cameras append data) are allowed.
    """
    if not data.startswith(b"\xff\xd8"):
        return False
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            return False
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            return False
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return True
        if marker in _STANDALONE_MARKERS:
            continue
        if pos + 2 > end:
            return False
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > end:
            return False
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next marker
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                return False
            pos = found.start()
    return False


def _sane_size(image: Image.Image) -> bool:
    width, height = image.size
    return width > 0 and height > 0 and width * height <= MAX_IMAGE_PIXELS


# --- file names ------------------------------------------------------------------------------------


def file_name_clean(name: str) -> str:
    """The uploader's file name made safe to show: base name only, no control or bidi characters,
    at most 200 characters (the extension kept). Never used to store the file."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/")).rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if _is_shown(ch)).strip()
    if not base.strip("."):
        return "document"
    if len(base) > MAX_NAME_LENGTH:
        stem, suffix = _split_suffix(base)
        base = stem[: MAX_NAME_LENGTH - len(suffix)] + suffix if len(suffix) <= 16 else base[:MAX_NAME_LENGTH]
    return base


def download_name(original_name: str, content_type: str) -> str:
    """The name a download is given: the uploader's name with the extension of the real type."""
    stem = _split_suffix(original_name)[0].strip(". ")
    return f"{stem or 'document'}{TYPE_EXTENSIONS.get(content_type, '')}"


def _split_suffix(name: str) -> tuple[str, str]:
    suffix = PurePosixPath(name).suffix
    return (name[: -len(suffix)], suffix) if suffix else (name, "")


def _is_shown(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch in _KEPT_FORMAT_CHARACTERS
    return not category.startswith(("C", "Zl", "Zp"))
