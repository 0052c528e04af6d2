"""Jalali dates and Tehran time: known calendar facts, parsing, formatting, round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from daftar.core.errors import InvalidValue
from daftar.core.jalali import (
    PERSIAN_WEEK_ORDER,
    TEHRAN,
    days_in_jalali_month,
    fiscal_year_bounds,
    fiscal_year_of,
    format_jalali_date,
    format_jalali_datetime,
    from_jalali,
    is_jalali_leap,
    jalali_month_bounds,
    local_now,
    local_today,
    parse_jalali_date,
    parse_jalali_datetime,
    to_jalali,
    weekday_name_fa,
)

FIRST_PARSABLE = date(1821, 3, 21)  # 1200/01/01
LAST_PARSABLE = date(2322, 3, 20)  # 1700/12/29 or 30
parsable_dates = st.dates(min_value=FIRST_PARSABLE, max_value=LAST_PARSABLE)


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1405, 1, 1), date(2026, 3, 21)),
        ((1404, 12, 29), date(2026, 3, 20)),
        ((1403, 12, 30), date(2025, 3, 20)),
        ((1399, 1, 1), date(2020, 3, 20)),
        ((1357, 11, 22), date(1979, 2, 11)),
    ],
)
def test_known_jalali_dates(jalali: tuple[int, int, int], gregorian: date) -> None:
    assert from_jalali(*jalali) == gregorian
    converted = to_jalali(gregorian)
    assert (converted.year, converted.month, converted.day) == jalali


def test_leap_years_follow_jdatetime() -> None:
    assert is_jalali_leap(1403)
    assert not is_jalali_leap(1404)
    assert days_in_jalali_month(1403, 12) == 30
    assert days_in_jalali_month(1404, 12) == 29


@given(st.integers(min_value=1200, max_value=1700), st.integers(min_value=1, max_value=12))
def test_days_in_month_matches_jdatetime(year: int, month: int) -> None:
    days = days_in_jalali_month(year, month)
    jdatetime.date(year, month, days)  # exists
    with pytest.raises(ValueError, match="day"):
        jdatetime.date(year, month, days + 1)


def test_esfand_30_of_a_common_year_does_not_exist() -> None:
    with pytest.raises(InvalidValue) as info:
        parse_jalali_date("1404/12/30")
    assert info.value.code == "jalali_date.not_leap"


def test_fiscal_year_starts_on_first_of_farvardin() -> None:
    assert fiscal_year_of(date(2026, 3, 20)) == 1404
    assert fiscal_year_of(date(2026, 3, 21)) == 1405
    assert fiscal_year_bounds(1404) == (date(2025, 3, 21), date(2026, 3, 20))
    assert fiscal_year_bounds(1403) == (date(2024, 3, 20), date(2025, 3, 20))


def test_fiscal_year_of_an_aware_datetime_counts_in_tehran() -> None:
    # 20:45 UTC on 20 March 2026 is already 00:15 on 1 Farvardin 1405 in Tehran.
    assert fiscal_year_of(datetime(2026, 3, 20, 20, 45, tzinfo=UTC)) == 1405
    assert fiscal_year_of(datetime(2026, 3, 20, 20, 15, tzinfo=UTC)) == 1404


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 20, 12, 0)
    for function in (fiscal_year_of, to_jalali, weekday_name_fa, format_jalali_datetime):
        with pytest.raises(ValueError, match="naive"):
            function(naive)


@given(parsable_dates)
def test_a_date_lies_within_its_fiscal_year(day: date) -> None:
    first, last = fiscal_year_bounds(fiscal_year_of(day))
    assert first <= day <= last


@given(st.integers(min_value=1200, max_value=1699))
def test_month_bounds_tile_the_year(year: int) -> None:
    first_of_year, last_of_year = fiscal_year_bounds(year)
    expected_first = first_of_year
    for month in range(1, 13):
        first, last = jalali_month_bounds(year, month)
        assert first == expected_first
        assert (last - first).days + 1 == days_in_jalali_month(year, month)
        expected_first = last + timedelta(days=1)
    assert last == last_of_year


def test_persian_week_starts_on_saturday() -> None:
    assert PERSIAN_WEEK_ORDER == (5, 6, 0, 1, 2, 3, 4)
    saturday = date(2025, 3, 22)
    names = [weekday_name_fa(saturday + timedelta(days=offset)) for offset in range(7)]
    assert names == ["شنبه", "یک‌شنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه"]
    assert weekday_name_fa(date(2026, 3, 20)) == "جمعه"


def test_local_now_is_aware_tehran_time() -> None:
    now = local_now()
    assert now.tzinfo is TEHRAN
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert local_today() in {now.date(), now.date() + timedelta(days=1)}


@pytest.mark.parametrize(
    "text",
    [
        "1404/12/29",
        "۱۴۰۴/۱۲/۲۹",
        "١٤٠٤-١٢-٢٩",
        "1404.12.29",
        "1404 / 12 / 29",
        "۱۴۰۴٫۱۲٫۲۹",
        " \u200f۱۴۰۴/۱۲/۲۹\u200e ",
        "۲۹ اسفند ۱۴۰۴",
        "29 اسفند 1404",
    ],
)
def test_parse_jalali_date_accepts_common_writings(text: str) -> None:
    assert parse_jalali_date(text) == date(2026, 3, 20)


def test_parse_jalali_date_accepts_unpadded_month_and_day() -> None:
    assert parse_jalali_date("1404-1-5") == date(2025, 3, 25)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "jalali_date.empty"),
        ("   ", "jalali_date.empty"),
        ("1404/12", "jalali_date.format"),
        ("04/12/29", "jalali_date.format"),
        ("1404/12/29/1", "jalali_date.format"),
        ("فردا", "jalali_date.format"),
        ("۲۹ مارس ۱۴۰۴", "jalali_date.format"),
        ("29/12/1404", "jalali_date.order"),
        ("2025/03/21", "jalali_date.year"),
        ("1199/12/29", "jalali_date.year"),
        ("1404/13/01", "jalali_date.month"),
        ("1404/00/10", "jalali_date.month"),
        ("1404/07/31", "jalali_date.day"),
        ("1404/01/00", "jalali_date.day"),
        ("1404/12/30", "jalali_date.not_leap"),
    ],
)
def test_parse_jalali_date_says_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_jalali_date(text)
    assert info.value.code == code


def test_from_jalali_refuses_a_day_that_does_not_exist() -> None:
    with pytest.raises(InvalidValue) as info:
        from_jalali(1404, 2, 32)
    assert info.value.code == "jalali_date.day"
    assert info.value.params["days"] == 31


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "۱۴۰۴/۰۱/۰۵"),
        ({"persian_digits": False}, "1404/01/05"),
        ({"style": "long"}, "۵ فروردین ۱۴۰۴"),
        ({"style": "long", "persian_digits": False}, "5 فروردین 1404"),
    ],
)
def test_format_jalali_date(kwargs: dict[str, object], expected: str) -> None:
    assert format_jalali_date(date(2025, 3, 25), **kwargs) == expected  # type: ignore[arg-type]


def test_format_jalali_datetime_shows_tehran_time() -> None:
    moment = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    assert format_jalali_datetime(moment) == "۱۴۰۴/۱۲/۲۹ ۱۳:۳۰"
    assert format_jalali_datetime(moment, style="long") == "۲۹ اسفند ۱۴۰۴، ساعت ۱۳:۳۰"
    assert format_jalali_datetime(moment, persian_digits=False) == "1404/12/29 13:30"


def test_format_jalali_datetime_uses_summer_time_of_its_day() -> None:
    # Until 1401 Tehran kept summer time (+04:30).
    assert format_jalali_datetime(datetime(2021, 7, 1, 8, 0, tzinfo=UTC)) == "۱۴۰۰/۰۴/۱۰ ۱۲:۳۰"


@pytest.mark.parametrize(
    "text", ["1404/12/29 14:30", "۱۴۰۴/۱۲/۲۹ ۱۴:۳۰", "1404-12-29T14:30", "۲۹ اسفند ۱۴۰۴، ساعت ۱۴:۳۰"]
)
def test_parse_jalali_datetime_reads_tehran_wall_clock(text: str) -> None:
    moment = parse_jalali_datetime(text)
    assert moment.tzinfo is not None
    assert moment == datetime(2026, 3, 20, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "jalali_datetime.empty"),
        ("1404/12/29", "jalali_datetime.format"),
        ("1404/12/29 1430", "jalali_datetime.format"),
        ("1404/12/29 24:00", "jalali_datetime.time"),
        ("1404/12/29 12:60", "jalali_datetime.time"),
        ("1404/12/30 12:00", "jalali_date.not_leap"),
        ("1399/01/02 00:30", "jalali_datetime.skipped_hour"),
    ],
)
def test_parse_jalali_datetime_says_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_jalali_datetime(text)
    assert info.value.code == code


@given(parsable_dates, st.sampled_from(["numeric", "long"]), st.booleans())
def test_format_then_parse_gives_the_same_date(day: date, style: str, persian_digits: bool) -> None:
    text = format_jalali_date(day, style=style, persian_digits=persian_digits)  # type: ignore[arg-type]
    assert parse_jalali_date(text) == day


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2300, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["numeric", "long"]),
)
def test_format_then_parse_gives_the_same_tehran_minute(moment: datetime, style: str) -> None:
    local = moment.astimezone(TEHRAN)
    parsed = parse_jalali_datetime(format_jalali_datetime(moment, style=style))  # type: ignore[arg-type]
    # The hour repeated when summer time ended reads as its first occurrence (fold=0).
    expected = local.replace(second=0, microsecond=0, fold=0)
    assert parsed.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert parsed.astimezone(UTC) == expected.astimezone(UTC)


def test_parse_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_jalali_date(date(2025, 3, 21))  # type: ignore[arg-type]
