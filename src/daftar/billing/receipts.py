"""Payment receipts (رسید پرداخت): one signed, verifiable document per successful payment.

A receipt is issued on first request (``receipt_issue`` is idempotent: one receipt per payment,
whoever asks first, however often) and never changes afterwards. Its payload is canonical JSON
signed with the certificates' Ed25519 key (``daftar.certificates.signing``), so the same public
keys check certificates and receipts, offline or on the public verification page.

The payload, version ``"v": 1``, holds codes, texts and ``int`` rials only:

* ``number`` (``P`` + 11 digits), ``kind`` ``"payment_receipt"``;
* ``bill`` {number, title, fiscal_year}; ``payer`` {name (masked: first letter of each word and
  «…»), national_code_masked}; no full personal data is ever printed or published;
* ``items``: [{title, fiscal_year, amount}] what this payment paid of each bill line (from its
  allocations); ``applied`` their sum; ``refund_due`` the part owed back (paid twice or too much);
* ``amount`` what the payer paid, ``provider``, ``order_id``, ``reference``, ``card_mask``;
* ``office`` {code, name} (the collecting office, else the bill's) or null; ``city`` {code, name};
* ``paid_at`` and ``issued_at`` (ISO-8601 UTC).

``receipt_pdf`` prints it (WeasyPrint, A5, Persian, right to left, the Vazirmatn fonts and the QR
code of the certificates); ``receipt_verification`` answers the public verification page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import engines
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from daftar.certificates.numbering import national_code_masked
from daftar.certificates.payload import iso_utc, payload_parse
from daftar.certificates.pdf import FONT_FILES, font_data_uri, fonts_dir, qr_svg_data_uri
from daftar.certificates.signing import canonical_json, public_key_for, sign, verify
from daftar.core.errors import Conflict
from daftar.core.jalali import format_jalali_datetime
from daftar.core.money import Unit, format_rials
from daftar.core.text import to_latin_digits, to_persian_digits

from .models import Payment, PaymentStatus, Receipt
from .numbers import receipt_number_new
from .selectors import payer_name_masked

if TYPE_CHECKING:
    from weasyprint import Document

logger = logging.getLogger(__name__)

RECEIPT_VERSION: Final = 1
RECEIPT_KIND: Final = "payment_receipt"
NUMBER_ATTEMPTS: Final = 5
_NUMBER = re.compile(r"P[0-9]{11}")
# The public verification page; printed (as a QR code and in words) on every receipt.
VERIFY_PATH: Final = "/verify/receipt/{number}/"
PROVIDER_NAMES_FA: Final = {
    "sandbox": "بانک آزمایشی",
    "zarinpal": "زرین‌پال",
    "zibal": "زیبال",
    "counter": "کارتخوان دفتر",
}

Status = Literal["valid", "reversed", "unknown"]


# --- numbers and masking --------------------------------------------------------------------------


def receipt_number_clean(text: str) -> str | None:
    """``P`` and 11 digits, however typed (lowercase, Persian digits, spaces or dashes); else None."""
    if not isinstance(text, str):
        return None
    compact = re.sub(r"[\s\-_.\u200c]+", "", to_latin_digits(text)).upper()
    return compact if _NUMBER.fullmatch(compact) else None


# --- issuing --------------------------------------------------------------------------------------


def _items_paid(payment: Payment) -> list[dict[str, Any]]:
    """What this payment paid of each bill line, in the bill's order (reversals net out)."""
    by_item: dict[int, dict[str, Any]] = {}
    for allocation in payment.allocations.select_related("item").order_by("item__seq", "pk"):
        item = allocation.item
        row = by_item.setdefault(
            item.pk,
            {"title": item.title, "fiscal_year": item.fiscal_year, "amount": 0, "seq": item.seq},
        )
        row["amount"] += allocation.amount
    rows = sorted((r for r in by_item.values() if r["amount"]), key=lambda r: r["seq"])
    return [{"title": r["title"], "fiscal_year": r["fiscal_year"], "amount": r["amount"]} for r in rows]


