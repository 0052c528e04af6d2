"""Real sample files for the tests, made on the fly (Pillow draws the images and the PDF)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

from daftar.documents.scanning import EICAR


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 30)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def pdf_bytes(*, extra: bytes = b"") -> bytes:
    """A one-page PDF; ``extra`` is embedded as a comment (to carry e.g. the EICAR string)."""
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, "PDF")
    data = buffer.getvalue()
    if extra:
        data = data.replace(b"\n", b"\n%" + extra + b"\n", 1)
    return data


def pdf_with_eicar() -> bytes:
    return pdf_bytes(extra=EICAR)


def html_bytes() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.7 %%EOF</body></html>"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deed.pdf", pdf_bytes())
    return buffer.getvalue()


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"


def png_claiming_size(width: int, height: int) -> bytes:
    """A small PNG whose header claims huge dimensions (a decompression bomb's shape), CRC fixed."""
    data = bytearray(png_bytes())
    # Signature (8) + length (4) + b"IHDR" (4), then width and height.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)
