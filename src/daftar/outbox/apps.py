from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "daftar.outbox"
    label = "outbox"
    verbose_name = _("Outbox")

    def ready(self) -> None:
        from . import builtin  # noqa: F401 - registers the sms.send and webhook.post handlers
