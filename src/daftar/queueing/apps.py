from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueingConfig(AppConfig):
    name = "daftar.queueing"
    label = "queueing"
    verbose_name = _("Counter queue")

    def ready(self) -> None:
        from . import checks, loaders  # noqa: F401 - the queue groups' system check and catalogue loader
