"""National holidays come from the holidays library, idempotently, without touching manual rows."""

from __future__ import annotations

from datetime import date

import pytest

from daftar.offices import services
from daftar.offices.models import City, Holiday, HolidayKind

pytestmark = pytest.mark.django_db

KNOWN = {
    date(2025, 3, 21): "نوروز 1404/01/01",
    date(2026, 3, 21): "نوروز 1405/01/01",
    date(2025, 7, 6): "عاشورا 1404",
    date(2026, 6, 24): "تاسوعا 1405",
    date(2025, 4, 2): "سیزده‌بدر 1404/01/13",
}


def test_sync_stores_the_known_1404_and_1405_holidays_as_national_official_rows() -> None:
    created = services.holidays_sync(jalali_years=[1404, 1405])
    assert created > 40
    for day, label in KNOWN.items():
        rows = Holiday.objects.filter(date=day, city__isnull=True)
        assert rows.exists(), label
        assert all(row.kind == HolidayKind.OFFICIAL for row in rows)
        assert all(row.source == "holidays-lib" for row in rows)


def test_sync_names_are_persian() -> None:
    services.holidays_sync(jalali_years=[1404])
    assert Holiday.objects.filter(date=date(2025, 7, 6), name__contains="عاشورا").exists()
    assert not Holiday.objects.filter(name__regex=r"[A-Za-z]").exists()


def test_sync_keeps_only_dates_inside_the_jalali_years() -> None:
    services.holidays_sync(jalali_years=[1404])
    first, last = Holiday.objects.order_by("date").first(), Holiday.objects.order_by("date").last()
    assert first is not None
    assert last is not None
    assert first.date >= date(2025, 3, 21)
    assert last.date <= date(2026, 3, 20)


def test_a_second_sync_creates_nothing() -> None:
    services.holidays_sync(jalali_years=[1404, 1405])
    count = Holiday.objects.count()
    assert services.holidays_sync(jalali_years=[1404, 1405]) == 0
    assert Holiday.objects.count() == count


def test_a_date_with_two_holidays_keeps_one_row_per_name() -> None:
    services.holidays_sync(jalali_years=[1404])
    # 1404/01/02 is both the martyrdom of Imam Ali and a Nowruz holiday in that year.
    names = list(Holiday.objects.filter(date=date(2025, 3, 22)).values_list("name", flat=True))
    assert len(names) == 2
    assert len(set(names)) == 2


def test_manual_holidays_survive_sync() -> None:
    manual = Holiday.objects.create(date=date(2025, 8, 1), name="تعطیلی اضطراری گرما", source="manual")
    services.holidays_sync(jalali_years=[1404])
    services.holidays_sync(jalali_years=[1404])
    assert Holiday.objects.filter(pk=manual.pk).exists()


def test_sync_removes_a_library_row_the_library_no_longer_lists() -> None:
    stale = Holiday.objects.create(date=date(2025, 8, 2), name="برآورد قدیمی", source="holidays-lib")
    services.holidays_sync(jalali_years=[1404])
    assert not Holiday.objects.filter(pk=stale.pk).exists()


def test_sync_does_not_duplicate_a_holiday_staff_already_entered() -> None:
    services.holidays_sync(jalali_years=[1404])
    row = Holiday.objects.get(date=date(2025, 7, 6))
    row.source = "manual"
    row.save()
    assert services.holidays_sync(jalali_years=[1404]) == 0
    assert Holiday.objects.filter(date=date(2025, 7, 6)).count() == 1


def test_city_closure_is_a_city_holiday_and_idempotent(tehran: City) -> None:
    closure = services.closure_declare(city=tehran, date=date(2025, 12, 20), name="آلودگی هوا")
    again = services.closure_declare(city=tehran, date=date(2025, 12, 20), name="آلودگی هوا")
    assert closure.pk == again.pk
    assert closure.kind == HolidayKind.CLOSURE
    assert closure.city == tehran
