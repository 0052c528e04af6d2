from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "daftar.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import rules  # noqa: F401 - registers guards, effects, loaders and the bill-paid hook
        from .ledger import account_memo
        from .models import Account, FeeRule, FiscalPolicy, OfficeTariff
        from .tariffs import tariff_memo

        for model in (FeeRule, OfficeTariff, FiscalPolicy):
            post_save.connect(tariff_memo.clear, sender=model, dispatch_uid=f"tariff_memo_{model.__name__}")
            post_delete.connect(
                tariff_memo.clear, sender=model, dispatch_uid=f"tariff_memo_d_{model.__name__}"
            )
        post_delete.connect(account_memo.clear, sender=Account, dispatch_uid="account_memo")
