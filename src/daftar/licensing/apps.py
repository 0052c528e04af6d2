from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "daftar.licensing"
    label = "licensing"
    verbose_name = _("Office licensing and supervision")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers the eligibility guards and the licence effects
