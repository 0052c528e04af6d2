"""Reads for the office counter and the city's finance pages: the monthly settlement per office,
an office's cash-up for one day, bills found at the counter, and the finance queues.

Everything here only reads. Days and months are local days of the city (Asia/Tehran), turned into
UTC ranges ``[start, end)`` on ``completed_at`` (payments) and ``created_at`` (reversals).

The settlement of an office for a Jalali month (all amounts rials):

* ``collected``: what the office took at its counter in the month (payments completed in the
  month), less counter payments of the office reversed in the month;
* ``collected_tariff``: of that, what went to the office's own tariff lines (its کارمزد);
* ``collected_for_city``: ``collected - collected_tariff``, money it holds for the municipality;
* ``earned_elsewhere``: the office's tariff lines paid in the month by other means (online, or at
  another office's counter), less their reversals in the month: the city holds this for the office;
* ``tariff_refunded``: the office's tariff given back to payers by refunds issued in the month
  (the city pays the refund, so the office owes that share back);
* ``earned_total``: ``collected_tariff + earned_elsewhere - tariff_refunded``;
* ``net``: ``collected_for_city - earned_elsewhere + tariff_refunded``; positive, the office owes
  the city; negative, the city owes the office.

A payment counts in the month it completed; its reversal counts in the month it was reversed (so a
closed month never changes). Every figure comes from a few aggregate queries, whatever the number
of offices.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Font

from daftar.core.errors import InvalidValue
from daftar.core.jalali import (
    JALALI_YEAR_MAX,
    JALALI_YEAR_MIN,
    MONTH_NAMES_FA,
    format_jalali_datetime,
    jalali_month_bounds,
)
from daftar.core.text import to_latin_digits
from daftar.core.xlsx import rtl_sheet
from daftar.offices.models import City, LicenceStatus, Office
from daftar.offices.selectors import city_timezone

from .models import (
    PAYABLE_STATUSES,
    Bill,
    BillEvent,
    BillItem,
    ItemLine,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Receipt,
    Refund,
    RefundStatus,
    SubjectKind,
    TransactionKind,
)
from .models import LedgerTransaction as Transaction
from .selectors import counter_tariff_line

COUNTER = "counter"  # the provider of payments taken on an office's card terminal (payments.COUNTER)
BOOKED_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.REVERSED)  # money that did arrive


# --- periods -----------------------------------------------------------------------------------


def day_range(*, city: City, day: date) -> tuple[datetime, datetime]:
    """The city's local day as an aware UTC-comparable range ``[start, end)``."""
    tz = city_timezone(city=city)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def month_range(*, city: City, year: int, month: int) -> tuple[datetime, datetime]:
    """A Jalali month of the city's local days as a range ``[start, end)``."""
    first, last = jalali_month_bounds(year, month)
    tz = city_timezone(city=city)
    return (
        datetime.combine(first, time(0), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz),
    )


# --- the monthly settlement ----------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementRow:
    """One office's month (``office`` is None on the totals row)."""

    office: Office | None
    office_code: str
    office_name: str
    collected: int
    collected_tariff: int
    earned_elsewhere: int
    tariff_refunded: int = 0

    @property
    def collected_for_city(self) -> int:
        return self.collected - self.collected_tariff

    @property
    def earned_total(self) -> int:
        return self.collected_tariff + self.earned_elsewhere - self.tariff_refunded

    @property
    def net(self) -> int:
        return self.collected_for_city - self.earned_elsewhere + self.tariff_refunded

    @property
    def is_empty(self) -> bool:
        return not (self.collected or self.collected_tariff or self.earned_elsewhere or self.tariff_refunded)


SETTLEMENT_COLUMNS: tuple[str, ...] = (
    "collected",
    "collected_tariff",
    "collected_for_city",
    "earned_elsewhere",
    "tariff_refunded",
    "earned_total",
    "net",
)


def _by_office(rows: Iterable[dict[str, Any]], key: str, value: str) -> dict[int, int]:
    return {int(row[key]): int(row[value] or 0) for row in rows if row[key] is not None}


