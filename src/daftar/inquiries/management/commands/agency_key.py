"""Make, list and revoke an agency's API keys. A key's secret is printed once, when it is made."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.core.errors import DomainError
from daftar.inquiries.models import Agency, AgencyKey
from daftar.inquiries.services import agency_key_create, agency_key_revoke


class Command(BaseCommand):
    help = "Agency API keys: create AGENCY NAME | list AGENCY | revoke PREFIX"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("agency")
        create.add_argument("name")
        listing = sub.add_parser("list")
        listing.add_argument("agency")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                issued = agency_key_create(agency=self._agency(options["agency"]), name=options["name"])
                self.stdout.write(issued.secret)
            elif options["action"] == "list":
                for key in AgencyKey.objects.filter(agency=self._agency(options["agency"])).order_by(
                    "created_at"
                ):
                    state = "revoked" if key.revoked_at else "live"
                    self.stdout.write(
                        f"{key.prefix}  {state}  {key.name}  last used: {key.last_used_at or '-'}"
                    )
            else:
                found = AgencyKey.objects.filter(prefix=options["prefix"]).first()
                if found is None:
                    raise CommandError("no key with this prefix")
                agency_key_revoke(key=found)
                self.stdout.write(f"revoked {found.prefix}")
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _agency(self, code: str) -> Agency:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise CommandError(f"no agency {code!r} (load the catalogue first)")
        return agency
