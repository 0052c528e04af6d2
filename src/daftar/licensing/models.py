"""Licensing the offices themselves and supervising them.

Calls for applications (فراخوان) with quotas per district; the application (a case of the
``licensing.office_licence`` service) with its exam, interview and site visit; the licence
(پروانه) an approved application yields; and supervision: inspections, violations, graduated
sanctions (تذکر، تعلیق، لغو) with appeals, and activity outside approved hours.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person
from daftar.cases.models import Case
from daftar.certificates.models import Certificate
from daftar.offices.models import City, Office, Zone

USER = settings.AUTH_USER_MODEL


# --- calls for applications ----------------------------------------------------------------------


class ApplicationCall(models.Model):
    """A call for applications (فراخوان): the only window in which a licence may be applied for."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="licence_calls")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="call_opens_before_closes"
            )
        ]
        indexes = [models.Index(fields=["city", "opens_at", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    def is_open_at(self, moment: datetime) -> bool:
        return self.cancelled_at is None and self.opens_at <= moment < self.closes_at


class CallQuota(models.Model):
    """How many offices a call admits in one district. Applications that are still open or were
    approved take a place; a rejected or withdrawn one frees it."""

    call = models.ForeignKey(ApplicationCall, on_delete=models.CASCADE, related_name="quotas")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="licence_quotas")
    places = models.PositiveSmallIntegerField(_("places"))

    class Meta:
        verbose_name = _("district quota")
        verbose_name_plural = _("district quotas")
        ordering = ["call", "zone__number"]
        constraints = [models.UniqueConstraint(fields=["call", "zone"], name="call_quota_one_per_zone")]

    def __str__(self) -> str:
        return f"{self.zone} × {self.places}"


# --- the application -----------------------------------------------------------------------------


class LicenceApplication(models.Model):
    """What licensing keeps about an application case beyond its intake: the call and district it
    takes a place in."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="licence_application")
    call = models.ForeignKey(ApplicationCall, on_delete=models.PROTECT, related_name="applications")
    quota = models.ForeignKey(CallQuota, on_delete=models.PROTECT, related_name="applications")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="licence_applications")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("licence application")
        verbose_name_plural = _("licence applications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.case.tracking_code


class AssessmentKind(models.TextChoices):
    EXAM = "exam", _("Written specialist exam")
    INTERVIEW = "interview", _("Scientific and technical interview")


class Assessment(models.Model):
    """The written exam or the interview of one application: when and where, then the score."""

    application = models.ForeignKey(LicenceApplication, on_delete=models.CASCADE, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=12, choices=AssessmentKind.choices)
    scheduled_at = models.DateTimeField(_("scheduled at"))
    place = models.CharField(_("place"), max_length=200)
    panel = models.CharField(_("examiners"), max_length=300, blank=True)
    scheduled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=2, null=True, blank=True)
    absent = models.BooleanField(_("did not attend"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("exam or interview")
        verbose_name_plural = _("exams and interviews")
        ordering = ["application", "scheduled_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="assessment_one_per_kind"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="assessment_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.kind}"

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None

    @property
    def passed(self) -> bool:
        return (
            self.is_recorded
            and not self.absent
            and self.score is not None
            and self.pass_mark is not None
            and self.score >= self.pass_mark
        )


class BuildingUse(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial")
    ADMINISTRATIVE = "administrative", _("Administrative (office)")
    RESIDENTIAL = "residential", _("Residential")
    OTHER = "other", _("Other")


class SiteVisit(models.Model):
    """The inspector's record of the premises (بازدید میدانی), taken on a phone at the site."""

    application = models.OneToOneField(
        LicenceApplication, on_delete=models.CASCADE, related_name="site_visit"
    )
    inspector = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("visited at"), default=timezone.now)
    measured_area_m2 = models.DecimalField(_("measured useful area (m²)"), max_digits=8, decimal_places=2)
    building_use = models.CharField(_("building use"), max_length=16, choices=BuildingUse.choices)
    # {"has_computers": true, ...}: the same items the application declared, as found.
    equipment = models.JSONField(_("equipment found"), default=dict)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")

    def __str__(self) -> str:
        return f"{self.application}"


def site_photo_path(instance: SiteVisitPhoto, filename: str) -> str:
    return f"site-visits/{instance.visit_id}/{filename}"


class SiteVisitPhoto(models.Model):
    visit = models.ForeignKey(SiteVisit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=site_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("site visit photo")
        verbose_name_plural = _("site visit photos")
        ordering = ["visit", "uploaded_at"]

    def __str__(self) -> str:
        return self.file.name


# --- the licence ---------------------------------------------------------------------------------


class OfficeLicence(models.Model):
    """The licence (مجوز) of one office: its number, holder, validity and the signed certificate.

    The office's ``licence_status`` is what the engine enforces; the licence keeps the history:
    the application that granted it, each renewal's certificate, and a revocation.
    """

    number = models.CharField(_("licence number"), max_length=24, unique=True)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="office_licences")
    office = models.OneToOneField(Office, on_delete=models.PROTECT, related_name="licence")
    holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="office_licences")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="office_licences")
    # Both empty for a licence granted before Daftar and registered from the city's records
    # (``licence_register_existing``): there is no application case and no signed certificate.
    application = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="granted_licence", null=True, blank=True
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("office licence")
        verbose_name_plural = _("office licences")
        ordering = ["city", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lte=models.F("valid_until")), name="licence_valid_period"
            )
        ]

    def __str__(self) -> str:
        return self.number


