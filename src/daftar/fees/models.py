"""The municipality's registers of charged objects: properties, businesses and vehicles, and the
checkpoints of annual billing runs.

Keys are stored in one normalised spelling (Latin digits): a property by its renewal code
(کد نوسازی), a business by its licence number, a vehicle by its plate, each unique per city. Bills
name their subject by the same key (``Bill.subject_kind`` / ``subject_key``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.billing.models import SubjectKind
from daftar.offices.models import City, Zone


class PropertyUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    ADMINISTRATIVE = "administrative", _("Administrative")
    INDUSTRIAL = "industrial", _("Industrial")
    OTHER = "other", _("Other use")


class VehicleType(models.TextChoices):
    CAR = "car", _("Passenger car")
    MOTORCYCLE = "motorcycle", _("Motorcycle")
    VAN = "van", _("Van or pickup")
    TRUCK = "truck", _("Truck")
    BUS = "bus", _("Bus or minibus")


class Record(models.Model):
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        abstract = True


class Property(Record):
    """A plot or unit on the municipality's renewal register (ملک)."""

    renewal_code = models.CharField(_("renewal code"), max_length=40)
    zone = models.ForeignKey(
        Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    area_m2 = models.PositiveIntegerField(_("land area (m²)"))
    built_area_m2 = models.PositiveIntegerField(_("built area (m²)"), default=0)
    use = models.CharField(_("use"), max_length=16, choices=PropertyUse.choices)

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        ordering = ["city", "renewal_code"]
        constraints = [
            models.UniqueConstraint(fields=["city", "renewal_code"], name="property_unique_renewal_code")
        ]

    def __str__(self) -> str:
        return self.renewal_code


class PropertyOwner(models.Model):
    """One owner's share of a property; the owner with the largest share receives the bills."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="owners")
    # A person's national code (10 digits) or a legal entity's national ID (11 digits).
    national_code = models.CharField(_("national code / national ID"), max_length=11, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    share_percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2, default=100)

    class Meta:
        verbose_name = _("property owner")
        verbose_name_plural = _("property owners")
        ordering = ["property", "-share_percent", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lte=100), name="owner_share_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.share_percent}%)"


class Business(Record):
    """A licensed business (واحد صنفی) and its premises."""

    licence_number = models.CharField(_("licence number"), max_length=20)
    name = models.CharField(_("business name"), max_length=200)
    guild_code = models.CharField(_("guild code"), max_length=16)
    guild_name = models.CharField(_("guild"), max_length=100, blank=True)
    owner_national_code = models.CharField(_("owner's national code"), max_length=11, db_index=True)
    owner_name = models.CharField(_("owner's name"), max_length=200)
    renewal_code = models.CharField(_("renewal code of the premises"), max_length=40, blank=True)
    zone = models.ForeignKey(
        Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    area_m2 = models.PositiveIntegerField(_("area (m²)"))
    licence_valid_until = models.DateField(_("licence valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["city", "licence_number"]
        constraints = [
            models.UniqueConstraint(fields=["city", "licence_number"], name="business_unique_licence")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.licence_number})"


class Vehicle(Record):
    """A vehicle registered in the city, by its plate."""

    plate = models.CharField(_("plate"), max_length=16)
    vehicle_type = models.CharField(_("vehicle type"), max_length=12, choices=VehicleType.choices)
    model_year = models.PositiveSmallIntegerField(_("model year (Jalali)"))
    vin = models.CharField(_("chassis number (VIN)"), max_length=25, blank=True)
    owner_national_code = models.CharField(_("owner's national code"), max_length=11, db_index=True)
    owner_name = models.CharField(_("owner's name"), max_length=200)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["city", "plate"]
        constraints = [models.UniqueConstraint(fields=["city", "plate"], name="vehicle_unique_plate")]

    def __str__(self) -> str:
        return self.plate


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class BillingRun(models.Model):
    """Where annual billing of one kind of record for one city and year has got to.

    ``last_pk`` is the checkpoint: every record with a smaller or equal key has been billed (or
    skipped), committed in the same transaction as its bills. A run that stopped part-way resumes
    after it; a finished run started again goes over every record and bills only the new ones.
    """

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    kind = models.CharField(_("records"), max_length=10, choices=SubjectKind.choices)
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    last_pk = models.BigIntegerField(_("checkpoint"), default=0)
    billed = models.PositiveIntegerField(_("billed"), default=0)
    skipped_existing = models.PositiveIntegerField(_("already billed"), default=0)
    nothing_due = models.PositiveIntegerField(_("nothing due"), default=0)
    carried = models.PositiveIntegerField(_("older bills carried"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("annual billing run")
        verbose_name_plural = _("annual billing runs")
        ordering = ["-fiscal_year", "city", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["city", "fiscal_year", "kind"], name="billing_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.fiscal_year}/{self.kind}"
