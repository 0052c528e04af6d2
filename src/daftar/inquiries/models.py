"""Inquiries to outside bodies (استعلام): agencies, the inquiry types they answer, inquiries, keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case
from daftar.core.i18n import pick


class AgencyChannel(models.TextChoices):
    PUSH = "push", _("Webhook push")
    PULL = "pull", _("API pull")
    WEB = "web", _("Clerks on Daftar's page")


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=48, unique=True)
    name_fa = models.CharField(_("name (Persian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=AgencyChannel.choices)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    # A shared secret both sides must know to sign and check webhooks (like a payment gateway's).
    webhook_secret = models.CharField(_("webhook secret"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_fa

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)


class InquiryType(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="inquiry_types")
    code = models.SlugField(_("code"), max_length=48)
    name_fa = models.CharField(_("name (Persian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # Intake fields of the case sent with the inquiry (the agency sees nothing else of the case).
    request_fields = models.JSONField(_("fields sent"), default=list, blank=True)
    answer_schema = models.JSONField(_("answer schema"), default=dict)
    documents = models.JSONField(_("documents it may see"), default=list, blank=True)
    sla_working_days = models.PositiveSmallIntegerField(_("deadline (working days)"), default=5)

    class Meta:
        verbose_name = _("inquiry type")
        verbose_name_plural = _("inquiry types")
        ordering = ["agency__code", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="inquiry_type_unique_code")]

    def __str__(self) -> str:
        return f"{self.agency.code}.{self.code}"

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)


class InquiryState(models.TextChoices):
    PENDING = "pending", _("Awaiting answer")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    POSITIVE = "positive", _("No objection")
    NEGATIVE = "negative", _("Objection")
    CONDITIONAL = "conditional", _("Conditional")


class Inquiry(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="inquiries")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="inquiries")
    inquiry_type = models.ForeignKey(InquiryType, on_delete=models.PROTECT, related_name="inquiries")
    step = models.CharField(_("case step"), max_length=48)  # the case state that asked
    state = models.CharField(
        _("state"), max_length=10, choices=InquiryState.choices, default=InquiryState.PENDING
    )
    request = models.JSONField(_("request"), default=dict)  # snapshot of what the agency was sent
    due_date = models.DateField(_("due date"))
    overdue = models.BooleanField(default=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    answer = models.JSONField(_("answer"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    reference = models.CharField(_("agency reference"), max_length=100, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_by_key = models.ForeignKey(
        "AgencyKey", on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["agency", "state", "created_at"], name="inquiry_agency_queue")]
        constraints = [
            # At most one open inquiry of a type per case: re-entering a step never sends it twice.
            models.UniqueConstraint(
                fields=["case", "inquiry_type"],
                condition=Q(state="pending"),
                name="inquiry_one_open_per_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.inquiry_type_id}"


class AgencyKey(models.Model):
    """An agency's API key: stored as a hash, shown once, revocable; several may be live for rotation."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agency key")
        verbose_name_plural = _("agency keys")

    def __str__(self) -> str:
        return f"{self.agency.code}:{self.prefix}"


def inquiry_attachment_path(instance: InquiryAttachment, filename: str) -> str:
    # Never the uploader's file name: a random name under the inquiry, so paths cannot be guessed.
    return f"inquiries/{instance.inquiry_id}/{uuid.uuid4().hex}"


class InquiryAttachment(models.Model):
    """A file sent with an agency's answer (its official letter, a map, a photo): PDF, JPEG or PNG."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=inquiry_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=80)  # detected from the content
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    # A clerk on Daftar's page, or the API key the agency's system used.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_by_key = models.ForeignKey(
        AgencyKey, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )

    class Meta:
        verbose_name = _("inquiry attachment")
        verbose_name_plural = _("inquiry attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.inquiry_id}/{self.original_name}"


class AgencyMembership(models.Model):
    """Which agency an agency clerk (a staff account) works for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_memberships"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members")

    class Meta:
        verbose_name = _("agency clerk")
        verbose_name_plural = _("agency clerks")
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="agency_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.code}"
