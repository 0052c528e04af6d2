"""An outbox message: one piece of work that crosses a network, kept until it is delivered."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead")


class OutboxMessage(models.Model):
    kind = models.CharField(_("kind"), max_length=64, help_text=_("The handler that delivers it."))
    payload = models.JSONField(_("payload"), default=dict)
    # The same on every retry; webhooks send it as X-Daftar-Delivery so receivers can drop repeats.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # A worker's lease: while in the future, no other worker takes the message.
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_state_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"
