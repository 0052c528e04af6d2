from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "daftar.fees"
    label = "fees"
    verbose_name = _("Municipal fees and tolls")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers record contexts, the clearance guard and the paid-bill hook
