"""The service catalogue: service families (categories), service types and their versions.

A service is data: its intake form, documents, fees, inquiries, workflow and output are stored on
an immutable published version that every case filed under it pins."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.core.i18n import is_english, pick


class ServiceCategory(models.Model):
    code = models.SlugField(_("code"), max_length=48, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_fa = models.CharField(_("name (Persian)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_fa = models.TextField(_("description (Persian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    icon = models.CharField(_("icon"), max_length=32, blank=True)
    department = models.CharField(_("department"), max_length=48, blank=True)
    examples_fa = models.JSONField(_("example services (Persian)"), default=list, blank=True)
    examples_en = models.JSONField(_("example services (English)"), default=list, blank=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name_fa

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)

    @property
    def description(self) -> str:
        return pick(self.description_fa, self.description_en)

    @property
    def examples(self) -> list[str]:
        chosen = self.examples_en if is_english() and self.examples_en else self.examples_fa
        return list(chosen)


class Channel(models.TextChoices):
    OFFICE = "office", _("At an office counter")
    ONLINE = "online", _("Online")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ServiceType(models.Model):
    """A service a citizen can file for. Its content lives in numbered versions."""

    code = models.CharField(_("code"), max_length=80, unique=True)
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="service_types")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["category__position", "code"]

    def __str__(self) -> str:
        return self.code


class ServiceVersion(models.Model):
    """One version of a service type. Published versions are immutable and never overlap in time;
    a case pins the version it was filed under."""

    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=VersionStatus.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    name_fa = models.CharField(_("name (Persian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_fa = models.TextField(_("description (Persian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    department = models.CharField(_("department"), max_length=48)
    channels = models.JSONField(_("channels"), default=list)
    sla_working_days = models.PositiveSmallIntegerField(_("overall deadline (working days)"))
    location = models.CharField(_("location"), max_length=20, default="none")
    links = models.JSONField(_("record links"), default=dict, blank=True)
    intake_schema = models.JSONField(_("intake schema"))
    documents = models.JSONField(_("required documents"), default=list, blank=True)
    fees = models.JSONField(_("fee rules"), default=list, blank=True)
    inquiries = models.JSONField(_("inquiries"), default=list, blank=True)
    output = models.JSONField(_("output"), default=dict, blank=True)
    # Named guards checked in the filing transaction (e.g. an open call for applications): a failing
    # one refuses the filing with its reason.
    filing_guards = models.JSONField(_("filing checks"), default=list, blank=True)
    # Parameters of the service's rules, by rule name (pass marks, required items …): data, versioned.
    parameters = models.JSONField(_("rule parameters"), default=dict, blank=True)
    # How the service appears to Open311 GeoReport v2 clients ({group, keywords, defer}); empty: not offered.
    open311 = models.JSONField(_("Open311"), default=dict, blank=True)
    # The whole, expanded workflow definition (shared states included), so a case never depends on
    # a template that may change later.
    workflow = models.JSONField(_("workflow"))
    workflow_name = models.CharField(_("workflow template"), max_length=64, blank=True)
    # The author's definition as written (before the shared states were added): what the admin edits.
    workflow_source = models.JSONField(_("workflow definition"), default=dict)
    content_hash = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("service version")
        verbose_name_plural = _("service versions")
        ordering = ["service_type__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "number"], name="service_version_unique_number"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="service_version_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.service_type.code} v{self.number}"

    @property
    def code(self) -> str:
        return self.service_type.code

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)

    @property
    def description(self) -> str:
        return pick(self.description_fa, self.description_en)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
