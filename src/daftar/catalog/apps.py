from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "daftar.catalog"
    label = "catalog"
    verbose_name = _("Service catalogue")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import ServiceCategory, ServiceType, ServiceVersion
        from .selectors import version_memo

        for model in (ServiceCategory, ServiceType, ServiceVersion):
            post_save.connect(version_memo.clear, sender=model, dispatch_uid=f"version_memo_{model.__name__}")
            post_delete.connect(
                version_memo.clear, sender=model, dispatch_uid=f"version_memo_d_{model.__name__}"
            )
