"""Load the demo city (catalog/demo/tehran.yaml): districts, offices, hours and holidays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from daftar.core.jalali import days_in_jalali_month, from_jalali

from . import services
from .models import City, HoursOverride, Office, Zone

DEMO_HOLIDAY_YEARS: tuple[int, ...] = (1404, 1405, 1406)


def _clock(value: str) -> time:
    return time.fromisoformat(str(value))


def year_end_dates(
    *, jalali_years: Sequence[int], last_days: int, working_weekdays: Sequence[int]
) -> list[date]:
    """The last ``last_days`` days of Esfand of each year that fall on a working weekday."""
    days = []
    for year in jalali_years:
        length = days_in_jalali_month(year, 12)
        for day in range(max(1, length - last_days + 1), length + 1):
            gregorian = from_jalali(year, 12, day)
            if gregorian.weekday() in working_weekdays:
                days.append(gregorian)
    return days


def _city(data: dict[str, Any]) -> City:
    existing = City.objects.filter(code=data["code"]).first()
    if existing is not None:
        return existing
    return services.city_create(
        code=data["code"],
        name_fa=data["name_fa"],
        name_en=data["name_en"],
        timezone=data.get("timezone", "Asia/Tehran"),
        center_latitude=data.get("center_latitude"),
        center_longitude=data.get("center_longitude"),
        min_office_area_m2=int(data.get("min_office_area_m2", 60)),
        working_weekdays=data.get("working_weekdays"),
    )


def _zones(city: City, rows: list[dict[str, Any]]) -> dict[int, Zone]:
    zones = {zone.number: zone for zone in Zone.objects.filter(city=city)}
    for row in rows:
        number = int(row["number"])
        if number not in zones:
            zones[number] = services.zone_create(
                city=city, number=number, name=row["name"], boundary=row.get("boundary")
            )
    return zones


def _offices(
    city: City, zones: dict[int, Zone], rows: list[dict[str, Any]], hours: dict[str, list[dict[str, Any]]]
) -> None:
    existing = set(Office.objects.filter(city=city).values_list("code", flat=True))
    for row in rows:
        code = str(row["code"])
        if code in existing:
            continue
        office = services.office_create(
            city=city,
            zone=zones[int(row["zone"])],
            code=code,
            name=row["name"],
            address=row["address"],
            licence_status=row.get("licence_status", "pending"),
            postal_code=str(row.get("postal_code", "")),
            phone=str(row.get("phone", "")),
            latitude=row.get("latitude"),
            longitude=row.get("longitude"),
            area_m2=row.get("area_m2"),
            counters=int(row.get("counters", 1)),
        )
        for template in row.get("hours", []):
            for shift in hours[template]:
                for weekday in shift["weekdays"]:
                    services.hours_set_weekly(
                        office=office,
                        weekday=int(weekday),
                        shift=shift["shift"],
                        opens=_clock(shift["opens"]),
                        closes=_clock(shift["closes"]),
                    )


def _year_end(city: City, data: dict[str, Any]) -> None:
    days = year_end_dates(
        jalali_years=[int(year) for year in data["jalali_years"]],
        last_days=int(data["last_days"]),
        working_weekdays=list(city.working_weekdays),
    )
    # Only dates without city-wide special hours: hours edited since the last load are kept.
    taken = set(
        HoursOverride.objects.filter(city=city, office__isnull=True, date__in=days).values_list(
            "date", flat=True
        )
    )
    for day in days:
        if day not in taken:
            services.hours_override_set(
                city=city,
                date=day,
                spans=[(_clock(data["opens"]), _clock(data["closes"]))],
                reason=data.get("reason", ""),
            )


def demo_city_load(*, path: Path, holiday_years: Sequence[int] = DEMO_HOLIDAY_YEARS) -> City:
    """Load the demo city from YAML, adding only what is missing; safe to run again.

    Rows already present (matched by city code, district number, office code, date) are left
    as they are, so edits made since the last load survive. Also stores the national holidays
    of ``holiday_years`` (Jalali) from the holidays library.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    with transaction.atomic():
        city = _city(data["city"])
        zones = _zones(city, data.get("zones", []))
        _offices(city, zones, data.get("offices", []), data.get("hours", {}))
        if data.get("year_end"):
            _year_end(city, data["year_end"])
        services.holidays_sync(jalali_years=list(holiday_years))
    return city
