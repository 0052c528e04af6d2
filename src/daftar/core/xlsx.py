"""Right-to-left Excel sheets for Persian exports (openpyxl): a title row over the headers."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet


def rtl_sheet(*, sheet_title: str, heading: str, headers: Sequence[str]) -> tuple[Workbook, Worksheet]:
    """A workbook whose one sheet reads right to left: a bold merged title row, then bold headers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title
    sheet.sheet_view.rightToLeft = True
    sheet.append([heading])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    return book, sheet
