"""Check that a city's books balance and match its bills, payments and refunds.

    manage.py ledger_check --city tehran

Prints the figures compared and every problem found (see ``daftar.billing.audit`` for the
identities); the exit code is 1 when there is any problem.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.billing.audit import ledger_audit
from daftar.offices.models import City


class Command(BaseCommand):
    help = "Audit a city's ledger against its bills and payments; exit code 1 when anything is off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="city code, e.g. tehran")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(code=options["city"]).first()
        if city is None:
            raise CommandError(f"no city {options['city']!r}")
        report = ledger_audit(city=city)
        width = max((len(name) for name in report.figures), default=0)
        for name, value in report.figures.items():
            self.stdout.write(f"{name.ljust(width)}  {value:>20,}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"{city.code}: the ledger balances and matches the bills."))
            return
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        raise CommandError(f"{city.code}: {len(report.problems)} problem(s) found", returncode=1)
