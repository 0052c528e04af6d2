"""The offices' performance pages: the city's monthly ranking with charts and its Excel file for the
municipality's supervisors, and an office's twelve months for its manager; who may see which."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from daftar.accounts.models import User
from daftar.billing.tests.builders import office_open, staff_member
from daftar.offices.models import City, Office, Zone
from daftar.offices.services import staff_assign
from daftar.reports.performance import current_month
from daftar.reports.tests.builders import MONTH, TARIFF_A, TARIFF_ONLINE_A, YEAR, SeededMonth, seed_month

pytestmark = pytest.mark.django_db
MEHR = {"year": str(YEAR), "month": str(MONTH)}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(username: str, role: str, city: City, office: Office | None = None) -> User:
    return staff_member(username, role, city, office, first_name="کاربر", last_name=username)


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


@pytest.fixture
def officer(city: City) -> Client:
    return signed_in(staff("licensing1", "licensing_officer", city))


def fa(value: int | str) -> str:
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def office_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-office="(\d+)"', html)


def cell(html: str, office: str, metric: str) -> str:
    row = re.search(rf'<tr data-office="{office}".*?</tr>', html, re.S)
    assert row is not None, office
    found = re.search(rf'<td data-metric="{metric}">(.*?)</td>', row.group(0), re.S)
    assert found is not None, metric
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- the city's ranking ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["licensing_officer", "city_administrator", "auditor"])
def test_the_citys_supervisors_see_every_office_ranked_with_its_figures(
    city: City, seeded: SeededMonth, role: str
) -> None:
    response = signed_in(staff(f"{role}-1", role, city)).get(reverse("web:performance"), MEHR)
    assert response.status_code == 200
    html = response.content.decode()
    assert office_rows(html) == ["2205", "1102", "3301"]  # by score; the idle office last
    assert cell(html, "1102", "filed") == fa(6)
    assert cell(html, "1102", "closed") == fa(4)
    assert cell(html, "1102", "sla").startswith(fa(50) + "٫" + fa(0))
    assert cell(html, "1102", "overdue") == fa(1)
    assert cell(html, "1102", "rating").startswith(fa("3") + "٫" + fa("67"))
    assert cell(html, "1102", "complaints").startswith(fa(2))
    assert cell(html, "1102", "revenue") == "۵۵۰٬۰۰۰ ریال"  # 300,000 + 250,000 rials
    assert TARIFF_A + TARIFF_ONLINE_A == 550_000
    assert cell(html, "1102", "score") == fa(45) + "٫" + fa(0)
    assert re.search(r'<tr data-office="2205" data-rank="1"', html)
    assert re.search(r'<tr data-office="1102" data-rank="2"', html)


def test_an_office_with_no_activity_shows_zeros_and_no_score(officer: Client, seeded: SeededMonth) -> None:
    html = officer.get(reverse("web:performance"), MEHR).content.decode()
    assert [cell(html, "3301", m) for m in ("filed", "closed", "overdue", "complaints")] == [fa(0)] * 4
    assert cell(html, "3301", "revenue") == "۰ ریال"
    assert [cell(html, "3301", m) for m in ("sla", "rating", "score")] == ["—"] * 3
    assert re.search(r'<tr data-office="3301" data-rank=""', html)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("filed", ["1102", "2205", "3301"]),
        ("sla", ["2205", "1102", "3301"]),
        ("complaints", ["2205", "3301", "1102"]),
        ("revenue", ["1102", "2205", "3301"]),
        ("overdue", ["2205", "3301", "1102"]),
        ("nonsense", ["2205", "1102", "3301"]),  # an unknown metric ranks by score
    ],
)
def test_the_table_sorts_by_the_chosen_figure_and_marks_that_column(
    officer: Client, seeded: SeededMonth, sort: str, order: list[str]
) -> None:
    response = officer.get(reverse("web:performance"), {**MEHR, "sort": sort})
    assert response.status_code == 200
    html = response.content.decode()
    assert office_rows(html) == order
    shown = sort if sort != "nonsense" else "score"
    assert re.search(rf'<th scope="col" aria-sort="(ascending|descending)" data-sort="{shown}">', html)
    # every other column offers itself as a link keeping the month
    assert "sort=filed" in html or shown == "filed"
    assert "year=1405&amp;month=7" in html


def test_four_charts_are_drawn_inline_as_labelled_svg_without_scripts(
    officer: Client, seeded: SeededMonth
) -> None:
    html = officer.get(reverse("web:performance"), MEHR).content.decode()
    charts = re.findall(r'<section class="card" data-chart="(\w+)"', html)
    assert charts == ["filed", "sla", "rating", "revenue"]
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) == 4
    assert all('role="img"' in svg and "aria-labelledby=" in svg for svg in svgs)
    assert '<desc id="chart-revenue-desc">' in html
    revenue = re.search(r'data-chart="revenue".*?</section>', html, re.S)
    assert revenue is not None
    assert revenue.group(0).count("<g data-bar>") == 2  # the idle office earned nothing: no bar
    assert "۵۵۰٬۰۰۰ ریال" in revenue.group(0)
    page_scripts = re.findall(r"<script[^>]*>", html)
    assert all("static/" in script for script in page_scripts)  # only the site's own script
    assert "style=" not in html


def test_a_month_is_chosen_by_year_and_month_and_a_wrong_or_future_one_is_refused(
    officer: Client, seeded: SeededMonth
) -> None:
    aban = officer.get(reverse("web:performance"), {"year": "1405", "month": "8"}).content.decode()
    assert cell(aban, "1102", "filed") == fa(1)
    for wrong in ({"year": "1405", "month": "13"}, {"year": "abc", "month": "7"}, {"year": "1405"}):
        response = officer.get(reverse("web:performance"), wrong)
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    this_year, this_month = current_month()
    next_year, next_month = (this_year, this_month + 1) if this_month < 12 else (this_year + 1, 1)
    future = {"year": str(next_year), "month": str(next_month)}
    assert officer.get(reverse("web:performance"), future).status_code == 400
    assert officer.get(reverse("web:performance_xlsx"), {"year": "1405", "month": "13"}).status_code == 400


def test_the_ranking_page_takes_the_same_queries_however_many_offices(
    city: City, zone: Zone, officer: Client, seeded: SeededMonth, django_assert_max_num_queries: Any
) -> None:
    with CaptureQueriesContext(connection) as few:
        assert officer.get(reverse("web:performance"), MEHR).status_code == 200
    for number in range(15):
        office_open(city, zone, code=f"60{number:02d}", name=f"دفتر {number}")
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as many:
        response = officer.get(reverse("web:performance"), MEHR)
    assert len(office_rows(response.content.decode())) == 18
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the Excel file --------------------------------------------------------------------------------


def test_the_excel_file_is_right_to_left_with_persian_headers_and_the_months_numbers(
    officer: Client, seeded: SeededMonth
) -> None:
    response = officer.get(reverse("web:performance_xlsx"), {**MEHR, "sort": "filed"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="performance-tehran-1405-07.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.sheet_view.rightToLeft is True
    assert sheet.cell(row=2, column=2).value == "کد دفتر"
    assert sheet.cell(row=2, column=4).value == "پرونده‌های ثبت‌شده"
    assert [sheet.cell(row=r, column=2).value for r in (3, 4, 5)] == ["1102", "2205", "3301"]
    assert sheet.cell(row=3, column=4).value == 6
    assert sheet.cell(row=3, column=13).value == 550_000


# --- who may see what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["finance_officer", "municipal_reviewer", "technical_inspector"])
def test_other_municipal_roles_are_refused(city: City, role: str) -> None:
    client = signed_in(staff(f"{role}-x", role, city))
    assert client.get(reverse("web:performance")).status_code == 403
    assert client.get(reverse("web:performance_xlsx")).status_code == 403
    assert client.get(reverse("web:office_performance")).status_code == 403


def test_office_staff_and_citizens_cannot_see_the_citys_ranking_and_visitors_must_sign_in(
    city: City, office: Office, operator_user: Any, citizen_user: Any
) -> None:
    manager = staff("manager-1", "office_manager", city, office)
    for user in (manager, operator_user, citizen_user):
        assert signed_in(user).get(reverse("web:performance")).status_code == 403
        assert signed_in(user).get(reverse("web:performance_xlsx")).status_code == 403
    for url in (
        reverse("web:performance"),
        reverse("web:performance_xlsx"),
        reverse("web:office_performance"),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:staff_signin"))


def test_a_supervisor_sees_only_their_own_city(city: City, seeded: SeededMonth) -> None:
    karaj = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    karaj_zone = Zone.objects.create(city=karaj, number=1, name="منطقه ۱")
    office_open(karaj, karaj_zone, code="0101", name="دفتر کرج")
    client = signed_in(staff("karaj-auditor", "auditor", karaj))
    assert office_rows(client.get(reverse("web:performance"), MEHR).content.decode()) == ["0101"]
    assert client.get(reverse("web:performance"), {**MEHR, "city": "tehran"}).status_code == 403
    assert client.get(reverse("web:performance_xlsx"), {**MEHR, "city": "tehran"}).status_code == 403
    both = staff("both-auditor", "auditor", karaj)
    staff_assign(user=both, role="auditor", city=city)
    html = signed_in(both).get(reverse("web:performance"), {**MEHR, "city": "tehran"}).content.decode()
    assert office_rows(html) == ["2205", "1102", "3301"]


# --- an office's own twelve months -----------------------------------------------------------------


def test_an_office_manager_sees_their_offices_last_twelve_months(city: City, seeded: SeededMonth) -> None:
    manager = staff("manager-a", "office_manager", city, seeded.a)
    response = signed_in(manager).get(reverse("web:office_performance"), {"year": "1405", "month": "8"})
    assert response.status_code == 200
    html = response.content.decode()
    months = re.findall(r'<tr data-month="(\d+-\d+)"', html)
    assert months == [f"1405-{m}" for m in range(8, 0, -1)] + [f"1404-{m}" for m in range(12, 8, -1)]
    mehr = re.search(r'<tr data-month="1405-7".*?</tr>', html, re.S)
    assert mehr is not None
    assert '<td data-metric="filed">۶</td>' in mehr.group(0)
    assert "۵۵۰٬۰۰۰ ریال" in mehr.group(0)
    assert len(re.findall(r"<svg [^>]*role=\"img\"", html)) == 2
    assert "2205" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S).replace("۲۲۰۵", "")


def test_an_office_manager_cannot_open_another_offices_figures_and_operators_none(
    city: City, seeded: SeededMonth
) -> None:
    manager = signed_in(staff("manager-a", "office_manager", city, seeded.a))
    assert manager.get(reverse("web:office_performance"), {"office": "2205"}).status_code == 403
    assert manager.get(reverse("web:office_performance"), {"office": "1102"}).status_code == 200
    this_year, this_month = current_month()
    default = manager.get(reverse("web:office_performance")).content.decode()
    assert re.findall(r'<tr data-month="(\d+-\d+)"', default)[0] == f"{this_year}-{this_month}"
    assert manager.get(reverse("web:office_performance"), {"year": "1405", "month": "13"}).status_code == 400
    assert signed_in(seeded.operator_b).get(reverse("web:office_performance")).status_code == 403
    assert (
        signed_in(staff("auditor-o", "auditor", city)).get(reverse("web:office_performance")).status_code
        == 403
    )


def test_a_manager_of_two_offices_picks_between_them(city: City, seeded: SeededMonth) -> None:
    manager = staff("manager-ab", "office_manager", city, seeded.a)
    staff_assign(user=manager, role="office_manager", city=city, office=seeded.b)
    client = signed_in(manager)
    html = client.get(reverse("web:office_performance"), {"office": "2205", **MEHR}).content.decode()
    mehr = re.search(r'<tr data-month="1405-7".*?</tr>', html, re.S)
    assert mehr is not None
    assert '<td data-metric="filed">۲</td>' in mehr.group(0)
    assert 'href="?office=1102&amp;year=1405&amp;month=7"' in html
