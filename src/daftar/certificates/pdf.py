"""The printed certificate: an A4 page in Persian, right to left, rendered by WeasyPrint.

Everything printed comes from the signed payload, plus names (city, office, service) looked up
from their codes. The QR code holds the public verification address; the signature and key id
are printed in small type so the paper can be checked even without a scanner.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import segno
from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from daftar.cases.tracking import display as tracking_display

from .models import Certificate
from .payload import field_rows, issued_at_of, payload_parse, valid_until_in

if TYPE_CHECKING:
    from weasyprint import Document

FONT_FILES = {400: "Vazirmatn-Regular.woff2", 500: "Vazirmatn-Medium.woff2", 700: "Vazirmatn-Bold.woff2"}


def fonts_dir() -> Path:
    return Path(apps.get_app_config("web").path) / "static" / "web" / "fonts"


@lru_cache(maxsize=len(FONT_FILES))
def font_data_uri(path: Path) -> str:
    """The font as an uncompressed TrueType data URI, made once per process.

    WeasyPrint would otherwise decompress the WOFF2 files on every render, which is most of the
    time a certificate takes to print.
    """
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    font.flavor = None
    buffer = io.BytesIO()
    font.save(buffer)
    return "data:font/ttf;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def verification_url(number: str) -> str:
    """The absolute public address of a certificate's verification page."""
    base = str(settings.DAFTAR_PUBLIC_BASE_URL).rstrip("/")
    return f"{base}{reverse('certificates:verify_detail', args=[number])}"


def qr_svg_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def certificate_context(certificate: Certificate) -> dict[str, Any]:
    payload = payload_parse(certificate.payload)
    case = certificate.case
    url = verification_url(certificate.number)
    return {
        "certificate": certificate,
        "payload": payload,
        "tracking_code": tracking_display(str(payload.get("tracking_code", ""))),
        "title": payload.get("title", {}).get("fa") or certificate.title_fa,
        "rows": field_rows(payload),
        "applicant": payload.get("applicant") or {},
        "city_name": case.city.name_fa,
        "office": case.office,
        "service_name": case.service_version.name_fa,
        "issued_at": issued_at_of(payload) or certificate.issued_at,
        "valid_until": valid_until_in(payload),
        "verify_url": url,
        "qr_data_uri": qr_svg_data_uri(url),
    }


def certificate_document(certificate: Certificate) -> Document:
    """The laid-out document (pages and boxes), before it is written as PDF."""
    # Imported here: WeasyPrint loads (and logs) its stylesheets on import, which every process
    # starting Django would otherwise pay for.
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = fonts_dir()
    with translation.override("fa"):
        html = render_to_string("certificates/certificate.html", certificate_context(certificate))
        css = render_to_string(
            "certificates/certificate.css",
            {"fonts": [(weight, font_data_uri(fonts / name)) for weight, name in FONT_FILES.items()]},
        )
    font_config = FontConfiguration()  # @font-face rules register their fonts here
    stylesheet = CSS(string=css, font_config=font_config)
    return HTML(string=html, base_url=fonts.as_uri() + "/").render(
        stylesheets=[stylesheet], font_config=font_config
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as PDF bytes."""
    return bytes(certificate_document(certificate).write_pdf())
