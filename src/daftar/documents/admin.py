"""Documents in the admin: a read-only list. Every change goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "case",
        "requirement",
        "original_name",
        "content_type",
        "size",
        "status",
        "superseded",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("status", "superseded", "content_type")
    search_fields = ("case__tracking_code", "requirement", "sha256")
    list_select_related = ("case", "uploaded_by")
    date_hierarchy = "uploaded_at"
    # "file" is left out: a link would bypass the download view's checks and headers.
    fields = (
        "case",
        "requirement",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "status",
        "superseded",
        "uploaded_by",
        "uploaded_at",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False
