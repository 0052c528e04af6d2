"""Admin for the registers (properties, businesses, vehicles) and the annual billing runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from daftar.core.errors import InvalidValue

from .models import BillingRun, Business, Property, PropertyOwner, Vehicle
from .records import licence_number_clean, owner_code_clean, plate_clean, renewal_code_clean


def _cleaned(form: forms.ModelForm, name: str, clean: Callable[[str], str]) -> str:
    value = form.cleaned_data.get(name) or ""
    if not value:
        return value
    try:
        return clean(value)
    except InvalidValue as error:
        raise ValidationError(str(error)) from None


class PropertyForm(forms.ModelForm):
    """Keys typed in the admin are stored in the same spelling as imported ones."""

    def clean_renewal_code(self) -> str:
        return _cleaned(self, "renewal_code", renewal_code_clean)


class PropertyOwnerForm(forms.ModelForm):
    def clean_national_code(self) -> str:
        return _cleaned(self, "national_code", owner_code_clean)


class BusinessForm(forms.ModelForm):
    def clean_licence_number(self) -> str:
        return _cleaned(self, "licence_number", licence_number_clean)

    def clean_owner_national_code(self) -> str:
        return _cleaned(self, "owner_national_code", owner_code_clean)

    def clean_renewal_code(self) -> str:
        return _cleaned(self, "renewal_code", renewal_code_clean)


class VehicleForm(forms.ModelForm):
    def clean_owner_national_code(self) -> str:
        return _cleaned(self, "owner_national_code", owner_code_clean)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("plate"):
            try:
                data["plate"] = plate_clean(data["plate"], vehicle_type=data.get("vehicle_type"))
            except InvalidValue as error:
                self.add_error("plate", str(error))
        return data


class PropertyOwnerInline(admin.TabularInline):
    model = PropertyOwner
    form = PropertyOwnerForm
    fields = ("national_code", "name", "share_percent")
    extra = 0


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin):
    form = PropertyForm
    list_display = ("renewal_code", "city", "zone", "use", "area_m2", "built_area_m2", "updated_at")
    list_filter = ("city", "use", "zone")
    list_select_related = ("city", "zone")
    search_fields = ("=renewal_code", "=owners__national_code", "owners__name", "postal_code")
    readonly_fields = ("created_at", "updated_at")
    inlines = (PropertyOwnerInline,)
    show_full_result_count = False  # the register has millions of rows


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    form = BusinessForm
    list_display = (
        "licence_number",
        "name",
        "guild_name",
        "city",
        "zone",
        "owner_name",
        "licence_valid_until",
    )
    list_filter = ("city", "zone")
    list_select_related = ("city", "zone")
    search_fields = ("=licence_number", "=owner_national_code", "name", "=renewal_code")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    form = VehicleForm
    list_display = ("plate", "vehicle_type", "model_year", "city", "owner_name")
    list_filter = ("city", "vehicle_type")
    list_select_related = ("city",)
    search_fields = ("=plate", "=owner_national_code", "=vin")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    """Written only by ``bill_annual``: shown, never edited."""

    list_display = (
        "city",
        "fiscal_year",
        "kind",
        "status",
        "billed",
        "skipped_existing",
        "carried",
        "failed",
        "started_at",
        "finished_at",
    )
    list_filter = ("city", "fiscal_year", "kind", "status")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
