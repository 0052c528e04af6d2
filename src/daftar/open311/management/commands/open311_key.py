"""Open311 client applications and their API keys. The key is printed once, when it is made.

manage.py open311_key NAME        a new client NAME and its key (or another key for NAME)
manage.py open311_key --list      clients and their keys (prefixes only)
manage.py open311_key --revoke PREFIX
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.core.errors import DomainError
from daftar.core.text import normalize_persian
from daftar.open311.models import Open311Client, Open311Key
from daftar.open311.services import open311_client_create, open311_key_create, open311_key_revoke


class Command(BaseCommand):
    help = "Open311 API keys: NAME creates a client (or a new key for it) | --list | --revoke PREFIX"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="the client application's name")
        parser.add_argument("--list", action="store_true", help="list clients and their keys")
        parser.add_argument("--revoke", metavar="PREFIX", help="revoke the key with this prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["list"]:
                self._list()
            elif options["revoke"]:
                key = Open311Key.objects.select_related("client").filter(prefix=options["revoke"]).first()
                if key is None:
                    raise CommandError("no key with this prefix")
                open311_key_revoke(key=key)
                self.stdout.write(f"revoked {key.prefix} ({key.client.name})")
            elif options["name"]:
                client = Open311Client.objects.filter(name=normalize_persian(options["name"])).first()
                issued = (
                    open311_key_create(client=client)
                    if client
                    else open311_client_create(name=options["name"])
                )
                self.stdout.write(issued.secret)
            else:
                raise CommandError("give a client NAME, --list or --revoke PREFIX")
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _list(self) -> None:
        for client in Open311Client.objects.prefetch_related("keys").order_by("name"):
            self.stdout.write(client.name)
            for key in client.keys.all():
                state = "revoked" if key.revoked_at else "live"
                self.stdout.write(f"  {key.prefix}  {state}  last used: {key.last_used_at or '-'}")
