"""Cities (municipalities), their districts, offices, working hours and holidays."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.roles import role_label
from daftar.core.i18n import pick
from daftar.core.jalali import local_today


def default_working_weekdays() -> list[int]:
    # Python weekday numbers (Monday=0): Saturday to Thursday; Friday is the weekend.
    return [5, 6, 0, 1, 2, 3]


class City(models.Model):
    """A municipality with its own rules: minimum office area, working week, zones, tariffs later."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_fa = models.CharField(_("name (Persian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Tehran")
    min_office_area_m2 = models.PositiveIntegerField(_("minimum office area (m²)"), default=60)
    working_weekdays = models.JSONField(_("working weekdays"), default=default_working_weekdays)
    center_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    center_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name_fa

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)


class Zone(models.Model):
    """A municipal district (منطقه) with its boundary as a GeoJSON polygon (lon/lat)."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="zones")
    number = models.PositiveSmallIntegerField(_("district number"))
    name = models.CharField(_("name"), max_length=100)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["city", "number"]
        constraints = [models.UniqueConstraint(fields=["city", "number"], name="zone_unique_number_per_city")]

    def __str__(self) -> str:
        return self.name


class LicenceStatus(models.TextChoices):
    PENDING = "pending", _("Pending activation")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Office(models.Model):
    """A licensed e-city service office (دفتر خدمات الکترونیک شهر)."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="offices")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="offices")
    code = models.CharField(_("office code"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    licence_status = models.CharField(
        _("licence status"), max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.PENDING
    )
    address = models.TextField(_("address"))
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    phone = models.CharField(_("telephone"), max_length=20, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    area_m2 = models.PositiveIntegerField(_("useful area (m²)"), null=True, blank=True)
    counters = models.PositiveSmallIntegerField(_("service counters"), default=1)
    # The licence's last valid day (licensing keeps it in step); past it the office cannot serve even
    # before the nightly sweep marks the licence expired.
    licence_valid_until = models.DateField(_("licence valid until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["city", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="office_unique_code_per_city")]
        permissions = [("manage_office_staff", _("Can manage an office's staff"))]

    def __str__(self) -> str:
        return self.name

    @property
    def can_serve(self) -> bool:
        """Only an active, unexpired licence may file cases or take appointments."""
        if self.licence_status != LicenceStatus.ACTIVE:
            return False
        return self.licence_valid_until is None or local_today() <= self.licence_valid_until


class Shift(models.TextChoices):
    MORNING = "morning", _("Morning shift")
    EVENING = "evening", _("Evening shift")


class WeeklyHours(models.Model):
    """One shift on one weekday of an office's approved weekly schedule."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # Python numbering: Monday=0 … Sunday=6
    shift = models.CharField(_("shift"), max_length=8, choices=Shift.choices, default=Shift.MORNING)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")
        ordering = ["office", "weekday", "opens"]
        constraints = [
            models.UniqueConstraint(fields=["office", "weekday", "shift"], name="weekly_hours_one_per_shift"),
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")), name="weekly_hours_opens_before_closes"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}:{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


class HoursOverride(models.Model):
    """Hours that replace the weekly schedule on one date: city-wide (office empty) or for one office.

    A date may carry several rows (two shifts). `closed` marks the whole day closed.
    An office's own rows take precedence over the city's.
    """

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="hours_overrides")
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="hours_overrides", null=True, blank=True
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=False)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("special hours")
        verbose_name_plural = _("special hours")
        ordering = ["date", "opens"]
        indexes = [models.Index(fields=["city", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed=True, opens__isnull=True, closes__isnull=True)
                | Q(closed=False, opens__isnull=False, closes__isnull=False, opens__lt=models.F("closes")),
                name="hours_override_closed_or_valid_span",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"

    def clean(self) -> None:
        if self.office is not None and self.office.city_id != self.city_id:
            raise ValidationError(_("The office does not belong to this city."))
        if not self.closed and (self.opens is None or self.closes is None):
            raise ValidationError(_("Give opening and closing times, or mark the day closed."))


class HolidayKind(models.TextChoices):
    OFFICIAL = "official", _("Official holiday")
    CLOSURE = "closure", _("Closure declared by the city")


class Holiday(models.Model):
    """A day no office works: a national official holiday (city empty) or a city's declared closure."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="holidays", null=True, blank=True)
    date = models.DateField(_("date"), db_index=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=HolidayKind.choices, default=HolidayKind.OFFICIAL
    )
    source = models.CharField(_("source"), max_length=32, default="manual")

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "date", "name"], name="holiday_unique_per_city_date_name"
            ),
            models.UniqueConstraint(
                fields=["date", "name"], condition=Q(city__isnull=True), name="holiday_unique_national"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class StaffAssignment(models.Model):
    """Who acts in which role for which unit: an office role for one office, a municipal role for a city."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=32)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="staff_assignments")
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="staff_assignments", null=True, blank=True
    )
    # A municipal department (e.g. urban_planning, revenue); blank means every department.
    department = models.CharField(_("department"), max_length=48, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "city"],
                condition=Q(office__isnull=True),
                name="staff_assignment_unique_city",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "office"],
                condition=Q(office__isnull=False),
                name="staff_assignment_unique_office",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role}"

    @property
    def role_label(self) -> str:
        return role_label(self.role)
