"""Load (or just check) a city's fee rules, office tariffs and fiscal policies. Idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.billing.tariffs import tariffs_load
from daftar.core.errors import DomainError


class Command(BaseCommand):
    help = "Load a city's tariff file (catalog/tariffs/<city>.yaml): fee rules, office tariffs, policies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--city", default=settings.DAFTAR_DEFAULT_CITY, help="city code (the file's name)"
        )
        parser.add_argument(
            "--file", default="", help="the tariff file (default: catalog/tariffs/<city>.yaml)"
        )
        parser.add_argument("--fiscal-year", type=int, action="append", help="only this year (repeatable)")
        parser.add_argument("--check", action="store_true", help="validate and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(
            options["file"] or Path(settings.DAFTAR_CATALOG_DIR) / "tariffs" / f"{options['city']}.yaml"
        )
        if not path.exists():
            raise CommandError(f"no tariff file at {path}")
        years = set(options["fiscal_year"]) if options["fiscal_year"] else None
        try:
            report = tariffs_load(path=path, fiscal_years=years, check_only=options["check"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"tariffs {'checked' if options['check'] else 'loaded'}: {report}")
        if report.missing:
            raise CommandError(f"rules the catalogue uses but the file lacks: {', '.join(report.missing)}")
