from django.apps import AppConfig


class SandboxBankConfig(AppConfig):
    name = "daftar.simulators.bank"
    label = "sandbox_bank"
    verbose_name = "Sandbox bank"

    def ready(self) -> None:
        # Importing the adapter registers it in billing's gateway_classes as "sandbox".
        from . import gateway  # noqa: F401