def office_settlement(*, city: City, year: int, month: int) -> list[SettlementRow]:
    """Each office's settlement for a Jalali month, in office-code order (five queries in all).

    Lists every office with an active licence, and any other office with money in the month.
    """
    start, end = month_range(city=city, year=year, month=month)
    counter_paid = _by_office(
        Payment.objects.filter(
            provider=COUNTER,
            office__city=city,
            status__in=BOOKED_STATUSES,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .values("office")
        .annotate(total=Sum("amount")),
        "office",
        "total",
    )
    counter_reversed = _by_office(
        Transaction.objects.filter(
            kind=TransactionKind.REVERSAL,
            payment__provider=COUNTER,
            payment__office__city=city,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("payment__office")
        .annotate(total=Sum("payment__amount")),
        "payment__office",
        "total",
    )
    # Tariff lines: a payment's share counts when it completed, a reversal's (negative) share when
    # the reversal was made.
    own_counter = Q(payment__provider=COUNTER, payment__office=F("item__office"))
    tariffs = list(
        PaymentAllocation.objects.filter(item__line=ItemLine.OFFICE_TARIFF, item__office__city=city)
        .filter(
            Q(amount__gt=0, payment__completed_at__gte=start, payment__completed_at__lt=end)
            | Q(amount__lt=0, created_at__gte=start, created_at__lt=end)
        )
        .values("item__office")
        .annotate(total=Sum("amount"), own=Sum("amount", filter=own_counter))
    )
    tariff_total = _by_office(tariffs, "item__office", "total")
    tariff_own = _by_office(tariffs, "item__office", "own")
    # A refund debits the office revenue account by the tariff's share of what is given back.
    refunded = _by_office(
        LedgerEntry.objects.filter(
            account__office__city=city,
            account__code__startswith="office_revenue:",
            transaction__kind=TransactionKind.REFUND,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .values("account__office")
        .annotate(total=Sum("amount")),
        "account__office",
        "total",
    )
    active = set(counter_paid) | set(counter_reversed) | set(tariff_total) | set(refunded)
    offices = Office.objects.filter(city=city).filter(
        Q(licence_status=LicenceStatus.ACTIVE) | Q(pk__in=active)
    )
    rows = []
    for office in offices.order_by("code"):
        own = tariff_own.get(office.pk, 0)
        rows.append(
            SettlementRow(
                office=office,
                office_code=office.code,
                office_name=office.name,
                collected=counter_paid.get(office.pk, 0) - counter_reversed.get(office.pk, 0),
                collected_tariff=own,
                earned_elsewhere=tariff_total.get(office.pk, 0) - own,
                tariff_refunded=refunded.get(office.pk, 0),
            )
        )
    return rows


def settlement_totals(rows: Iterable[SettlementRow]) -> SettlementRow:
    listed = list(rows)
    return SettlementRow(
        office=None,
        office_code="",
        office_name="",
        collected=sum(r.collected for r in listed),
        collected_tariff=sum(r.collected_tariff for r in listed),
        earned_elsewhere=sum(r.earned_elsewhere for r in listed),
        tariff_refunded=sum(r.tariff_refunded for r in listed),
    )


# --- the counter ---------------------------------------------------------------------------------

LOOKUP_KINDS = ("bill", "renewal_code", "plate", "national_code")
COUNTER_LIST_LIMIT = 50


def counter_bills_find(*, city: City, kind: str, key: str, open_only: bool = True) -> list[Bill]:
    """The city's bills by bill ID, renewal code, plate or payer's national code (key already clean)."""
    bills = Bill.objects.filter(city=city).select_related("city", "office")
    if kind == "bill":
        bills = bills.filter(number=key)
    elif kind == "renewal_code":
        bills = bills.filter(subject_kind=SubjectKind.PROPERTY, subject_key=key)
    elif kind == "plate":
        bills = bills.filter(subject_kind=SubjectKind.VEHICLE, subject_key=key)
    elif kind == "national_code":
        bills = bills.filter(payer_national_code=key)
    else:
        raise ValueError(f"unknown lookup: {kind!r}")
    if open_only and kind != "bill":
        bills = bills.filter(status__in=PAYABLE_STATUSES)
    return list(bills.order_by("-fiscal_year", "-created_at")[:COUNTER_LIST_LIMIT])


def counter_bill(*, city: City, number: str) -> Bill | None:
    return Bill.objects.select_related("city", "office", "payer").filter(city=city, number=number).first()


def counter_tariff_due(*, bill: Bill, office: Office) -> int:
    """The counter tariff collecting ``bill`` at ``office`` would add (see ``counter_tariff_line``)."""
    line = counter_tariff_line(bill, office)
    return line.amount if line is not None else 0


def counter_payment(*, office: Office, order_id: str) -> Payment | None:
    """A counter payment taken at ``office`` (None for anything else: another office's, or online)."""
    return (
        Payment.objects.select_related("bill", "office", "started_by")
        .filter(provider=COUNTER, office=office, order_id=order_id)
        .first()
    )


def receipt_number_of(*, payment: Payment) -> str:
    """The signed receipt's number when one has been issued, else ""."""
    return Receipt.objects.filter(payment=payment).values_list("number", flat=True).first() or ""


@dataclass
class OperatorTotal:
    name: str
    count: int = 0
    amount: int = 0


@dataclass
class CashUp:
    """One office's counter payments on one local day."""

    office: Office
    day: date
    payments: list[Payment]
    operators: list[OperatorTotal] = field(default_factory=list)
    total: int = 0  # what stands: payments of the day not reversed
    count: int = 0
    reversed_total: int = 0
    reversed_count: int = 0


def _operator_name(payment: Payment) -> str:
    user = payment.started_by
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def office_cash_up(*, office: Office, day: date) -> CashUp:
    """The office's counter payments completed on ``day`` (reversed ones listed, not totalled)."""
    start, end = day_range(city=office.city, day=day)
    payments = list(
        Payment.objects.filter(provider=COUNTER, office=office, completed_at__gte=start, completed_at__lt=end)
        .exclude(status__in=[PaymentStatus.PENDING])
        .select_related("bill", "started_by")
        .order_by("completed_at", "pk")
    )
    cash = CashUp(office=office, day=day, payments=payments)
    operators: dict[int | None, OperatorTotal] = {}
    for payment in payments:
        if payment.status == PaymentStatus.REVERSED:
            cash.reversed_total += payment.amount
            cash.reversed_count += 1
            continue
        line = operators.setdefault(payment.started_by_id, OperatorTotal(name=_operator_name(payment)))
        line.count += 1
        line.amount += payment.amount
        cash.total += payment.amount
        cash.count += 1
    cash.operators = sorted(operators.values(), key=lambda o: o.name)
    return cash


# --- finance queues ------------------------------------------------------------------------------

QUEUE_LIMIT = 200


def payments_awaiting_bank(*, city: City, older_than: datetime) -> QuerySet[Payment]:
    """Online payments still pending that started before ``older_than``."""
    return (
        Payment.objects.filter(bill__city=city, status=PaymentStatus.PENDING, started_at__lt=older_than)
        .exclude(provider=COUNTER)
        .select_related("bill")
        .order_by("started_at")[:QUEUE_LIMIT]
    )


def payments_flagged(*, city: City) -> QuerySet[Payment]:
    """Payments held for review (the gateway reported an amount other than the one asked)."""
    return (
        Payment.objects.filter(bill__city=city, status=PaymentStatus.FLAGGED)
        .select_related("bill")
        .order_by("completed_at")[:QUEUE_LIMIT]
    )


def refunds_to_pay(*, city: City) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(payment__bill__city=city, status=RefundStatus.PAYABLE)
        .select_related("payment__bill", "payment__office")
        .order_by("created_at")[:QUEUE_LIMIT]
    )


def refund_payable(*, city: City, number: str) -> Refund | None:
    return (
        Refund.objects.filter(payment__bill__city=city, number=number, status=RefundStatus.PAYABLE)
        .select_related("payment__bill")
        .first()
    )


def payment_of_city(*, city: City, order_id: str) -> Payment | None:
    return Payment.objects.filter(bill__city=city, order_id=order_id).select_related("bill").first()


def bill_lines(*, bill: Bill) -> list[BillItem]:
    """Every line of the bill in order, those taken off by an amendment too (``removed``)."""
    return list(BillItem.objects.filter(bill=bill).select_related("office").order_by("seq"))


def bill_events(*, bill: Bill) -> list[BillEvent]:
    """The bill's audit trail, oldest first."""
    return list(BillEvent.objects.filter(bill=bill).select_related("actor").order_by("created_at", "pk"))


# --- month input and exports ---------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})\s*[/\-.٫]\s*(\d{1,2})")


def jalali_month_parse(text: str) -> tuple[int, int]:
    """«۱۴۰۵/۰۹» or "1405-9" → (1405, 9); InvalidValue with a Persian message otherwise."""
    match = _MONTH.fullmatch(to_latin_digits(text or "").strip())
    if match is None:
        raise InvalidValue(
            "settlement.month_format",
            _("Write the month as year/month, for example 1405/09."),
            fields={"month": [_("Write the month as year/month, for example 1405/09.")]},
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not (JALALI_YEAR_MIN <= year <= JALALI_YEAR_MAX and 1 <= month <= 12):
        raise InvalidValue(
            "settlement.month_range",
            _("There is no such month."),
            fields={"month": [_("There is no such month.")]},
        )
    return year, month


def month_title(year: int, month: int) -> str:
    return f"{MONTH_NAMES_FA[month - 1]} {year}"


# Persian headers: the settlement is a municipal document, in Persian whatever the reader's language.
EXPORT_HEADERS: tuple[str, ...] = (
    "کد دفتر",
    "نام دفتر",
    "وصولی پیشخوان (ریال)",
    "کارمزد خود دفتر از وصولی (ریال)",
    "وصولی متعلق به شهرداری (ریال)",
    "کارمزد دفتر از پرداخت‌های دیگر (ریال)",
    "کارمزد استردادشده (ریال)",
    "کل کارمزد دفتر (ریال)",
    "مانده: بدهی دفتر به شهرداری (+) / طلب دفتر (−) (ریال)",
)
TOTALS_LABEL = "جمع"


def _export_rows(rows: list[SettlementRow]) -> list[list[str | int]]:
    lines: list[list[str | int]] = [
        [row.office_code, row.office_name, *(getattr(row, name) for name in SETTLEMENT_COLUMNS)]
        for row in rows
    ]
    totals = settlement_totals(rows)
    lines.append([TOTALS_LABEL, "", *(getattr(totals, name) for name in SETTLEMENT_COLUMNS)])
    return lines


def settlement_csv(rows: list[SettlementRow]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Persian), plain integer rials, a totals row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    writer.writerows(_export_rows(rows))
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def settlement_xlsx(
    rows: list[SettlementRow], *, city: City, year: int, month: int, generated_at: datetime
) -> bytes:
    """One right-to-left sheet: a title row (city, month, when generated), headers, rows, totals."""
    generated = format_jalali_datetime(generated_at, persian_digits=False)
    book, sheet = rtl_sheet(
        sheet_title=f"{year}-{month:02d}",
        heading=f"تسویه ماهانه دفاتر — {city.name_fa} — {month_title(year, month)} — تهیه‌شده در {generated}",
        headers=EXPORT_HEADERS,
    )
    for line in _export_rows(rows):
        sheet.append(line)
    last = sheet.max_row
    for row in sheet.iter_rows(min_row=3, max_row=last, min_col=3, max_col=len(EXPORT_HEADERS)):
        for cell in row:
            cell.number_format = "#,##0"
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 40
    for column in "CDEFGH":
        sheet.column_dimensions[column].width = 22
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CASH_UP_HEADERS: tuple[str, ...] = (
    "زمان",
    "شناسه قبض",
    "عنوان قبض",
    "مبلغ (ریال)",
    "شماره پیگیری پایانه",
    "متصدی",
    "وضعیت",
    "شماره سفارش",
)
_CASH_UP_STATUS = {PaymentStatus.SUCCEEDED: "پرداخت‌شده", PaymentStatus.REVERSED: "برگشت‌خورده"}


def cash_up_csv(cash: CashUp) -> bytes:
    """The day's counter payments (reversed ones marked), then the total that stands; UTF-8 with a BOM."""
    tz = city_timezone(city=cash.office.city)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CASH_UP_HEADERS)
    for payment in cash.payments:
        at = payment.completed_at.astimezone(tz).strftime("%H:%M") if payment.completed_at else ""
        writer.writerow(
            [
                at,
                payment.bill.number,
                payment.bill.title,
                payment.amount,
                payment.reference,
                _operator_name(payment),
                _CASH_UP_STATUS.get(PaymentStatus(payment.status), payment.status),
                payment.order_id,
            ]
        )
    writer.writerow([TOTALS_LABEL, "", "", cash.total, "", "", "", ""])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
