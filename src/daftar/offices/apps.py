from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "daftar.offices"
    label = "offices"
    verbose_name = _("Cities, districts and offices")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import City, Holiday, Zone
        from .selectors import calendar_memo

        for model in (City, Holiday, Zone):
            post_save.connect(
                calendar_memo.clear, sender=model, dispatch_uid=f"calendar_memo_{model.__name__}"
            )
            post_delete.connect(
                calendar_memo.clear, sender=model, dispatch_uid=f"calendar_memo_d_{model.__name__}"
            )
