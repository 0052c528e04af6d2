from django.apps import AppConfig


class SandboxBankConfig(AppConfig):
    name = "daftar.simulators.bank"
    label = "sandbox_bank"
    verbose_name = "Sandbox bank"
