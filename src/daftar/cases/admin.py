"""Read-only admin for case files: cases change only through the workflow engine (services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Case, CaseEvent


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    fields = ("seq", "kind", "action", "from_state", "to_state", "actor", "public", "message", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("tracking_code", "service_type", "applicant", "office", "state", "overdue", "created_at")
    list_filter = ("state", "overdue", "channel", "category")
    search_fields = ("tracking_code", "applicant__national_code", "renewal_code")
    list_select_related = ("service_type", "applicant", "office")
    inlines = (EventInline,)
