"""The monthly office settlement: what each office collected for the city and earned, and its exports."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import load_workbook

from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.refunds import payment_reverse
from daftar.billing.settlement import (
    jalali_month_parse,
    office_cash_up,
    office_settlement,
    settlement_csv,
    settlement_totals,
    settlement_xlsx,
)
from daftar.core.errors import InvalidValue
from daftar.core.jalali import TEHRAN, from_jalali, local_today
from daftar.offices.models import City, LicenceStatus, Office

from .builders import bill_issue, completed_at, office_open, online_pay, reversed_at, staff_member

pytestmark = pytest.mark.django_db

TARIFF_A = 300_000
TARIFF_B = 250_000


def jalali_at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime.combine(from_jalali(year, month, day), time(hour), tzinfo=TEHRAN)


@pytest.fixture
def office_b(city: City, zone: Any) -> Office:
    return office_open(
        city, zone, code="2205", name="دفتر خدمات الکترونیک شهر کد ۲۲۰۵ — تجریش", address="تهران، میدان تجریش"
    )


@pytest.fixture
def operator_b(office_b: Office) -> Any:
    return staff_member(
        "operator2", "office_operator", office_b.city, office_b, password="x-test-password-1405"
    )


def at_counter(bill: Any, office: Office, actor: Any, reference: str) -> Any:
    return payment_collect_at_counter(bill=bill, office=office, actor=actor, terminal_reference=reference)


@pytest.fixture
def month(city: City, office: Office, office_b: Office, operator_user: Any, operator_b: Any) -> None:
    """Azar 1405 (1405/09) built by hand: counter payments at two offices, online payments of bills
    carrying either office's tariff, a reversal in the month of an earlier month's payment, and
    payments just outside the month."""
    a, b = office, office_b
    # A's counter, in the month: its own tariff, and office B's tariff on a bill B filed.
    p1 = at_counter(bill_issue(city, fee=2_000_000, tariff=TARIFF_A, office=a), a, operator_user, "100001")
    p2 = at_counter(bill_issue(city, fee=1_500_000, tariff=TARIFF_B, office=b), a, operator_user, "100002")
    # Online, started for the payer by office A: A's tariff earned elsewhere (not at its counter).
    p3 = online_pay(bill_issue(city, fee=4_000_000, tariff=TARIFF_A, office=a), office=a)
    # A's counter in the month before: not this month's.
    p4 = at_counter(bill_issue(city, fee=3_000_000, tariff=TARIFF_A, office=a), a, operator_user, "100004")
    # B's counter in the month.
    p5 = at_counter(bill_issue(city, fee=900_000, tariff=TARIFF_B, office=b), b, operator_b, "200005")
    # B's counter last month, reversed this month: taken off this month's collection.
    p6 = at_counter(bill_issue(city, fee=1_200_000, tariff=TARIFF_B, office=b), b, operator_b, "200006")
    payment_reverse(payment=p6, reason="ثبت روی قبض اشتباه", actor=operator_b)
    # Online next month.
    p7 = online_pay(bill_issue(city, fee=600_000, tariff=TARIFF_B, office=b))
    for payment, when in (
        (p1, jalali_at(1405, 9, 1, 8)),
        (p2, jalali_at(1405, 9, 15)),
        (p3, jalali_at(1405, 9, 30, 23)),
        (p4, jalali_at(1405, 8, 30, 23)),
        (p5, jalali_at(1405, 9, 10)),
        (p6, jalali_at(1405, 8, 20)),
        (p7, jalali_at(1405, 10, 1, 0)),
    ):
        completed_at(payment, when)
    reversed_at(p6, jalali_at(1405, 9, 2))


def _figures(row: Any) -> tuple[int, ...]:
    return (
        row.collected,
        row.collected_tariff,
        row.collected_for_city,
        row.earned_elsewhere,
        row.earned_total,
        row.net,
    )


def test_settlement_of_a_month_per_office_in_exact_rials(city: City, month: None) -> None:
    rows = {row.office_code: row for row in office_settlement(city=city, year=1405, month=9)}
    assert set(rows) == {"1102", "2205"}
    # A collected 2,300,000 + 1,750,000; 300,000 of it its own tariff; the online payment earned it
    # 300,000 more (held by the city). It owes the city 3,750,000 - 300,000.
    assert _figures(rows["1102"]) == (4_050_000, 300_000, 3_750_000, 300_000, 600_000, 3_450_000)
    # B collected 1,150,000 and had 1,450,000 reversed; its tariff on the bill A collected (250,000)
    # is owed to it: the city owes B 550,000.
    assert _figures(rows["2205"]) == (-300_000, 0, -300_000, 250_000, 250_000, -550_000)
    totals = settlement_totals(rows.values())
    assert _figures(totals) == (3_750_000, 300_000, 3_450_000, 550_000, 850_000, 2_900_000)


def test_a_payment_counts_in_the_month_it_completed_and_its_reversal_in_the_month_it_was_made(
    city: City, month: None
) -> None:
    before = {r.office_code: r for r in office_settlement(city=city, year=1405, month=8)}
    # A's payment on the last evening of Aban (23:00 Tehran is still Aban) belongs to Aban; B's
    # payment of Aban stands there, its reversal in Azar does not reach back.
    assert _figures(before["1102"]) == (3_300_000, 300_000, 3_000_000, 0, 300_000, 3_000_000)
    assert _figures(before["2205"]) == (1_450_000, 250_000, 1_200_000, 0, 250_000, 1_200_000)
    after = {r.office_code: r for r in office_settlement(city=city, year=1405, month=10)}
    assert _figures(after["2205"]) == (0, 0, 0, 250_000, 250_000, -250_000)


def test_an_inactive_office_without_money_is_left_out_and_another_citys_payments_never_count(
    city: City, zone: Any, month: None
) -> None:
    Office.objects.create(
        city=city, zone=zone, code="3301", name="دفتر تعلیق‌شده", licence_status=LicenceStatus.SUSPENDED
    )
    other = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    assert office_settlement(city=other, year=1405, month=9) == []
    assert [r.office_code for r in office_settlement(city=city, year=1405, month=9)] == ["1102", "2205"]


def test_settlement_takes_a_fixed_number_of_queries_however_many_offices(
    city: City, zone: Any, month: None, django_assert_max_num_queries: Any
) -> None:
    for number in range(12):
        office_open(city, zone, code=f"40{number:02d}", name=f"دفتر {number}")
    with django_assert_max_num_queries(5):
        rows = office_settlement(city=city, year=1405, month=9)
    assert len(rows) == 14


def test_excel_export_is_right_to_left_with_persian_headers_rial_cells_and_totals(
    city: City, month: None
) -> None:
    rows = office_settlement(city=city, year=1405, month=9)
    data = settlement_xlsx(rows, city=city, year=1405, month=9, generated_at=timezone.now())
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet.sheet_view.rightToLeft is True
    title = str(sheet.cell(row=1, column=1).value)
    assert "آذر 1405" in title
    assert "تهران" in title
    assert "تهیه‌شده در" in title
    assert sheet.cell(row=2, column=1).value == "کد دفتر"
    assert sheet.cell(row=3, column=1).value == "1102"
    assert sheet.cell(row=3, column=3).value == 4_050_000
    assert sheet.cell(row=3, column=3).number_format == "#,##0"
    totals = [cell.value for cell in sheet[sheet.max_row]]
    assert totals == ["جمع", None, 3_750_000, 300_000, 3_450_000, 550_000, 0, 850_000, 2_900_000]


def test_csv_export_has_a_byte_order_mark_for_excel_and_plain_integer_rials(city: City, month: None) -> None:
    data = settlement_csv(office_settlement(city=city, year=1405, month=9))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][0] == "کد دفتر"
    assert lines[1][:3] == ["1102", "دفتر خدمات الکترونیک شهر کد ۱۱۰۲ — ونک", "4050000"]
    assert lines[-1] == ["جمع", "", "3750000", "300000", "3450000", "550000", "0", "850000", "2900000"]


def test_settlement_export_command_writes_xlsx_and_csv(city: City, month: None, tmp_path: Path) -> None:
    xlsx = tmp_path / "azar.xlsx"
    call_command("settlement_export", "--city", "tehran", "--month", "۱۴۰۵/۰۹", "--output", str(xlsx))
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    assert sheet.cell(row=sheet.max_row, column=9).value == 2_900_000
    out = tmp_path / "azar.csv"
    call_command(
        "settlement_export", "--city", "tehran", "--month", "1405-9", "--format", "csv", "--output", str(out)
    )
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(CommandError):
        call_command("settlement_export", "--city", "tehran", "--month", "1405/13", "--output", str(out))
    with pytest.raises(CommandError):
        call_command("settlement_export", "--city", "nowhere", "--month", "1405/09", "--output", str(out))


def test_month_input_is_year_then_month() -> None:
    assert jalali_month_parse("۱۴۰۵/۰۹") == (1405, 9)
    assert jalali_month_parse(" 1405-12 ") == (1405, 12)
    for bad in ("09/1405", "1405/0", "1405", "", "2026/11"):
        with pytest.raises(InvalidValue):
            jalali_month_parse(bad)


def test_cash_up_totals_per_operator_and_leaves_reversed_payments_out(
    city: City, office: Office, operator_user: Any
) -> None:
    manager = staff_member("manager1", "office_manager", city, office, first_name="رضا", last_name="نوری")
    at_counter(
        bill_issue(city, fee=1_000_000, tariff=TARIFF_A, office=office), office, operator_user, "300001"
    )
    at_counter(bill_issue(city, fee=2_000_000), office, manager, "300002")
    wrong = at_counter(bill_issue(city, fee=700_000), office, operator_user, "300003")
    payment_reverse(payment=wrong, reason="قبض اشتباه", actor=manager)
    cash = office_cash_up(office=office, day=local_today())
    assert len(cash.payments) == 3
    assert (cash.total, cash.count, cash.reversed_total, cash.reversed_count) == (3_300_000, 2, 700_000, 1)
    assert {(o.name, o.count, o.amount) for o in cash.operators} == {
        ("مریم کاظمی", 1, 1_300_000),
        ("رضا نوری", 1, 2_000_000),
    }


def test_a_refund_gives_back_the_office_its_tariff_share_in_the_month_it_is_issued(
    city: City, office: Office, operator_user: Any, finance_user: Any
) -> None:
    from daftar.billing.models import LedgerTransaction, TransactionKind
    from daftar.billing.refunds import refund_issue

    bill = bill_issue(city, fee=2_000_000, tariff=TARIFF_A, office=office)
    paid = at_counter(bill, office, operator_user, "300001")
    completed_at(paid, jalali_at(1405, 9, 5))
    refund_issue(payment=paid, amount=bill.total, reason="پرونده پیش از بررسی بسته شد", actor=finance_user)
    LedgerTransaction.objects.filter(kind=TransactionKind.REFUND).update(created_at=jalali_at(1405, 9, 6))
    row = next(r for r in office_settlement(city=city, year=1405, month=9) if r.office_code == office.code)
    assert row.tariff_refunded == TARIFF_A
    assert row.earned_total == 0
    # the office still holds all it collected, and owes back the tariff the city refunded
    assert row.net == row.collected - row.collected_tariff + TARIFF_A
