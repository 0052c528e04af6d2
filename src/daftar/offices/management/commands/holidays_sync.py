"""Load Iran's official holidays for the given Jalali years: `manage.py holidays_sync 1404 1405`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.offices.services import holidays_sync


class Command(BaseCommand):
    help = "Load Iran's official holidays (lunar ones included) for Jalali years; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("years", nargs="+", type=int, help="Jalali years, e.g. 1404 1405")

    def handle(self, *args: Any, **options: Any) -> None:
        years: list[int] = options["years"]
        if any(not 1300 <= year <= 1500 for year in years):
            raise CommandError("Give Jalali years between 1300 and 1500, e.g. 1405.")
        created = holidays_sync(jalali_years=years)
        self.stdout.write(f"{created} holiday(s) added for {', '.join(map(str, years))}")
