"""A record of every SMS handed to a provider: what, to whom, when, and what the provider said."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmsStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    to = models.CharField(_("recipient"), max_length=11, db_index=True)
    body = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=32, db_index=True)
    provider = models.CharField(_("provider"), max_length=32)
    status = models.CharField(_("status"), max_length=8, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.to}: {self.purpose}"
