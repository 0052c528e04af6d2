from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "daftar.complaints"
    label = "complaints"
    verbose_name = _("Complaints and citizen reports")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - routes each new report or complaint by the routing rules
