from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "daftar.cases"
    label = "cases"
    verbose_name = _("Case files")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers the engine's guards and effects
