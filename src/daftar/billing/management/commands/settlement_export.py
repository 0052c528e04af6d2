"""Export a city's monthly office settlement to Excel or CSV.

    manage.py settlement_export --city tehran --month 1405/09 --format xlsx --output 1405-09.xlsx

The month is Jalali (year/month); CSV is UTF-8 with a byte-order mark so Excel reads the Persian.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from daftar.billing.settlement import jalali_month_parse, office_settlement, settlement_csv, settlement_xlsx
from daftar.core.errors import InvalidValue
from daftar.offices.models import City


class Command(BaseCommand):
    help = "Write the monthly settlement of a city's offices (Jalali month) as .xlsx or .csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="city code, e.g. tehran")
        parser.add_argument("--month", required=True, help="Jalali year/month, e.g. 1405/09")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("--output", required=True, type=Path, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(code=options["city"]).first()
        if city is None:
            raise CommandError(f"no city {options['city']!r}")
        try:
            year, month = jalali_month_parse(options["month"])
        except InvalidValue as exc:
            raise CommandError(f"--month: {exc.code}: write year/month, e.g. 1405/09") from exc
        rows = office_settlement(city=city, year=year, month=month)
        if options["format"] == "csv":
            data = settlement_csv(rows)
        else:
            data = settlement_xlsx(rows, city=city, year=year, month=month, generated_at=timezone.now())
        path: Path = options["output"]
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f"{len(rows)} offices, {year}/{month:02d}: wrote {path}")
