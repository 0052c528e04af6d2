"""The sandbox bank's own record of each payment, as a real gateway keeps on its side."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class SandboxState(models.TextChoices):
    CREATED = "created", "created"  # registered by the merchant; the payer is (or may be) at the bank
    DEBITED = "debited", "debited"  # the payer's card was charged
    CANCELLED = "cancelled", "cancelled"  # the payer gave up; nothing was charged
    TIMED_OUT = "timed_out", "timed out"  # the bank's session ran out; nothing was charged


class SandboxPayment(models.Model):
    authority = models.CharField(max_length=64, unique=True)  # the bank's token, given to the merchant
    order_id = models.CharField(max_length=40)  # the merchant's order number
    amount = models.BigIntegerField()  # rials the merchant asked for
    callback_url = models.CharField(max_length=500)
    description = models.CharField(max_length=255, blank=True)
    mobile = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=10, choices=SandboxState.choices, default=SandboxState.CREATED)
    debited_amount = models.BigIntegerField(null=True, blank=True)  # what was charged, when debited
    verified = models.BooleanField(default=False)  # the merchant confirmed it (verify)
    reference = models.CharField(max_length=12, blank=True)  # RRN: 12 digits, when debited
    card_mask = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(state="debited", debited_amount__gt=0)
                | (~Q(state="debited") & Q(debited_amount__isnull=True)),
                name="sandbox_payment_debit_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} ({self.state})"
