from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from .services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "daftar.accounts"
    label = "accounts"
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        # After every migrate the role groups match accounts/roles.py; roles are data, kept in code.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="daftar.accounts.roles_sync")
