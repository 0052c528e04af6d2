"""Register the licences of offices that already work (granted before Daftar) from a CSV file.

Columns: office_code, licence_number, holder_national_code, valid_from, valid_until (Jalali dates,
e.g. 1403/05/01). Each rejected line is reported with its reason; the others are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.core.errors import DomainError
from daftar.licensing.records import licences_csv_rows, licences_import
from daftar.offices.models import City


class Command(BaseCommand):
    help = "Register existing office licences from a CSV file (see docs/licensing.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--city", required=True, help="the city's code, e.g. tehran")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(code=options["city"]).first()
        if city is None:
            raise CommandError(f"unknown city {options['city']!r}")
        try:
            rows = licences_csv_rows(Path(options["path"]).read_text(encoding="utf-8"))
        except (OSError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        report = licences_import(city=city, rows=rows)
        for problem in report.problems:
            self.stderr.write(f"line {problem}")
        self.stdout.write(f"{report.created} licences registered, {len(report.problems)} lines rejected")
        if report.problems and not report.created:
            raise CommandError("no licence was registered")
