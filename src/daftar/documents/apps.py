from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "daftar.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers the documents_uploaded and documents_verified guards
