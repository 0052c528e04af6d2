"""Open311 GeoReport v2 clients, their keys, and what each request filed through the API carried.

A client application (a civic reporting app, a city's own 137 app) files requests as itself: it has a
system ``User`` and a ``Person`` standing for the application, so every request it files is an
ordinary online case whose applicant is the application. The reporter's own details (name, email,
phone, device) are kept privately on ``Open311Request`` beside the case and never shown by the
public GETs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person
from daftar.cases.models import Case
from daftar.catalog.models import ServiceVersion
from daftar.offices.models import City


class Open311Client(models.Model):
    """An application allowed to file service requests (POST requests)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="open311_client", editable=False
    )
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="open311_client", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Open311Key(models.Model):
    """An API key of a client: stored as a hash, shown once, revocable; several may be live (rotation)."""

    client = models.ForeignKey(Open311Client, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")
        ordering = ["client", "created_at"]

    def __str__(self) -> str:
        return f"{self.client.name}:{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be filed")
    FILED = "filed", _("Filed as a case")
    FAILED = "failed", _("Could not be filed")


class Open311Request(models.Model):
    """What a client sent with one service request: the case it became (at once, or later for a
    deferred service, found by its token) and the reporter's private details."""

    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="requests")
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    service_version = models.ForeignKey(ServiceVersion, on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="open311_request"
    )
    status = models.CharField(_("status"), max_length=8, choices=RequestStatus.choices)
    # Deferred services answer with this token; GET tokens/{token} gives the request's id once filed.
    token = models.CharField(max_length=40, unique=True, null=True, blank=True)
    # The client's Idempotency-Key header: the same key again returns the same request.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # The validated intake answers and the location, kept until a deferred request is filed.
    data = models.JSONField(default=dict, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address_string = models.TextField(_("address"), blank=True)
    address_id = models.CharField(_("address ID"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    # The reporter: private, never in a public answer.
    email = models.EmailField(_("email"), blank=True)
    device_id = models.CharField(_("device ID"), max_length=200, blank=True)
    account_id = models.CharField(_("account ID"), max_length=200, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    error = models.TextField(_("why it could not be filed"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    filed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="open311_request_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=~Q(status="filed") | Q(case__isnull=False), name="open311_request_filed_has_case"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="open311_request_pending")]

    def __str__(self) -> str:
        return self.token or (self.case.tracking_code if self.case_id and self.case else str(self.pk))
