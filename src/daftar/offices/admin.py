"""Admin for cities, districts, offices, hours, holidays and staff assignments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import City, Holiday, HoursOverride, Office, StaffAssignment, WeeklyHours, Zone
from .services import day_closed_announce, day_hours_announce, office_licence_status_set

ADMIN_REASON = "تغییر در پنل مدیریت"


def _announce_closed(override: HoursOverride) -> None:
    """Special hours saved here tell appointments, as ``hours_override_set`` does: a closed day
    cancels its bookings, shortened hours cancel those that no longer fit."""
    announce = day_closed_announce if override.closed else day_hours_announce
    announce(
        city=override.city,
        office=override.office,
        day=override.date,
        reason=override.reason or ADMIN_REASON,
    )


class ZoneInline(admin.TabularInline):
    model = Zone
    fields = ("number", "name")
    extra = 0
    show_change_link = True


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "name_en", "timezone", "min_office_area_m2", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_fa", "name_en")
    inlines = (ZoneInline,)


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "city", "has_boundary")
    list_filter = ("city",)
    search_fields = ("name",)
    ordering = ("city", "number")

    @admin.display(boolean=True, description=_("boundary"))
    def has_boundary(self, obj: Zone) -> bool:
        return bool(obj.boundary)


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    fields = ("weekday", "shift", "opens", "closes")
    extra = 0


class _OfficeOverridesFormSet(BaseInlineFormSet):
    """Special hours entered on an office's page take the office's city (checked by the model)."""

    def add_fields(self, form: ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        form.instance.city_id = self.instance.city_id


class HoursOverrideInline(admin.TabularInline):
    model = HoursOverride
    formset = _OfficeOverridesFormSet
    fields = ("date", "closed", "opens", "closes", "reason")
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "zone", "licence_status", "counters", "phone")
    list_filter = ("licence_status", "city", "zone")
    search_fields = ("code", "name", "address", "postal_code", "phone")
    list_select_related = ("city", "zone")
    autocomplete_fields = ("zone",)
    readonly_fields = ("created_at",)
    inlines = (WeeklyHoursInline, HoursOverrideInline)

    def save_model(self, request: HttpRequest, obj: Office, form: ModelForm, change: bool) -> None:
        # A licence status change goes through the service, so its bookings are cancelled.
        status = obj.licence_status
        if change and "licence_status" in form.changed_data:
            obj.licence_status = form.initial["licence_status"]
        super().save_model(request, obj, form, change)
        if obj.licence_status != status:
            office_licence_status_set(office=obj, status=status, reason=ADMIN_REASON)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for saved in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            if isinstance(saved, HoursOverride):
                _announce_closed(saved)


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    list_display = ("office", "weekday", "shift", "opens", "closes")
    list_filter = ("weekday", "shift", "office__city")
    search_fields = ("office__name", "office__code")
    list_select_related = ("office",)
    raw_id_fields = ("office",)


@admin.register(HoursOverride)
class HoursOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "city", "office", "closed", "opens", "closes", "reason")
    list_filter = ("city", "closed")
    search_fields = ("reason", "office__name", "office__code")
    date_hierarchy = "date"
    list_select_related = ("city", "office")
    raw_id_fields = ("office",)

    def save_model(self, request: HttpRequest, obj: HoursOverride, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _announce_closed(obj)  # bookings on a day closed here are cancelled, as by hours_override_set


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "city", "kind", "source")
    list_filter = ("kind", "source", "city")
    search_fields = ("name",)
    date_hierarchy = "date"
    list_select_related = ("city",)

    def save_model(self, request: HttpRequest, obj: Holiday, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        day_closed_announce(city=obj.city, office=None, day=obj.date, reason=obj.name)


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "city", "office", "is_active", "created_at")
    list_filter = ("role", "is_active", "city")
    search_fields = ("user__username", "user__mobile", "office__name", "office__code")
    list_select_related = ("user", "city", "office")
    raw_id_fields = ("user", "office")
    readonly_fields = ("created_at",)