def receipt_payload_build(*, payment: Payment, number: str, issued_at: datetime) -> dict[str, Any]:
    """The payload to sign for ``payment`` under ``number`` (see the module docstring)."""
    bill = payment.bill
    office = payment.office or bill.office
    items = _items_paid(payment)
    refund_due = sum(r.amount for r in payment.refunds.filter(duplicate=True))
    return {
        "v": RECEIPT_VERSION,
        "number": number,
        "kind": RECEIPT_KIND,
        "bill": {"number": bill.number, "title": bill.title, "fiscal_year": bill.fiscal_year},
        "payer": {
            "name": payer_name_masked(bill.payer_name),
            "national_code_masked": national_code_masked(bill.payer_national_code),
        },
        "items": items,
        "applied": sum(i["amount"] for i in items),
        "refund_due": refund_due,
        "amount": payment.amount,
        "provider": payment.provider,
        "order_id": payment.order_id,
        "reference": payment.reference,
        "card_mask": payment.card_mask,
        "office": {"code": office.code, "name": office.name} if office is not None else None,
        "city": {"code": bill.city.code, "name": bill.city.name_fa},
        "paid_at": iso_utc(payment.completed_at or payment.started_at),
        "issued_at": iso_utc(issued_at),
    }


def receipt_issue(*, payment: Payment) -> Receipt:
    """The payment's receipt, signed and stored on first request; the same one ever after.

    Only a successful payment has a receipt (``Conflict`` otherwise). Two requests at once get
    the same receipt: the payment row is locked, and the one-to-one column settles any race.
    """
    existing = Receipt.objects.filter(payment_id=payment.pk).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        fresh = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("bill__city", "bill__office", "office")
            .get(pk=payment.pk)
        )
        existing = Receipt.objects.filter(payment=fresh).first()
        if existing is not None:
            return existing
        if fresh.status != PaymentStatus.SUCCEEDED:
            raise Conflict(
                "receipt.payment_not_paid", _("A receipt is issued only for a successful payment.")
            )
        issued_at = timezone.now().replace(microsecond=0)
        for _attempt in range(NUMBER_ATTEMPTS):
            number = receipt_number_new()
            data = canonical_json(receipt_payload_build(payment=fresh, number=number, issued_at=issued_at))
            signature, key_id = sign(data)
            try:
                with transaction.atomic():  # a savepoint: a clash leaves the outer transaction usable
                    return Receipt.objects.create(
                        number=number,
                        payment=fresh,
                        payload=data.decode("utf-8"),
                        signature=signature,
                        key_id=key_id,
                        issued_at=issued_at,
                    )
            except IntegrityError:
                existing = Receipt.objects.filter(payment=fresh).first()
                if existing is not None:
                    return existing
    raise RuntimeError(f"no unused receipt number after {NUMBER_ATTEMPTS} attempts")


# --- reading and verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptVerification:
    """What the public may learn about a receipt number.

    ``unknown`` covers a number never issued, a malformed one and a stored receipt whose signature
    does not check out; ``reversed`` a genuine receipt whose payment was later reversed.
    """

    status: Status
    receipt: Receipt | None = None
    signature_ok: bool = False
    payload: dict[str, Any] = field(default_factory=dict)


def receipt_by_number(*, number: str) -> Receipt | None:
    canonical = receipt_number_clean(number)
    if canonical is None:
        return None
    return (
        Receipt.objects.select_related("payment__bill__city", "payment__bill__office", "payment__office")
        .filter(number=canonical)
        .first()
    )


def receipt_signature_checks(receipt: Receipt) -> bool:
    """Whether the stored payload is signed by a key we publish and names this receipt."""
    public_key = public_key_for(receipt.key_id)
    if public_key is None:
        return False
    if not verify(receipt.payload.encode("utf-8"), receipt.signature, public_key):
        return False
    return payload_parse(receipt.payload).get("number") == receipt.number


def receipt_verification(number: str) -> ReceiptVerification:
    """The verification answer for a typed receipt number."""
    receipt = receipt_by_number(number=number)
    if receipt is None:
        return ReceiptVerification(status="unknown")
    payload = payload_parse(receipt.payload)
    if not receipt_signature_checks(receipt):
        logger.error("receipt %s: the stored payload fails its signature check", receipt.number)
        return ReceiptVerification(status="unknown", receipt=receipt, payload=payload)
    status: Status = "reversed" if receipt.payment.status == PaymentStatus.REVERSED else "valid"
    return ReceiptVerification(status=status, receipt=receipt, signature_ok=True, payload=payload)


def receipt_verify_url(number: str) -> str:
    base = str(settings.DAFTAR_PUBLIC_BASE_URL).rstrip("/")
    return base + VERIFY_PATH.format(number=number)


