"""Admin: counters per category are edited here; bookings and slot counters are read-only
(they change only through the services, which keep the counters and SMS consistent)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Booking, OfficeServiceDesk, SlotUsage


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OfficeServiceDesk)
class OfficeServiceDeskAdmin(admin.ModelAdmin):
    list_display = ("office", "category", "counters")
    list_filter = ("category",)
    search_fields = ("office__code", "office__name")
    list_select_related = ("office", "category")
    autocomplete_fields = ("office",)


@admin.register(Booking)
class BookingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "office", "service_type", "person", "starts_at", "status", "channel")
    list_filter = ("status", "channel", "category", "day")
    search_fields = ("code", "person__national_code", "office__code")
    list_select_related = ("office", "service_type", "person")
    date_hierarchy = "starts_at"
    readonly_fields = [field.name for field in Booking._meta.fields]


@admin.register(SlotUsage)
class SlotUsageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("office", "category", "starts_at", "booked", "capacity")
    list_filter = ("category",)
    search_fields = ("office__code",)
    list_select_related = ("office", "category")
    date_hierarchy = "starts_at"
