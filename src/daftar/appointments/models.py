"""Appointments: how many counters serve a category, bookings of slots, and the per-slot counter.

The counter row (``SlotUsage``) is what makes overbooking impossible: a place is taken by one
conditional UPDATE (``booked < capacity``) and a check constraint keeps ``booked`` within bounds,
so two requests racing for the last place cannot both win, on any database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from daftar.accounts.models import Person
from daftar.catalog.models import ServiceCategory, ServiceType
from daftar.offices.models import Office

# The booking code's alphabet: no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B that are misread on a phone.
CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 8


class OfficeServiceDesk(models.Model):
    """How many counters serve one service category at an office (absent: all the office's counters).

    Zero counters means the office takes no appointments for that category.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="service_desks")
    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="service_desks")
    counters = models.PositiveSmallIntegerField(_("counters"))

    class Meta:
        verbose_name = _("counters per service category")
        verbose_name_plural = _("counters per service category")
        ordering = ["office", "category"]
        constraints = [
            models.UniqueConstraint(fields=["office", "category"], name="service_desk_unique_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}:{self.category_id} × {self.counters}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", pgettext_lazy("booking status", "Booked")
    CANCELLED = "cancelled", pgettext_lazy("booking status", "Cancelled")
    CHECKED_IN = "checked_in", pgettext_lazy("booking status", "Checked in")
    NO_SHOW = "no_show", pgettext_lazy("booking status", "Did not come")
    SERVED = "served", pgettext_lazy("booking status", "Served")


# A booking that still holds its place.
ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)


class BookingChannel(models.TextChoices):
    ONLINE = "online", pgettext_lazy("booking channel", "Online")
    OFFICE = "office", pgettext_lazy("booking channel", "At the office")
    API = "api", pgettext_lazy("booking channel", "API")


class Booking(models.Model):
    """A person's appointment for one service at one office in one slot."""

    code = models.CharField(_("booking code"), max_length=CODE_LENGTH, unique=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="bookings")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="bookings")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    day = models.DateField(_("day"), db_index=True)  # local date of starts_at in the office's city
    status = models.CharField(
        _("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    channel = models.CharField(_("channel"), max_length=8, choices=BookingChannel.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_made"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "service_type", "day"],
                condition=Q(status__in=[s.value for s in ACTIVE_STATUSES]),
                name="booking_one_active_per_person_service_day",
            ),
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="booking_starts_before_end"),
        ]
        indexes = [
            models.Index(fields=["office", "day"]),
            models.Index(fields=["status", "ends_at"]),
            models.Index(fields=["person", "status", "day"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class SlotUsage(models.Model):
    """How many places of one slot (office, category, start) are taken, out of how many."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="slot_usages")
    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="slot_usages")
    starts_at = models.DateTimeField(_("starts at"))
    booked = models.PositiveIntegerField(_("booked"), default=0)
    capacity = models.PositiveIntegerField(_("capacity"))

    class Meta:
        verbose_name = _("slot usage")
        verbose_name_plural = _("slot usage")
        ordering = ["office", "starts_at", "category"]
        constraints = [
            models.UniqueConstraint(fields=["office", "category", "starts_at"], name="slot_usage_unique"),
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")), name="slot_usage_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.office_id}:{self.category_id}@{self.starts_at:%Y-%m-%d %H:%M}"
            f" {self.booked}/{self.capacity}"
        )
