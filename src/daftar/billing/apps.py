from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "daftar.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers guards, effects, loaders and the bill-paid hook
