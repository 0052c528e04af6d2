"""Office performance per Jalali month: each figure, the score and ranking, sorting, an office's
twelve months, and the bounded number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daftar.billing.settlement import office_settlement
from daftar.billing.tests.builders import office_open
from daftar.cases.models import Case
from daftar.offices.models import City, Office, Zone
from daftar.reports.performance import (
    OfficePerformance,
    city_performance,
    months_back,
    office_history,
    performance_sort,
)

from .builders import (
    MONTH,
    TARIFF_A,
    TARIFF_B,
    TARIFF_ONLINE_A,
    YEAR,
    SeededMonth,
    close_at,
    file_at,
    jalali_at,
    jalali_day,
    seed_month,
)

pytestmark = pytest.mark.django_db


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


def by_code(rows: list[OfficePerformance]) -> dict[str, OfficePerformance]:
    return {row.office_code: row for row in rows}


def figures(row: OfficePerformance) -> tuple[Any, ...]:
    return (
        row.filed,
        row.closed,
        row.closed_on_time,
        row.rated,
        row.rating_total,
        row.complaints,
        row.revenue,
    )


# --- each figure -----------------------------------------------------------------------------------


def test_each_figure_of_a_seeded_month_per_office(city: City, seeded: SeededMonth) -> None:
    rows = by_code(city_performance(city=city, year=YEAR, month=MONTH))
    a, b = rows["1102"], rows["2205"]
    assert figures(a) == (6, 4, 2, 3, 11, 2, TARIFF_A + TARIFF_ONLINE_A)
    assert a.sla_adherence == 0.5
    assert a.sla_percent == 50.0
    assert a.rating == pytest.approx(11 / 3)
    assert a.complaints_per_100 == pytest.approx(100 * 2 / 6)
    assert a.overdue_open == 1
    assert figures(b) == (2, 2, 2, 1, 4, 0, TARIFF_B)
    assert b.sla_adherence == 1.0
    assert b.overdue_open == 0


def test_months_are_local_tehran_months_at_both_ends(city: City, seeded: SeededMonth) -> None:
    # k1 (filed 23:30 on the last day of Shahrivar) belongs to Shahrivar; k7 (00:10 on 1 Aban) and
    # the complaint at 00:05 on 1 Aban to Aban; k8 closed at 00:30 on 1 Aban is Aban's closing.
    shahrivar = by_code(city_performance(city=city, year=YEAR, month=6))["1102"]
    aban = by_code(city_performance(city=city, year=YEAR, month=8))["1102"]
    assert (shahrivar.filed, shahrivar.closed) == (1, 0)
    assert (aban.filed, aban.closed, aban.rated, aban.rating_total, aban.complaints) == (1, 1, 1, 1, 1)
    assert aban.revenue == TARIFF_A


def test_a_case_closed_past_midnight_after_its_due_date_is_late_though_utc_still_says_the_due_date(
    city: City, office: Office, operator_user: Any, service_version: Any, citizen_user: Any
) -> None:
    due = jalali_day(YEAR, MONTH, 10)
    on_due_evening = file_at(
        service_version, office, operator_user, citizen_user.person, jalali_at(YEAR, MONTH, 1)
    )
    after_midnight = file_at(
        service_version, office, operator_user, citizen_user.person, jalali_at(YEAR, MONTH, 1)
    )
    close_at(on_due_evening, jalali_at(YEAR, MONTH, 10, 23, 59), due=due)
    close_at(after_midnight, jalali_at(YEAR, MONTH, 11, 1), due=due)  # 21:30 UTC on the due date
    row = by_code(city_performance(city=city, year=YEAR, month=MONTH))["1102"]
    assert (row.closed, row.closed_on_time) == (2, 1)


def test_a_case_marked_overdue_is_not_on_time_even_when_closed_before_its_due_date(
    city: City, office: Office, operator_user: Any, service_version: Any, citizen_user: Any
) -> None:
    case = file_at(service_version, office, operator_user, citizen_user.person, jalali_at(YEAR, MONTH, 1))
    close_at(case, jalali_at(YEAR, MONTH, 5), due=jalali_day(YEAR, MONTH, 20), overdue=True)
    row = by_code(city_performance(city=city, year=YEAR, month=MONTH))["1102"]
    assert (row.closed, row.closed_on_time, row.sla_adherence) == (1, 0, 0.0)


def test_tariff_earned_is_the_settlements_figure_and_not_what_was_collected(
    city: City, seeded: SeededMonth
) -> None:
    rows = by_code(city_performance(city=city, year=YEAR, month=MONTH))
    settlement = {row.office_code: row for row in office_settlement(city=city, year=YEAR, month=MONTH)}
    assert rows["1102"].revenue == settlement["1102"].earned_total == TARIFF_A + TARIFF_ONLINE_A
    # B's tariff on the bill A collected is B's, not A's.
    assert rows["2205"].revenue == settlement["2205"].earned_total == TARIFF_B
    assert settlement["1102"].collected > rows["1102"].revenue


def test_an_office_with_no_activity_is_listed_with_zeros_and_no_score(
    city: City, seeded: SeededMonth
) -> None:
    idle = by_code(city_performance(city=city, year=YEAR, month=MONTH))["3301"]
    assert figures(idle) == (0, 0, 0, 0, 0, 0, 0)
    assert idle.overdue_open == 0
    assert (idle.sla_adherence, idle.rating, idle.complaints_per_100, idle.score, idle.rank) == (None,) * 5
    assert idle.is_idle


def test_another_citys_offices_and_cases_never_count(city: City, zone: Zone, seeded: SeededMonth) -> None:
    karaj = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    karaj_zone = Zone.objects.create(city=karaj, number=1, name="منطقه ۱")
    karaj_office = office_open(karaj, karaj_zone, code="0101", name="دفتر کرج")
    Case.objects.filter(pk=seeded.cases["b2"].pk).update(city=karaj, office=karaj_office)
    tehran = by_code(city_performance(city=city, year=YEAR, month=MONTH))
    assert set(tehran) == {"1102", "2205", "3301"}
    assert (tehran["2205"].filed, tehran["2205"].closed) == (1, 1)
    karaj_rows = city_performance(city=karaj, year=YEAR, month=MONTH)
    assert [(r.office_code, r.filed, r.closed, r.complaints) for r in karaj_rows] == [("0101", 1, 1, 0)]


# --- score, ranking, sorting -----------------------------------------------------------------------


def test_score_weighs_on_time_rating_and_complaints_and_ranks_the_offices(
    city: City, seeded: SeededMonth
) -> None:
    rows = city_performance(city=city, year=YEAR, month=MONTH)
    assert [(r.office_code, r.score, r.rank) for r in rows] == [
        ("2205", 92.5, 1),
        ("1102", 45.0, 2),
        ("3301", None, None),
    ]


def _row(code: str, **figures: int) -> OfficePerformance:
    return OfficePerformance(office=Office(code=code, name=f"دفتر {code}"), year=YEAR, month=MONTH, **figures)


def test_score_leaves_out_the_rating_when_no_case_was_rated() -> None:
    # all on time, no complaint: S = 1, C = 1 over weights 50 + 20
    assert _row("1", filed=4, closed=2, closed_on_time=2).score == 100.0
    # half on time, no rating, no complaint: (25 + 20) / 70
    assert _row("2", filed=4, closed=2, closed_on_time=1).score == round(100 * 45 / 70, 1)


def test_score_of_complaints_per_100_cases_filed() -> None:
    # 1 complaint per 20 cases = 5 per 100 → half the complaint part
    assert _row("1", filed=20, closed=1, closed_on_time=1, complaints=1).score == round(
        100 * (50 + 10) / 70, 1
    )
    # no case filed but closed some: any complaint takes the whole complaint part
    assert _row("2", filed=0, closed=1, closed_on_time=1, complaints=1).score == round(100 * 50 / 70, 1)
    assert _row("3", filed=0, closed=1, closed_on_time=1).score == 100.0
    # a rating of 1 gives none of its part, 5 all of it
    assert _row("4", filed=1, closed=1, closed_on_time=1, rated=1, rating_total=1).score == 70.0
    assert _row("5", filed=1, closed=1, closed_on_time=1, rated=2, rating_total=10).score == 100.0


def test_sorting_puts_the_best_first_for_each_figure_and_rows_without_a_value_last() -> None:
    rows = [
        _row("100", filed=5, closed=4, closed_on_time=1, rated=1, rating_total=5, complaints=3, revenue=10),
        _row("200", filed=9, closed=1, closed_on_time=1, complaints=0, revenue=30, overdue_open=4),
        _row("300"),
        _row("400", filed=5, closed=2, closed_on_time=1, rated=2, rating_total=6, complaints=1, revenue=20),
    ]

    def order(by: str) -> list[str]:
        return [row.office_code for row in performance_sort(rows, by=by)]

    assert order("filed") == ["200", "100", "400", "300"]  # ties in code order
    assert order("closed") == ["100", "400", "200", "300"]
    assert order("sla") == ["200", "400", "100", "300"]  # 300 closed nothing: no value, last
    assert order("rating") == ["100", "400", "200", "300"]
    assert order("complaints") == ["200", "300", "400", "100"]  # fewest first
    assert order("overdue") == ["100", "300", "400", "200"]  # fewest first
    assert order("revenue") == ["200", "400", "100", "300"]
    # 200: (50 + 20) / 70 = 100; 100: 50 × 0.25 + 30 × 1 + 0 = 42.5; 400: 50 × 0.5 + 30 × 0.5 + 0 = 40
    assert order("score") == ["200", "100", "400", "300"]
    with pytest.raises(ValueError, match="unknown metric"):
        performance_sort(rows, by="office_name")


def test_offices_with_the_same_score_share_a_place(city: City, zone: Zone, seeded: SeededMonth) -> None:
    # B's rated case loses its rating (B: all on time, no complaint → 100); a new office D closes
    # A's open case k6 on time (D: 100 too). They share first place; A comes third.
    Case.objects.filter(pk=seeded.cases["b1"].pk).update(rating=None)
    d = office_open(city, zone, code="4401", name="دفتر ۴۴۰۱")
    case = seeded.cases["k6"]
    Case.objects.filter(pk=case.pk).update(office=d)
    close_at(case, jalali_at(YEAR, MONTH, 30, 12), due=jalali_day(YEAR, 8, 5))
    rows = city_performance(city=city, year=YEAR, month=MONTH)
    assert [(r.office_code, r.score, r.rank) for r in rows] == [
        ("2205", 100.0, 1),
        ("4401", 100.0, 1),
        ("1102", 45.0, 3),
        ("3301", None, None),
    ]


# --- queries ---------------------------------------------------------------------------------------


def test_a_months_figures_take_the_same_few_queries_however_many_offices(
    city: City, zone: Zone, seeded: SeededMonth, django_assert_max_num_queries: Any
) -> None:
    with CaptureQueriesContext(connection) as few:
        assert len(city_performance(city=city, year=YEAR, month=MONTH)) == 3
    for number in range(15):
        office_open(city, zone, code=f"50{number:02d}", name=f"دفتر {number}")
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as many:
        assert len(city_performance(city=city, year=YEAR, month=MONTH)) == 18
    assert len(many.captured_queries) == len(few.captured_queries)


# --- an office's twelve months ---------------------------------------------------------------------


def test_months_back_crosses_the_new_year() -> None:
    assert months_back(year=1405, month=2, count=4) == [(1404, 11), (1404, 12), (1405, 1), (1405, 2)]
    assert months_back(year=1405, month=12, count=1) == [(1405, 12)]


def test_an_offices_last_twelve_months_newest_first_with_the_months_figures(
    city: City, seeded: SeededMonth, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2 + 12 * 5):
        history = office_history(office=seeded.a, year=YEAR, month=8)
    assert [(r.year, r.month) for r in history] == [(1405, m) for m in range(8, 0, -1)] + [
        (1404, m) for m in range(12, 8, -1)
    ]
    months = {(r.year, r.month): r for r in history}
    mehr = months[(YEAR, MONTH)]
    city_row = by_code(city_performance(city=city, year=YEAR, month=MONTH))["1102"]
    assert figures(mehr) == figures(city_row)
    assert mehr.score == city_row.score
    assert figures(months[(YEAR, 8)]) == (1, 1, 1, 1, 1, 1, TARIFF_A)
    assert figures(months[(YEAR, 6)]) == (1, 0, 0, 0, 0, 0, 0)
    assert all(r.rank is None for r in history)
    assert figures(months[(1404, 9)]) == (0,) * 7


def test_an_offices_history_counts_only_that_offices_cases_and_complaints(
    city: City, seeded: SeededMonth
) -> None:
    history = {(r.year, r.month): r for r in office_history(office=seeded.b, year=YEAR, month=8)}
    assert figures(history[(YEAR, MONTH)]) == (2, 2, 2, 1, 4, 0, TARIFF_B)
    assert history[(YEAR, 8)].complaints == 1
