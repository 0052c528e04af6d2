"""The offices' monthly performance as an Excel workbook: one right-to-left sheet, Persian headers
(a municipal document, in Persian whatever the reader's language), numbers stored as numbers."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from daftar.billing.settlement import month_title
from daftar.core.jalali import format_jalali_datetime
from daftar.core.xlsx import rtl_sheet
from daftar.offices.models import City

from .performance import OfficePerformance

# (header, value of a row, number format)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("رتبه", "0"),
    ("کد دفتر", "@"),
    ("نام دفتر", "@"),
    ("پرونده‌های ثبت‌شده", "#,##0"),
    ("پرونده‌های مختومه", "#,##0"),
    ("مختومه در مهلت", "#,##0"),
    ("رعایت مهلت", "0.0%"),
    ("پرونده‌های باز معوق (اکنون)", "#,##0"),
    ("میانگین رضایت (۱ تا ۵)", "0.00"),
    ("تعداد رأی رضایت", "#,##0"),
    ("شکایت‌ها", "#,##0"),
    ("شکایت در هر ۱۰۰ پرونده", "0.0"),
    ("کارمزد کسب‌شده (ریال)", "#,##0"),
    ("امتیاز (از ۱۰۰)", "0.0"),
)
HEADERS: tuple[str, ...] = tuple(header for header, _format in COLUMNS)


def _values(row: OfficePerformance) -> list[str | int | float | None]:
    return [
        row.rank,
        row.office_code,
        row.office_name,
        row.filed,
        row.closed,
        row.closed_on_time,
        row.sla_adherence,
        row.overdue_open,
        None if row.rating is None else round(row.rating, 2),
        row.rated,
        row.complaints,
        None if row.complaints_per_100 is None else round(row.complaints_per_100, 1),
        row.revenue,
        row.score,
    ]


def performance_xlsx(
    rows: Sequence[OfficePerformance], *, city: City, year: int, month: int, generated_at: datetime
) -> bytes:
    """A title row (city, month, when generated), the headers, then one row per office in the order
    given; a figure without a value (no case closed, none rated) is an empty cell."""
    generated = format_jalali_datetime(generated_at, persian_digits=False)
    book, sheet = rtl_sheet(
        sheet_title=f"{year}-{month:02d}",
        heading=f"عملکرد دفاتر خدمات — {city.name_fa} — {month_title(year, month)} — تهیه‌شده در {generated}",
        headers=HEADERS,
    )
    for row in rows:
        sheet.append(_values(row))
    for line in sheet.iter_rows(min_row=3, max_row=sheet.max_row, max_col=len(COLUMNS)):
        for cell, (_header, number_format) in zip(line, COLUMNS, strict=True):
            cell.number_format = number_format
    sheet.column_dimensions["A"].width = 7
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 40
    for column in "DEFGHIJKLMN":
        sheet.column_dimensions[column].width = 16
    sheet.freeze_panes = "D3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