def paid_at_of(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(payload["paid_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


# --- printing -------------------------------------------------------------------------------------

_LTR = "\u2066{}\u2069"  # WeasyPrint honours Unicode isolates, not CSS unicode-bidi

RECEIPT_HTML = """<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<title>رسید پرداخت {{ number }}</title><meta name="generator" content="Daftar"></head>
<body>
<header class="head">
  <div class="issuer"><p class="city">شهرداری {{ city_name }}</p>
  <p class="network">شبکهٔ دفاتر خدمات الکترونیک شهر</p></div>
  <figure class="qr"><img src="{{ qr }}" alt="کد QR استعلام اصالت">
  <figcaption>برای استعلام اصالت، کد را اسکن کنید</figcaption></figure>
</header>
<h1>رسید پرداخت</h1>
<p class="number">شمارهٔ رسید: <bdi dir="ltr" class="code">{{ number_ltr }}</bdi></p>
<table class="facts">
  <tr><th>قبض</th><td>{{ bill_title }}</td></tr>
  <tr><th>شناسهٔ قبض</th><td><bdi dir="ltr" class="code">{{ bill_number }}</bdi></td></tr>
  <tr><th>پرداخت‌کننده</th><td>{{ payer_name }}
    {% if payer_code %} — <bdi dir="ltr">{{ payer_code }}</bdi>{% endif %}</td></tr>
  {% if office %}<tr><th>دفتر</th><td>{{ office }}</td></tr>{% endif %}
</table>
{% if items %}<table class="items">
  <tr><th>شرح</th><th class="year">سال</th><th class="money">مبلغ</th></tr>
  {% for item in items %}<tr><td>{{ item.title }}</td><td class="year">{{ item.year }}</td>
    <td class="money">{{ item.amount }}</td></tr>{% endfor %}
</table>{% endif %}
<table class="facts">
  <tr><th>مبلغ پرداخت‌شده</th><td><strong>{{ amount }}</strong></td></tr>
  {% if refund_due %}<tr><th>مبلغ قابل استرداد</th><td>{{ refund_due }}</td></tr>{% endif %}
  <tr><th>روش پرداخت</th><td>{{ provider }}</td></tr>
  {% if reference %}<tr><th>شمارهٔ مرجع</th>
    <td><bdi dir="ltr" class="code">{{ reference }}</bdi></td></tr>{% endif %}
  {% if card_mask %}<tr><th>کارت</th>
    <td><bdi dir="ltr" class="code">{{ card_mask }}</bdi></td></tr>{% endif %}
  <tr><th>شمارهٔ سفارش</th><td><bdi dir="ltr" class="code">{{ order_id }}</bdi></td></tr>
  <tr><th>زمان پرداخت</th><td>{{ paid_at }}</td></tr>
</table>
<footer class="foot">
  <p>اصالت این رسید را در نشانی زیر بررسی کنید یا کد QR را اسکن کنید:</p>
  <p><bdi dir="ltr" class="url">{{ verify_url }}</bdi></p>
  <p class="sig">امضای دیجیتال (Ed25519)، شناسهٔ کلید <bdi dir="ltr">{{ key_id }}</bdi>:</p>
  <p class="sig"><bdi dir="ltr" class="signature">{{ signature }}</bdi></p>
</footer>
</body></html>
"""

RECEIPT_CSS = """{% for weight, url in fonts %}@font-face {
  font-family: "Vazirmatn"; src: url("{{ url }}") format("truetype"); font-weight: {{ weight }};
}
{% endfor %}
@page { size: A5; margin: 10mm 10mm 9mm; }
html { font-family: "Vazirmatn", sans-serif; font-size: 9pt; color: #1b2430; line-height: 1.45; }
body { margin: 0; }
bdi[dir="ltr"], .code, .url, .signature { direction: ltr; }
.head {
  display: flex; justify-content: space-between; align-items: flex-start;
  border-bottom: 1.5pt solid #0b5563; padding-bottom: 2mm;
}
.issuer p { margin: 0; }
.city { font-size: 13pt; font-weight: 700; color: #0b5563; }
.network { color: #4a5563; }
.qr { margin: 0; text-align: center; width: 26mm; }
.qr img { width: 21mm; height: 21mm; }
.qr figcaption { font-size: 6pt; color: #4a5563; }
h1 { font-size: 14pt; font-weight: 700; text-align: center; margin: 3mm 0 0; }
.number { text-align: center; margin: 0 0 3mm; }
.number .code { font-weight: 700; }
table { width: 100%; border-collapse: collapse; margin: 0 0 2.5mm; }
th, td { border: .75pt solid #cfd8e3; padding: .8mm 2.2mm; text-align: right; vertical-align: top; }
.facts th { width: 34%; background: #f3f6f9; font-weight: 500; }
.items th { background: #f3f6f9; font-weight: 500; }
.items .year { width: 12%; text-align: center; }
.items .money { width: 32%; }
.foot {
  margin-top: 3mm; border-top: .75pt solid #cfd8e3; padding-top: 1.5mm; font-size: 7pt; color: #4a5563;
}
.foot p { margin: 0 0 .6mm; }
.sig { font-size: 6pt; }
.signature { font-size: 5.5pt; word-break: break-all; }
"""


def money_unit() -> Unit:
    """The unit amounts are shown in (``settings.DAFTAR_MONEY_UNIT``); stored amounts are rials."""
    return "toman" if settings.DAFTAR_MONEY_UNIT == "toman" else "rial"


def _ltr(text: str) -> str:
    return _LTR.format(text)


def receipt_context(receipt: Receipt, *, verify_url: str | None = None) -> dict[str, Any]:
    """What the printed receipt shows: the signed payload, formatted for reading."""
    payload = payload_parse(receipt.payload)
    unit = money_unit()
    url = verify_url or receipt_verify_url(receipt.number)
    payer = payload.get("payer") or {}
    office = payload.get("office") or None
    paid_at = paid_at_of(payload)
    refund_due = payload.get("refund_due") or 0
    return {
        "number": receipt.number,
        "number_ltr": _ltr(receipt.number),
        "city_name": (payload.get("city") or {}).get("name", ""),
        "bill_title": to_persian_digits(str((payload.get("bill") or {}).get("title", ""))),
        "bill_number": _ltr(to_persian_digits(str((payload.get("bill") or {}).get("number", "")))),
        "payer_name": payer.get("name") or "—",
        "payer_code": _ltr(to_persian_digits(payer.get("national_code_masked") or "")),
        "office": office.get("name") if isinstance(office, dict) else "",
        "items": [
            {
                "title": to_persian_digits(str(item.get("title", ""))),
                "year": to_persian_digits(str(item.get("fiscal_year", ""))),
                "amount": format_rials(int(item.get("amount", 0)), unit=unit),
            }
            for item in payload.get("items") or []
        ],
        "amount": format_rials(int(payload.get("amount", 0)), unit=unit),
        "refund_due": format_rials(int(refund_due), unit=unit) if refund_due else "",
        "provider": PROVIDER_NAMES_FA.get(str(payload.get("provider")), str(payload.get("provider", ""))),
        "reference": _ltr(to_persian_digits(str(payload.get("reference") or "")))
        if payload.get("reference")
        else "",
        "card_mask": _ltr(to_persian_digits(str(payload.get("card_mask") or "")))
        if payload.get("card_mask")
        else "",
        "order_id": _ltr(to_persian_digits(str(payload.get("order_id", "")))),
        "paid_at": format_jalali_datetime(paid_at) if paid_at else "",
        "verify_url": _ltr(url),
        "qr": qr_svg_data_uri(url),
        "key_id": _ltr(receipt.key_id),
        "signature": _ltr(receipt.signature),
    }


def receipt_document(receipt: Receipt, *, verify_url: str | None = None) -> Document:
    """The laid-out receipt (pages and boxes), before it is written as PDF."""
    from weasyprint import CSS, HTML  # imported late: WeasyPrint is slow to import
    from weasyprint.text.fonts import FontConfiguration

    django_engine = engines["django"]
    fonts = fonts_dir()
    with translation.override("fa"):
        html = django_engine.from_string(RECEIPT_HTML).render(receipt_context(receipt, verify_url=verify_url))
        css = django_engine.from_string(RECEIPT_CSS).render(
            {"fonts": [(weight, font_data_uri(fonts / name)) for weight, name in FONT_FILES.items()]}
        )
    font_config = FontConfiguration()
    stylesheet = CSS(string=css, font_config=font_config)
    return HTML(string=html, base_url=fonts.as_uri() + "/").render(
        stylesheets=[stylesheet], font_config=font_config
    )


def receipt_pdf(receipt: Receipt, *, verify_url: str | None = None) -> bytes:
    """The receipt as PDF bytes (printed on demand from the signed payload; nothing is stored)."""
    return bytes(receipt_document(receipt, verify_url=verify_url).write_pdf())
