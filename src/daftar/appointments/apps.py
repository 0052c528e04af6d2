from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "daftar.appointments"
    label = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from daftar.offices.signals import day_closed, day_hours_changed, office_status_changed

        from . import receivers

        day_closed.connect(receivers.on_day_closed, dispatch_uid="appointments.on_day_closed")
        day_hours_changed.connect(
            receivers.on_day_hours_changed, dispatch_uid="appointments.on_day_hours_changed"
        )
        office_status_changed.connect(
            receivers.on_office_status_changed, dispatch_uid="appointments.on_office_status_changed"
        )
