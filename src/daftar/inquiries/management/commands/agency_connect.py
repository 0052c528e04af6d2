"""Say how an agency is reached: push (webhook URL), pull (it polls the API) or web (its clerks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.core.errors import DomainError
from daftar.inquiries.models import Agency
from daftar.inquiries.services import agency_connect


class Command(BaseCommand):
    help = "agency_connect AGENCY push URL | pull | web  — prints the webhook secret for push agencies"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency")
        parser.add_argument("channel", choices=["push", "pull", "web"])
        parser.add_argument("url", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"no agency {options['agency']!r} (load the catalogue first)")
        try:
            agency = agency_connect(agency=agency, channel=options["channel"], webhook_url=options["url"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{agency.code}: {agency.channel} {agency.webhook_url}".rstrip())
        if agency.webhook_secret and agency.channel == "push":
            self.stdout.write(f"webhook secret: {agency.webhook_secret}")
