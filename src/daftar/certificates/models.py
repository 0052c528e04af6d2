"""Issued outputs (certificates, permits, licences, receipts, answers), signed with Ed25519."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case


class Certificate(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="certificates")
    # Public, unguessable number printed on the document and in the QR code's link.
    number = models.CharField(_("certificate number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=16)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    # The canonical payload that was signed (sorted-key compact JSON, UTF-8), kept byte-exact.
    payload = models.TextField()
    signature = models.CharField(max_length=100)  # base64url Ed25519 signature over payload
    key_id = models.CharField(max_length=32)
    pdf = models.FileField(upload_to="certificates/", max_length=200, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        constraints = [
            # One certificate of a kind per case, unless the earlier one was revoked.
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(revoked_at__isnull=True),
                name="certificate_one_live_per_case_kind",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
