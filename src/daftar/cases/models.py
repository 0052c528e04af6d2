"""Case files (پرونده) and their append-only timeline."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person
from daftar.catalog.models import Channel, ServiceCategory, ServiceType, ServiceVersion
from daftar.offices.models import City, Office, Zone


class Outcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Case(models.Model):
    """A case file of one service version, filed by an applicant at an office or online."""

    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    service_version = models.ForeignKey(ServiceVersion, on_delete=models.PROTECT, related_name="cases")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="cases")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="cases")
    department = models.CharField(_("department"), max_length=48)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="cases")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="cases", null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_cases"
    )
    # NULL, not "", when absent: the unique (filer, key) constraint must ignore cases without a key.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)  # noqa: DJ001
    data = models.JSONField(_("intake data"), default=dict)
    # Record links the service names (property renewal code, vehicle plate, business licence).
    links = models.JSONField(_("record links"), default=dict, blank=True)
    renewal_code = models.CharField(_("renewal code"), max_length=40, blank=True, db_index=True)
    applicant_name = models.CharField(
        _("applicant name"), max_length=200, blank=True
    )  # normalised, for search
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.TextField(_("address"), blank=True)
    zone = models.ForeignKey(Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases")

    state = models.CharField(_("state"), max_length=48)
    state_entered_at = models.DateTimeField(default=timezone.now)
    return_state = models.CharField(max_length=48, blank=True)  # where correction/suspension returns to
    # "|role|role|": the roles whose inbox shows the case now (denormalised for the inbox query).
    waiting_on = models.CharField(max_length=300, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency: bumped by every act

    due_date = models.DateField(_("overall due date"), null=True, blank=True)
    state_due_date = models.DateField(_("state due date"), null=True, blank=True)
    paused_on = models.DateField(null=True, blank=True)  # the clock stopped on this day
    return_state_due_date = models.DateField(null=True, blank=True)  # the interrupted state's deadline
    overdue = models.BooleanField(default=False)
    escalated = models.BooleanField(default=False)

    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    rating_comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["filed_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="case_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="case_rating_range"
            ),
            models.CheckConstraint(
                condition=Q(channel="online") | Q(office__isnull=False), name="case_office_channel_has_office"
            ),
        ]
        indexes = [
            # The inbox's scopes in the inbox's order, open cases only: the first page is read off the
            # index in order, however many cases the city has, and its capped count never visits the
            # table (what it filters on is in the index; PostgreSQL) (docs/performance.md).
            models.Index(
                fields=["city", "-overdue", "-escalated", "state_due_date", "created_at"],
                include=["waiting_on", "department"],
                condition=models.Q(closed_at__isnull=True),
                name="case_inbox_city_open",
            ),
            models.Index(
                fields=["office", "-overdue", "-escalated", "state_due_date", "created_at"],
                include=["waiting_on", "department"],
                condition=models.Q(closed_at__isnull=True),
                name="case_inbox_office_open",
            ),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant"),
            # Search within a scope, newest first (a common name matches early in this order; a rare
            # one is found through the trigram index on PostgreSQL, migration 0004).
            models.Index(fields=["city", "-created_at"], name="case_city_newest"),
            models.Index(fields=["office", "-created_at"], name="case_office_newest"),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_paused(self) -> bool:
        return self.paused_on is not None


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    ACTION = "action", _("Action")
    AUTO = "auto", _("Automatic transition")
    DOCUMENT = "document", _("Document")
    NOTE = "note", _("Note")
    OVERDUE = "overdue", _("Overdue")
    OUTPUT = "output", _("Output issued")
    RATED = "rated", _("Rated")


class AppendOnlyError(Exception):
    pass


class CaseEvent(models.Model):
    """One entry of a case's timeline. Append-only: never changed, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    action = models.CharField(max_length=48, blank=True)
    from_state = models.CharField(max_length=48, blank=True)
    to_state = models.CharField(max_length=48, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="case_events"
    )
    actor_role = models.CharField(max_length=32, blank=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    public = models.BooleanField(_("visible to the citizen"), default=True)
    message = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("case events are append-only")
