"""The printed certificate: a PDF whose laid-out text carries the Persian title and the number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from daftar.certificates.models import Certificate
from daftar.certificates.pdf import certificate_document, certificate_pdf, verification_url

pytestmark = pytest.mark.django_db


def _texts(box: Any) -> Iterator[str]:
    text = getattr(box, "text", None)
    if isinstance(text, str):
        yield text
    for child in getattr(box, "children", []) or []:
        yield from _texts(child)


def _page_text(certificate: Certificate) -> str:
    document = certificate_document(certificate)
    return " ".join(text for page in document.pages for text in _texts(page._page_box))


def test_the_pdf_is_a_pdf(certificate: Certificate) -> None:
    assert certificate_pdf(certificate).startswith(b"%PDF-")


def test_the_page_shows_the_persian_title_the_number_and_the_printed_fields(certificate: Certificate) -> None:
    text = _page_text(certificate)
    assert "گواهی عدم خلاف" in text
    assert certificate.number in text
    assert "کد نوسازی" in text
    assert "مسکونی" in text
    assert "تهران" in text  # the city's name
    assert certificate.key_id in text


def test_the_page_fits_on_one_a4_sheet(certificate: Certificate) -> None:
    pages = certificate_document(certificate).pages
    assert len(pages) == 1
    assert round(pages[0].width * 25.4 / 96) == 210  # CSS px → mm
    assert round(pages[0].height * 25.4 / 96) == 297


def test_the_pdf_embeds_the_vazirmatn_font(certificate: Certificate) -> None:
    document = certificate_document(certificate)
    document.write_pdf()  # fonts are subset and named while writing
    names = {getattr(font, "name", b"") for font in document.fonts.values()}
    assert names
    assert all(b"Vazirmatn" in name for name in names)


def test_left_to_right_runs_are_isolated_so_codes_stay_intact(certificate: Certificate) -> None:
    text = _page_text(certificate)
    assert f"\u2066{certificate.number}\u2069" in text
    assert "\u2066۰۰۱*****۷۹\u2069" in text  # the masked national code, in Persian digits


def test_the_qr_code_points_at_the_public_verification_page(certificate: Certificate, settings: Any) -> None:
    settings.DAFTAR_PUBLIC_BASE_URL = "https://daftar.tehran.ir/"
    assert verification_url(certificate.number) == f"https://daftar.tehran.ir/verify/{certificate.number}/"
