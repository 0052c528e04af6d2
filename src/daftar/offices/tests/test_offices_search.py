"""The public office finder: active offices only, district and open-now filters, bounded queries."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.core.paginator import Page
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daftar.core.jalali import TEHRAN
from daftar.offices import selectors, services
from daftar.offices.models import City, LicenceStatus, Office, Zone

from .conftest import make_office

pytestmark = pytest.mark.django_db

SATURDAY = date(2025, 5, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN)


def codes(page: Page[selectors.OfficeRow]) -> list[str]:
    return [row.office.code for row in page.object_list]


def test_only_active_offices_are_listed(tehran: City, district3: Zone, vanak: Office) -> None:
    make_office(tehran, district3, "302", status=LicenceStatus.SUSPENDED)
    make_office(tehran, district3, "303", status=LicenceStatus.PENDING)
    page = selectors.offices_search(city=tehran, now=at(SATURDAY, 10))
    assert codes(page) == ["301"]


def test_district_filter(tehran: City, vanak: Office, bazaar: Office) -> None:
    assert codes(selectors.offices_search(city=tehran, zone_number=12, now=at(SATURDAY, 10))) == ["1201"]
    assert codes(selectors.offices_search(city=tehran, zone_number=7, now=at(SATURDAY, 10))) == []


def test_open_now_filter_keeps_offices_open_at_that_moment(
    tehran: City, vanak: Office, bazaar: Office
) -> None:
    evening = selectors.offices_search(city=tehran, open_at=at(SATURDAY, 17))
    assert codes(evening) == ["301"]  # only Vanak has an evening shift
    assert all(row.is_open for row in evening.object_list)
    morning = selectors.offices_search(city=tehran, open_at=at(SATURDAY, 9))
    assert sorted(codes(morning)) == ["1201", "301"]


def test_rows_carry_todays_spans_open_flag_and_holiday_name(
    tehran: City, vanak: Office, bazaar: Office
) -> None:
    rows = {
        row.office.code: row
        for row in selectors.offices_search(city=tehran, now=at(SATURDAY, 17)).object_list
    }
    assert rows["301"].is_open
    assert not rows["1201"].is_open
    assert rows["301"].spans == ((time(8), time(15)), (time(16), time(19)))
    assert rows["1201"].holiday_name == ""
    assert rows["301"].closes_at == time(19)
    assert rows["1201"].closes_at is None

    services.closure_declare(city=tehran, date=SATURDAY, name="آلودگی هوا")
    rows = {
        row.office.code: row
        for row in selectors.offices_search(city=tehran, now=at(SATURDAY, 10)).object_list
    }
    assert rows["301"].holiday_name == "آلودگی هوا"
    assert not rows["301"].is_open
    assert rows["301"].spans == ()


def test_pages_are_bounded_and_out_of_range_pages_give_the_last(tehran: City, district3: Zone) -> None:
    for number in range(7):
        make_office(tehran, district3, f"31{number}", hours=False)
    page = selectors.offices_search(city=tehran, page=2, page_size=3, now=at(SATURDAY, 10))
    assert codes(page) == ["313", "314", "315"]
    assert page.paginator.num_pages == 3
    assert page.paginator.count == 7
    assert codes(selectors.offices_search(city=tehran, page=99, page_size=3, now=at(SATURDAY, 10))) == ["316"]
    assert selectors.offices_search(city=tehran, page_size=500, now=at(SATURDAY, 10)).paginator.per_page == 50


def _populate(city: City, zone: Zone, count: int) -> None:
    for number in range(count):
        office = make_office(city, zone, f"9{number:03d}", evening=number % 2 == 0)
        if number % 3 == 0:
            services.hours_override_set(city=city, office=office, date=SATURDAY, spans=[(time(9), time(12))])
    services.hours_override_set(city=city, date=SATURDAY, spans=[(time(8), time(20))])
    services.closure_declare(city=city, date=date(2025, 5, 11), name="تعطیل")


def _queries(city: City, **kwargs: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        page = selectors.offices_search(city=city, page_size=50, **kwargs)  # type: ignore[arg-type]
        [row.is_open for row in page.object_list]
        [row.office.zone.name for row in page.object_list]
    return len(captured)


@pytest.mark.parametrize("moment", [{"now": at(SATURDAY, 10)}, {"open_at": at(SATURDAY, 10)}])
def test_query_count_does_not_grow_with_the_number_of_offices(
    tehran: City, district3: Zone, moment: dict[str, datetime]
) -> None:
    _populate(tehran, district3, 3)
    few = _queries(tehran, **moment)
    _populate_more = [make_office(tehran, district3, f"8{n:03d}", evening=True) for n in range(27)]
    assert len(_populate_more) == 27
    many = _queries(tehran, **moment)
    assert few == many


def test_finder_runs_at_most_five_queries(
    tehran: City, district3: Zone, django_assert_max_num_queries: object
) -> None:
    _populate(tehran, district3, 30)
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        page = selectors.offices_search(city=tehran, page_size=50, now=at(SATURDAY, 10))
        assert len(page.object_list) == 30
        [row.office.zone.number for row in page.object_list]
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        page = selectors.offices_search(city=tehran, page_size=50, open_at=at(SATURDAY, 10))
        assert len(page.object_list) == 30
