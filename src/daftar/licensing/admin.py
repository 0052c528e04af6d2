"""Licensing and supervision in the admin: every model, read-only.

Each write here has a service with rules the admin form would skip (quotas, certificates, the
office's status and its bookings, notices by SMS), so writes happen on the licensing and
supervision pages, which call those services; the violation types come from
``catalog/violations.yaml`` (``manage.py catalog_load``). The admin is for looking things up.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import violations  # noqa: F401 - registers the violations.yaml catalogue loader
from .models import (
    ActivityFlag,
    Appeal,
    ApplicationCall,
    Assessment,
    CallQuota,
    HoursChangeRequest,
    Inspection,
    LicenceApplication,
    LicenceReminder,
    LicenceRenewal,
    OfficeLicence,
    Sanction,
    SiteVisit,
    SiteVisitPhoto,
    Violation,
    ViolationType,
)


class ReadOnly:
    """No adding, changing or deleting through the admin: the services own every write."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyTabular(ReadOnly, admin.TabularInline):
    extra = 0
    show_change_link = True


# --- calls and applications ----------------------------------------------------------------------


class CallQuotaInline(ReadOnlyTabular):
    model = CallQuota
    fields = ("zone", "places")


@admin.register(ApplicationCall)
class ApplicationCallAdmin(ReadOnlyAdmin):
    list_display = ("title", "city", "opens_at", "closes_at", "cancelled_at")
    list_filter = ("city", "cancelled_at")
    search_fields = ("title",)
    date_hierarchy = "opens_at"
    list_select_related = ("city",)
    inlines = (CallQuotaInline,)


@admin.register(CallQuota)
class CallQuotaAdmin(ReadOnlyAdmin):
    list_display = ("call", "zone", "places")
    list_filter = ("call__city",)
    list_select_related = ("call", "zone")


class AssessmentInline(ReadOnlyTabular):
    model = Assessment
    fields = ("kind", "scheduled_at", "place", "score", "pass_mark", "absent", "recorded_at")


@admin.register(LicenceApplication)
class LicenceApplicationAdmin(ReadOnlyAdmin):
    list_display = ("case", "call", "zone", "created_at")
    list_filter = ("zone", "call")
    search_fields = ("case__tracking_code", "case__applicant_name")
    list_select_related = ("case", "call", "zone")
    inlines = (AssessmentInline,)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("application", "kind", "scheduled_at", "score", "pass_mark", "absent", "recorded_at")
    list_filter = ("kind", "absent")
    search_fields = ("application__case__tracking_code",)
    list_select_related = ("application__case",)


class SiteVisitPhotoInline(ReadOnlyTabular):
    model = SiteVisitPhoto
    fields = ("file", "content_type", "size", "uploaded_at")


@admin.register(SiteVisit)
class SiteVisitAdmin(ReadOnlyAdmin):
    list_display = ("application", "inspector", "visited_at", "measured_area_m2", "building_use")
    list_filter = ("building_use",)
    search_fields = ("application__case__tracking_code",)
    list_select_related = ("application__case", "inspector")
    inlines = (SiteVisitPhotoInline,)


@admin.register(SiteVisitPhoto)
class SiteVisitPhotoAdmin(ReadOnlyAdmin):
    list_display = ("visit", "content_type", "size", "uploaded_at")
    list_select_related = ("visit__application__case",)


# --- licences ------------------------------------------------------------------------------------


class LicenceRenewalInline(ReadOnlyTabular):
    model = LicenceRenewal
    fields = ("case", "previous_until", "valid_until", "certificate", "created_at")


@admin.register(OfficeLicence)
class OfficeLicenceAdmin(ReadOnlyAdmin):
    list_display = ("number", "office", "holder", "zone", "valid_from", "valid_until", "revoked_at")
    list_filter = ("city", "zone", "revoked_at")
    search_fields = ("number", "office__code", "office__name", "holder__national_code", "holder__last_name")
    list_select_related = ("office", "holder", "zone")
    inlines = (LicenceRenewalInline,)


@admin.register(LicenceRenewal)
class LicenceRenewalAdmin(ReadOnlyAdmin):
    list_display = ("licence", "case", "previous_until", "valid_until", "created_at")
    search_fields = ("licence__number", "case__tracking_code")
    list_select_related = ("licence", "case")


@admin.register(LicenceReminder)
class LicenceReminderAdmin(ReadOnlyAdmin):
    list_display = ("licence", "valid_until", "days_before", "sent_at")
    list_filter = ("days_before",)
    search_fields = ("licence__number",)
    list_select_related = ("licence",)


# --- supervision ---------------------------------------------------------------------------------


@admin.register(ViolationType)
class ViolationTypeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name_fa", "min_sanction", "suspension_days", "is_active")
    list_filter = ("min_sanction", "is_active")
    search_fields = ("code", "name_fa", "name_en")


class ViolationInline(ReadOnlyTabular):
    model = Violation
    fk_name = "inspection"
    fields = ("type", "observed_at", "description", "recorded_by")


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ("office", "kind", "inspected_at", "inspector")
    list_filter = ("kind", "office__city")
    search_fields = ("office__code", "office__name", "findings")
    date_hierarchy = "inspected_at"
    list_select_related = ("office", "inspector")
    inlines = (ViolationInline,)


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ("office", "type", "observed_at", "recorded_by")
    list_filter = ("type", "office__city")
    search_fields = ("office__code", "office__name", "description")
    date_hierarchy = "observed_at"
    list_select_related = ("office", "type", "recorded_by")


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ("office", "kind", "status", "starts_on", "ends_on", "issued_by", "issued_at")
    list_filter = ("kind", "status", "office__city")
    search_fields = ("office__code", "office__name", "reason")
    date_hierarchy = "issued_at"
    list_select_related = ("office", "issued_by")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("sanction", "status", "filed_by", "filed_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("sanction__office__code", "statement", "decision_reason")
    list_select_related = ("sanction__office", "filed_by", "decided_by")


@admin.register(ActivityFlag)
class ActivityFlagAdmin(ReadOnlyAdmin):
    list_display = ("office", "day", "activity", "count", "first_at", "last_at", "reviewed_at")
    list_filter = ("activity", "office__city")
    search_fields = ("office__code", "office__name")
    date_hierarchy = "day"
    list_select_related = ("office",)


@admin.register(HoursChangeRequest)
class HoursChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("office", "status", "requested_by", "requested_at", "decided_by", "decided_at")
    list_filter = ("status", "office__city")
    search_fields = ("office__code", "office__name", "reason")
    list_select_related = ("office", "requested_by", "decided_by")
