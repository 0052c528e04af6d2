"""Create or update one Django group per staff role with exactly that role's permissions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from daftar.accounts.services import roles_sync


class Command(BaseCommand):
    help = "Synchronise the staff roles (groups and their permissions) with accounts/roles.py."

    def handle(self, *args: Any, **options: Any) -> None:
        groups = roles_sync()
        self.stdout.write(f"{len(groups)} roles in place")
