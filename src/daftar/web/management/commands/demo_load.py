"""Load the demo city: Tehran's districts and offices, the service families, holidays, and one
demo account per staff role plus a demo citizen. Idempotent: running it again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.web.demo import DEMO_PASSWORD_ENV, demo_load


class Command(BaseCommand):
    help = "Load the demo city (Tehran) with offices, service families and one demo user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load demo accounts even with DEBUG off (never on a real city's server).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "demo_load creates accounts with a published password; it runs only with DEBUG on."
            )
        root = Path(settings.PROJECT_DIR)
        summary = demo_load(
            city_file=root / "catalog" / "demo" / "tehran.yaml",
            catalog_dir=Path(settings.DAFTAR_CATALOG_DIR),
        )
        self.stdout.write(self.style.SUCCESS(f"Demo city ready: {summary}"))
        self.stdout.write(f"Staff password for every demo account: see {DEMO_PASSWORD_ENV} in README.md")