class LicenceRenewal(models.Model):
    """One renewal: the renewal case, the period it added and the certificate it issued."""

    licence = models.ForeignKey(OfficeLicence, on_delete=models.PROTECT, related_name="renewals")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="licence_renewal")
    previous_until = models.DateField()
    valid_until = models.DateField()
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("licence renewal")
        verbose_name_plural = _("licence renewals")
        ordering = ["licence", "created_at"]

    def __str__(self) -> str:
        return f"{self.licence} → {self.valid_until}"


class LicenceReminder(models.Model):
    """A renewal reminder sent (one per licence, expiry date and days-before), so none is sent twice."""

    licence = models.ForeignKey(OfficeLicence, on_delete=models.CASCADE, related_name="reminders")
    valid_until = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "valid_until", "days_before"], name="licence_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence} −{self.days_before}"


# --- supervision ---------------------------------------------------------------------------------


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")
    REVOCATION = "revocation", _("Revocation")


SANCTION_SEVERITY = {SanctionKind.WARNING: 1, SanctionKind.SUSPENSION: 2, SanctionKind.REVOCATION: 3}


class ViolationType(models.Model):
    """A kind of violation from the catalogue (``catalog/violations.yaml``) with the least sanction it
    draws and the suspension it suggests."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name_fa = models.CharField(_("name (Persian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_fa = models.TextField(_("description (Persian)"), blank=True)
    min_sanction = models.CharField(
        _("least sanction"), max_length=12, choices=SanctionKind.choices, default=SanctionKind.WARNING
    )
    suspension_days = models.PositiveSmallIntegerField(_("suggested suspension (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("violation type")
        verbose_name_plural = _("violation types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_fa


class InspectionKind(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    COMPLAINT = "complaint", _("Following a complaint")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Inspection(models.Model):
    """A supervisor's visit to (or desk review of) an office, with what was found."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="inspections")
    inspector = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        _("kind"), max_length=12, choices=InspectionKind.choices, default=InspectionKind.ROUTINE
    )
    inspected_at = models.DateTimeField(_("inspected at"), default=timezone.now)
    # {"item": true/false}: the checklist as found (hours posted, tariff list posted, equipment …).
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    related_case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the complaint that prompted it
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at"]

    def __str__(self) -> str:
        return f"{self.office} {self.inspected_at:%Y-%m-%d}"


class Violation(models.Model):
    """One violation recorded against an office, from an inspection, a complaint or a flag."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="violations")
    type = models.ForeignKey(ViolationType, on_delete=models.PROTECT, related_name="violations")
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="violations"
    )
    observed_at = models.DateTimeField(_("observed at"))
    description = models.TextField(_("description"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["office", "observed_at"])]

    def __str__(self) -> str:
        return f"{self.office}: {self.type}"


class SanctionStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    ENDED = "ended", _("Ended")  # a suspension whose period ran out
    OVERTURNED = "overturned", _("Overturned on appeal")


class Sanction(models.Model):
    """A warning, suspension (with an end date) or revocation, with its reasons and the violations
    behind it. Notice goes to the office; the office may appeal once."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(_("sanction"), max_length=12, choices=SanctionKind.choices)
    violations = models.ManyToManyField(Violation, related_name="sanctions", verbose_name=_("violations"))
    reason = models.TextField(_("reasons"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)  # suspensions only
    status = models.CharField(
        _("status"), max_length=12, choices=SanctionStatus.choices, default=SanctionStatus.IN_FORCE
    )
    # The licence status the office had before this sanction, restored when it ends or is overturned.
    previous_status = models.CharField(max_length=16, blank=True)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="suspension") & Q(ends_on__isnull=False))
                | (~Q(kind="suspension") & Q(ends_on__isnull=True)),
                name="sanction_suspension_has_end",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="sanction_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["office", "status", "kind"])]

    def __str__(self) -> str:
        return f"{self.office}: {self.kind}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    UPHELD = "upheld", _("Sanction upheld")
    OVERTURNED = "overturned", _("Sanction overturned")


class Appeal(models.Model):
    """The office's appeal against a sanction (اعتراض), decided by someone other than its issuer."""

    sanction = models.OneToOneField(Sanction, on_delete=models.PROTECT, related_name="appeal")
    filed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    statement = models.TextField(_("statement"))
    status = models.CharField(
        _("status"), max_length=12, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return f"{self.sanction}"


class ActivityFlag(models.Model):
    """Activity recorded at an office outside its approved hours on one day, for supervisors.

    One row per office, day and kind of activity (cases filed, counter payments, queue tickets),
    written by the nightly check; a supervisor may dismiss it or turn it into a violation.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="activity_flags")
    day = models.DateField(_("day"))
    activity = models.CharField(_("activity"), max_length=16)
    count = models.PositiveIntegerField(_("count"))
    first_at = models.DateTimeField(_("first at"))
    last_at = models.DateTimeField(_("last at"))
    reviewed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("reason for dismissing"), blank=True)
    violation = models.ForeignKey(
        Violation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("out-of-hours activity")
        verbose_name_plural = _("out-of-hours activity")
        ordering = ["-day", "office"]
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "activity"], name="activity_flag_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.day} {self.activity}"


class HoursRequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class HoursChangeRequest(models.Model):
    """An office's request to change its weekly hours; the municipality approves it before it applies.

    ``schedule`` is the whole proposed week: [{"weekday": 5, "shift": "morning", "opens": "08:00",
    "closes": "14:00"}, ...] (Python weekdays, Monday=0); approving replaces the office's weekly hours.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="hours_requests")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    schedule = models.JSONField(_("proposed weekly hours"))
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=HoursRequestStatus.choices, default=HoursRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)

    class Meta:
        verbose_name = _("hours change request")
        verbose_name_plural = _("hours change requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["office"], condition=Q(status="pending"), name="hours_request_one_pending_per_office"
            )
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.requested_at:%Y-%m-%d}"
