"""The counter queue of an office: numbered tickets per group and local day, and their numbering."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.offices.models import Office


class TicketKind(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    BOOKING = "booking", _("Booking")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("Being served")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("Did not come")


class TicketSequence(models.Model):
    """The last number given in one group of one office on one local day.

    Issuing a ticket bumps ``last`` with an UPDATE (F() + 1) inside the issuing transaction, so
    concurrent kiosks queue on this row and never share a number; the unique constraint on
    Ticket is the backstop.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    group = models.CharField(max_length=32)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "group"], name="ticket_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.group}: {self.last}"


class Ticket(models.Model):
    """One place in an office's queue on one local day: a walk-in or a checked-in booking."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="queue_tickets")
    day = models.DateField(_("day"))  # the office's local date when the ticket was issued
    group = models.CharField(_("queue group"), max_length=32)
    number = models.PositiveIntegerField(_("number"))
    label = models.CharField(_("ticket"), max_length=16)  # "B-012"
    kind = models.CharField(_("kind"), max_length=8, choices=TicketKind.choices)
    # A booking's code (blank for walk-ins); never shown on the public display.
    reference = models.CharField(_("reference"), max_length=32, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)  # a booking's slot start
    status = models.CharField(
        _("status"), max_length=8, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    counter = models.PositiveSmallIntegerField(_("counter"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)  # the first call: waits
    announced_at = models.DateTimeField(null=True, blank=True)  # the latest call or recall: display
    started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        ordering = ["day", "issued_at", "pk"]
        indexes = [models.Index(fields=["office", "day", "status"], name="ticket_office_day_status")]
        constraints = [
            models.UniqueConstraint(fields=["office", "group", "day", "number"], name="ticket_unique_number"),
            # One ticket per booking and day: a repeated check-in finds the first one.
            models.UniqueConstraint(
                fields=["office", "day", "reference"],
                condition=Q(kind="booking"),
                name="ticket_unique_booking_reference",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="ticket_number_positive"),
            models.CheckConstraint(
                condition=Q(kind="booking") & ~Q(reference="") | Q(kind="walk_in", reference="", due_at=None),
                name="ticket_reference_only_for_bookings",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting")
                | Q(counter__gte=1, called_at__isnull=False, announced_at__isnull=False),
                name="ticket_called_has_counter",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["serving", "done"]) | Q(started_at__isnull=False),
                name="ticket_served_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["done", "no_show"]) | Q(finished_at__isnull=False),
                name="ticket_closed_has_finish",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_open(self) -> bool:
        """Still in the queue or at a counter."""
        return self.status in (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
