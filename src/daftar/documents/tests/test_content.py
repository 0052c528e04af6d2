"""A file's type is judged by its bytes: PDF, JPEG and PNG only, and only when well formed."""

from __future__ import annotations

import pytest

from daftar.documents.content import (
    JPEG,
    PDF,
    PNG,
    detect_type,
    download_name,
    file_name_clean,
    types_label,
)

from .samples import (
    exe_bytes,
    html_bytes,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    png_claiming_size,
    zip_bytes,
)


def test_well_formed_pdf_jpeg_and_png_are_recognised() -> None:
    assert detect_type(pdf_bytes()) == PDF
    assert detect_type(jpeg_bytes()) == JPEG
    assert detect_type(png_bytes()) == PNG


def test_html_with_pdf_markers_is_not_a_pdf() -> None:
    assert detect_type(html_bytes()) is None


@pytest.mark.parametrize("make", [zip_bytes, exe_bytes], ids=["zip", "exe"])
def test_archives_and_executables_are_refused(make: object) -> None:
    assert callable(make)
    assert detect_type(make()) is None


def test_empty_file_is_refused() -> None:
    assert detect_type(b"") is None


def test_pdf_without_end_marker_is_refused() -> None:
    data = pdf_bytes()
    assert detect_type(data[: len(data) // 2]) is None


def test_pdf_header_must_be_at_the_very_start() -> None:
    assert detect_type(b"junk before " + pdf_bytes()) is None


def test_truncated_png_is_refused() -> None:
    data = png_bytes((200, 200))
    assert detect_type(data[:-20]) is None
    assert detect_type(data[: len(data) // 2]) is None


def test_truncated_jpeg_is_refused() -> None:
    data = jpeg_bytes((200, 200))
    assert detect_type(data[: len(data) // 2]) is None


def test_png_with_corrupted_data_is_refused() -> None:
    data = bytearray(png_bytes((100, 100)))
    data[60] ^= 0xFF  # inside the image data: its CRC no longer matches
    assert detect_type(bytes(data)) is None


@pytest.mark.parametrize("claimed", [(100_000, 100_000), (60_000, 1_000)])
def test_image_claiming_enormous_dimensions_is_refused_before_decoding(claimed: tuple[int, int]) -> None:
    assert detect_type(png_claiming_size(*claimed)) is None


def test_other_image_formats_are_not_accepted() -> None:
    import io

    from PIL import Image

    for fmt in ("GIF", "BMP", "WEBP", "TIFF"):
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, fmt)
        assert detect_type(buffer.getvalue()) is None, fmt


def test_uploaded_file_name_keeps_only_a_safe_base_name() -> None:
    assert file_name_clean("C:\\Users\\ali\\سند\u200cملک.pdf") == "سند\u200cملک.pdf"
    assert file_name_clean("../../etc/passwd") == "passwd"
    assert file_name_clean("..") == "document"
    assert file_name_clean("") == "document"
    assert file_name_clean("a\nb\x00.png") == "ab.png"


def test_bidi_override_cannot_disguise_an_extension() -> None:
    assert file_name_clean("photo\u202egpj.exe") == "photogpj.exe"


def test_long_file_name_is_cut_to_200_characters_keeping_the_extension() -> None:
    cleaned = file_name_clean("x" * 300 + ".jpeg")
    assert len(cleaned) == 200
    assert cleaned.endswith(".jpeg")


def test_download_name_takes_the_extension_of_the_real_type() -> None:
    assert download_name("photo.png", PDF) == "photo.pdf"
    assert download_name("سند", JPEG) == "سند.jpg"
    assert download_name(".pdf", PDF) == "pdf.pdf"


def test_types_are_named_for_people() -> None:
    assert types_label([PDF, JPEG]) == "PDF / JPEG"
