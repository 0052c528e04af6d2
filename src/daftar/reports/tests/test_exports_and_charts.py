"""The performance workbook (right to left, Persian headers, numbers as numbers) and the geometry of
the bar charts drawn on the pages."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from daftar.offices.models import City, Office, Zone
from daftar.reports.charts import LABEL_MAX_CHARS, PAD, PLOT_WIDTH, ROW_HEIGHT, WIDTH, ChartItem, bar_chart
from daftar.reports.performance import city_performance
from daftar.reports.xlsx import HEADERS, performance_xlsx

from .builders import MONTH, TARIFF_A, TARIFF_B, TARIFF_ONLINE_A, YEAR, SeededMonth, seed_month


@pytest.fixture
def seeded(
    city: City, zone: Zone, office: Office, operator_user: Any, service_version: Any, citizen_user: Any
) -> SeededMonth:
    return seed_month(
        city=city,
        zone=zone,
        office=office,
        operator=operator_user,
        service=service_version,
        citizen=citizen_user,
    )


@pytest.mark.django_db
def test_workbook_is_right_to_left_with_persian_headers_and_numbers_as_numbers(
    city: City, seeded: SeededMonth
) -> None:
    rows = city_performance(city=city, year=YEAR, month=MONTH)
    data = performance_xlsx(rows, city=city, year=YEAR, month=MONTH, generated_at=timezone.now())
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet.sheet_view.rightToLeft is True
    title = str(sheet.cell(row=1, column=1).value)
    assert "مهر 1405" in title
    assert "تهران" in title
    assert [cell.value for cell in sheet[2]] == list(HEADERS)
    assert HEADERS[:4] == ("رتبه", "کد دفتر", "نام دفتر", "پرونده‌های ثبت‌شده")
    lines = {str(line[1].value): line for line in sheet.iter_rows(min_row=3)}
    assert set(lines) == {"1102", "2205", "3301"}
    a = [cell.value for cell in lines["1102"]]
    assert a[0] == 2
    assert a[3:8] == [6, 4, 2, 0.5, 1]
    assert a[8] == pytest.approx(3.67)
    assert a[9:13] == [3, 2, 33.3, TARIFF_A + TARIFF_ONLINE_A]
    assert a[13] == 45.0
    assert lines["1102"][6].number_format == "0.0%"
    assert lines["1102"][12].number_format == "#,##0"
    assert [cell.value for cell in lines["2205"]][12] == TARIFF_B
    idle = [cell.value for cell in lines["3301"]]
    # no case closed or rated, none filed: empty cells, not zeros, for the shares; zeros for counts
    assert idle[0] is None
    assert idle[3:6] == [0, 0, 0]
    assert (idle[6], idle[8], idle[11], idle[13]) == (None, None, None, None)
    # the rows come in the order given (the page's sort)
    assert [str(line[1].value) for line in sheet.iter_rows(min_row=3)] == ["2205", "1102", "3301"]


def test_bars_right_to_left_start_at_the_labels_on_the_right_and_scale_to_the_largest() -> None:
    chart = bar_chart(
        key="filed",
        title="پرونده‌ها",
        items=[ChartItem("الف", 10, "۱۰"), ChartItem("ب", 5, "۵"), ChartItem("ج", 0, "۰")],
        rtl=True,
    )
    full, half, none = chart.bars
    assert full.bar_width == PLOT_WIDTH
    assert half.bar_width == round(PLOT_WIDTH / 2)
    assert none.bar_width == 0
    # every bar ends at the same right edge, beside its label, and grows leftwards
    assert {bar.bar_x + bar.bar_width for bar in chart.bars} == {full.bar_x + full.bar_width}
    assert all(bar.label_x == WIDTH - PAD for bar in chart.bars)
    assert all(bar.value_x < bar.bar_x for bar in chart.bars)
    assert full.bar_x >= PAD
    assert [bar.bar_y for bar in chart.bars] == sorted(bar.bar_y for bar in chart.bars)
    assert chart.height >= chart.bars[-1].bar_y + chart.bar_height
    assert chart.direction == "rtl"
    assert chart.description == "الف: ۱۰؛ ب: ۵؛ ج: ۰"
    small = bar_chart(
        key="s", title="t", items=[ChartItem("الف", 1, "۱"), ChartItem("ب", 2, "۲")], rtl=True, compact=True
    )
    assert small.height < chart.height - ROW_HEIGHT  # two compact rows take less than two full rows
    assert small.bars[1].bar_y - small.bars[0].bar_y < chart.bars[1].bar_y - chart.bars[0].bar_y


def test_bars_left_to_right_and_a_fixed_scale_cap_values() -> None:
    chart = bar_chart(
        key="sla",
        title="On time",
        items=[ChartItem("A", 50, "50%"), ChartItem("B", 120, "120%"), ChartItem("C", -5, "-5%")],
        rtl=False,
        max_value=100,
    )
    a, b, c = chart.bars
    assert a.bar_width == round(PLOT_WIDTH / 2)
    assert b.bar_width == PLOT_WIDTH
    assert c.bar_width == 0
    assert all(bar.label_x == PAD for bar in chart.bars)
    assert all(bar.value_x > bar.bar_x + bar.bar_width for bar in chart.bars)
    assert b.bar_x + b.bar_width <= WIDTH - PAD


def test_a_long_label_is_shortened_but_kept_whole_for_its_tooltip_and_an_empty_chart_says_so() -> None:
    name = "دفتر خدمات الکترونیک شهر کد ۱۱۰۲ — خیابان ملاصدرا، نبش شیراز جنوبی"
    chart = bar_chart(key="x", title="t", items=[ChartItem(name, 1, "۱")], rtl=True)
    assert len(chart.bars[0].label) <= LABEL_MAX_CHARS
    assert chart.bars[0].label.endswith("…")
    assert chart.bars[0].full_label == name
    short = bar_chart(key="z", title="t", items=[ChartItem(name, 1, "۱", short_label="کد ۱۱۰۲")], rtl=True)
    assert (short.bars[0].label, short.bars[0].full_label) == ("کد ۱۱۰۲", name)
    empty = bar_chart(key="y", title="t", items=[], rtl=True)
    assert empty.is_empty
    assert empty.height > 0
