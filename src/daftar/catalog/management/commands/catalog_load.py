"""Load (or just check) the service catalogue from its data files. Idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.catalog.services import catalog_load
from daftar.core.errors import DomainError


class Command(BaseCommand):
    help = "Load the service catalogue (categories, workflows, services) from catalog/*.yaml."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(settings.DAFTAR_CATALOG_DIR), help="the catalogue directory")
        parser.add_argument("--check", action="store_true", help="validate every file and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = catalog_load(directory=Path(options["dir"]), check_only=options["check"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        verb = "checked" if options["check"] else "loaded"
        files = len(report.files)
        self.stdout.write(
            f"catalog: {report.services} services {verb} from {files} files; {report.changed} changed"
        )
