from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InquiriesConfig(AppConfig):
    name = "daftar.inquiries"
    label = "inquiries"
    verbose_name = _("Inquiries")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers guards, effects, loaders and webhook secrets
