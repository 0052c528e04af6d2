"""Create, list and revoke API tokens: `manage.py api_token create USERNAME NAME [--days N]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from daftar.accounts.models import ApiToken, User
from daftar.accounts.services import api_token_create, api_token_revoke
from daftar.core.errors import DomainError


class Command(BaseCommand):
    help = "Manage API tokens for staff and integrations. The secret is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token")
        create.add_argument("username")
        create.add_argument("name")
        create.add_argument("--days", type=int, default=None, help="expire after this many days")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"no token with prefix {options['prefix']!r}")
            api_token_revoke(token=token)
            self.stdout.write(f"revoked {token.prefix}")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if action == "list":
            for token in user.api_tokens.order_by("created_at"):
                state = "active" if token.is_active else "inactive"
                self.stdout.write(f"{token.prefix}\t{token.name}\t{state}\t{token.created_at:%Y-%m-%d}")
            return
        try:
            issued = api_token_create(user=user, name=options["name"], expires_in_days=options["days"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(issued.secret)
