"""Working days in a city: Fridays, national holidays and the city's closures are skipped."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daftar.offices import selectors, services
from daftar.offices.models import City

pytestmark = pytest.mark.django_db

BEFORE_NOWRUZ = date(2025, 3, 18)  # Tuesday 1403/12/28


@pytest.fixture
def nowruz_holidays(db: None) -> None:
    services.holidays_sync(jalali_years=[1403, 1404])


@pytest.mark.usefixtures("nowruz_holidays")
@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, date(2025, 3, 25)),  # 29 Esfand, 30 Esfand, 1–4 Farvardin are holidays; the 21st is also a Friday
        (3, date(2025, 3, 27)),
        (4, date(2025, 3, 29)),  # Friday 28 March skipped
        (6, date(2025, 4, 3)),  # Eid al-Fitr (31 March, 1 April) and Nature's Day (2 April) skipped
    ],
)
def test_adding_working_days_across_nowruz_skips_the_holidays(
    tehran: City, days: int, expected: date
) -> None:
    assert selectors.working_days_add(city=tehran, start=BEFORE_NOWRUZ, days=days) == expected


@pytest.mark.usefixtures("nowruz_holidays")
def test_counting_working_days_across_nowruz(tehran: City) -> None:
    assert selectors.working_days_count(city=tehran, start=BEFORE_NOWRUZ, end=date(2025, 4, 5)) == 7
    assert selectors.working_days_count(city=tehran, start=date(2025, 4, 5), end=BEFORE_NOWRUZ) == -7


@pytest.mark.usefixtures("nowruz_holidays")
def test_zero_working_days_from_a_holiday_is_the_next_working_day(tehran: City) -> None:
    assert selectors.working_days_add(city=tehran, start=date(2025, 3, 21), days=0) == date(2025, 3, 25)
    assert selectors.working_days_add(city=tehran, start=BEFORE_NOWRUZ, days=0) == BEFORE_NOWRUZ


def test_city_closure_is_not_a_working_day(tehran: City) -> None:
    saturday = date(2025, 5, 10)
    services.closure_declare(city=tehran, date=date(2025, 5, 11), name="آلودگی هوا")
    assert selectors.working_days_add(city=tehran, start=saturday, days=1) == date(2025, 5, 12)


def test_holidays_are_loaded_in_one_query(tehran: City) -> None:
    with CaptureQueriesContext(connection) as queries:
        selectors.working_days_add(city=tehran, start=date(2025, 5, 10), days=60)
        selectors.working_days_count(city=tehran, start=date(2025, 5, 10), end=date(2025, 9, 10))
    assert len(queries) == 2


def test_range_is_extended_when_holidays_push_the_answer_beyond_it(tehran: City) -> None:
    # A month-long run of closures right after the start; the first guess of the range is too short.
    start = date(2025, 5, 10)
    for offset in range(1, 45):
        services.closure_declare(city=tehran, date=date.fromordinal(start.toordinal() + offset), name="تعطیل")
    assert selectors.working_days_add(city=tehran, start=start, days=1) == date(2025, 6, 24)


def test_negative_days_are_refused(tehran: City) -> None:
    with pytest.raises(ValueError, match="negative"):
        selectors.working_days_add(city=tehran, start=date(2025, 5, 10), days=-1)
