from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "daftar.licensing"
    label = "licensing"
    verbose_name = _("Office licensing and supervision")

    def ready(self) -> None:
        from . import rules, violations  # noqa: F401 - guards, effects and the violation catalogue loader
