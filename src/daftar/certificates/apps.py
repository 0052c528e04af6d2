from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "daftar.certificates"
    label = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from . import checks, rules  # noqa: F401 - registers the system checks and the issue_certificate effect
