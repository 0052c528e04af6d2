"""Routing rules: which department and/or person takes a new complaint or citizen report.

Rules are data, per city, in order: the first active rule whose conditions all hold wins (see
``daftar.complaints.routing``). An empty condition matches anything.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from daftar.core.i18n import is_english
from daftar.offices.models import City, Zone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEPARTMENT_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")

WEEKDAY_LABELS: dict[int, Promise] = {
    0: _("Monday"),
    1: _("Tuesday"),
    2: _("Wednesday"),
    3: _("Thursday"),
    4: _("Friday"),
    5: _("Saturday"),
    6: _("Sunday"),
}
# Python weekday numbers in the order of the Persian week, which starts on Saturday.
PERSIAN_WEEK = (5, 6, 0, 1, 2, 3, 4)


class RoutingRule(models.Model):
    """One routing rule of a city: conditions (services, districts, weekdays, a time window) and an
    outcome (a department and/or a person). Empty conditions match everything."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="routing_rules")
    position = models.PositiveIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=200)
    # Service type codes (e.g. "report.street_light"); empty: every complaint and report service.
    service_codes = models.JSONField(_("services"), default=list, blank=True)
    zones = models.ManyToManyField(Zone, verbose_name=_("districts"), related_name="+", blank=True)
    # Python weekday numbers (Monday=0 … Sunday=6) of the local date; empty: every day.
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)
    # Local time of the city; from inclusive, until exclusive; may wrap past midnight (22:00–06:00).
    time_from = models.TimeField(_("from (local time)"), null=True, blank=True)
    time_until = models.TimeField(_("until (local time)"), null=True, blank=True)
    department = models.CharField(_("department"), max_length=48, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routing_rules",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["city", "position", "pk"]
        indexes = [models.Index(fields=["city", "is_active", "position"], name="routing_rule_order")]
        constraints = [
            models.CheckConstraint(condition=Q(position__gte=1), name="routing_rule_position_positive"),
            models.CheckConstraint(
                condition=~Q(department="") | Q(assignee__isnull=False), name="routing_rule_has_outcome"
            ),
            models.CheckConstraint(
                condition=Q(time_from__isnull=True, time_until__isnull=True)
                | (
                    Q(time_from__isnull=False, time_until__isnull=False)
                    & ~Q(time_from=models.F("time_until"))
                ),
                name="routing_rule_time_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # --- the rule's own invariants (what needs no other table) -----------------------------------

    def own_problems(self) -> dict[str, list[StrOrPromise]]:
        """What is wrong with the rule's own fields, by field name (empty when nothing is)."""
        problems: dict[str, list[StrOrPromise]] = {}

        def add(field: str, message: StrOrPromise) -> None:
            problems.setdefault(field, []).append(message)

        if not (self.name or "").strip():
            add("name", _("Give the rule a name."))
        if not isinstance(self.service_codes, list) or not all(
            isinstance(code, str) and code for code in self.service_codes
        ):
            add("service_codes", _("Services are given as a list of service codes."))
        if not isinstance(self.weekdays, list) or not all(
            isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6 for day in self.weekdays
        ):
            add("weekdays", _("Weekdays are numbers from 0 (Monday) to 6 (Sunday)."))
        if (self.time_from is None) != (self.time_until is None):
            field = "time_until" if self.time_until is None else "time_from"
            add(field, _("Give both the start and the end of the time window, or neither."))
        elif self.time_from is not None and self.time_from == self.time_until:
            add("time_until", _("The time window cannot start and end at the same time."))
        if self.department and not DEPARTMENT_PATTERN.match(self.department):
            add(
                "department",
                _("A department code is lowercase Latin letters, digits and underscores (urban_services)."),
            )
        if not self.department and self.assignee_id is None:
            add("department", _("Route to a department, a person, or both."))
        return problems

    def clean(self) -> None:
        super().clean()
        if problems := self.own_problems():
            raise ValidationError({field: list(messages) for field, messages in problems.items()})

    # --- matching (pure; the zones are the caller's) ---------------------------------------------

    def matches_time(self, local: datetime) -> bool:
        """Whether a local (city time) moment falls on the rule's weekdays and in its time window.

        The weekday is that of the local date of the moment itself, also inside a window that wraps
        past midnight (Friday 02:00 is on Friday).
        """
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        return in_window(local.time(), self.time_from, self.time_until)

    def matches_zone(self, zone_id: int | None, zone_ids: set[int]) -> bool:
        """No districts: any case. Otherwise the case's district must be one of them; a case
        without a district (an address-only report) matches only rules without districts."""
        if not zone_ids:
            return True
        return zone_id is not None and zone_id in zone_ids

    def matches_service(self, code: str) -> bool:
        return not self.service_codes or code in self.service_codes


def in_window(moment: time, start: time | None, end: time | None) -> bool:
    """``start <= moment < end``; a window whose end is before its start wraps past midnight."""
    if start is None or end is None:
        return True
    clock = moment.replace(tzinfo=None)
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def weekdays_label(days: Any) -> str:
    """The weekdays in Persian week order, named in the active language."""
    chosen = set(days or [])
    return (", " if is_english() else "، ").join(
        str(WEEKDAY_LABELS[day]) for day in PERSIAN_WEEK if day in chosen
    )
