"""Tickets are written by the queue's services only; the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("label", "office", "day", "kind", "status", "counter", "issued_at", "called_at")
    list_filter = ("status", "kind", "group", "day")
    search_fields = ("label", "office__code", "reference")
    date_hierarchy = "day"
    list_select_related = ("office",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
