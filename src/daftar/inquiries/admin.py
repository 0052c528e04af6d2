"""Admin for agencies, inquiry types, inquiries with their attachments (read-only) and agency keys
(revocable)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Agency, AgencyKey, AgencyMembership, Inquiry, InquiryAttachment, InquiryType
from .services import agency_key_revoke


class InquiryTypeInline(admin.TabularInline):
    model = InquiryType
    fields = ("code", "name_fa", "sla_working_days")
    extra = 0
    show_change_link = True


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "channel", "webhook_url", "is_active")
    list_filter = ("channel", "is_active")
    search_fields = ("code", "name_fa")
    exclude = ("webhook_secret",)  # shown to nobody; rotate it with manage.py agency_connect
    inlines = (InquiryTypeInline,)


@admin.register(InquiryType)
class InquiryTypeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name_fa", "sla_working_days")
    list_filter = ("agency",)


class InquiryAttachmentInline(admin.TabularInline):
    model = InquiryAttachment
    fields = (
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by",
        "uploaded_by_key",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ("pk", "case", "agency", "inquiry_type", "state", "outcome", "due_date", "overdue")
    list_filter = ("state", "outcome", "overdue", "agency")
    search_fields = ("case__tracking_code", "reference")
    list_select_related = ("case", "agency", "inquiry_type")
    inlines = (InquiryAttachmentInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgencyKey)
class AgencyKeyAdmin(admin.ModelAdmin):
    list_display = ("agency", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("agency",)
    fields = ("agency", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are made with manage.py agency_key create, which shows the secret once

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[AgencyKey]) -> None:
        for key in queryset:
            agency_key_revoke(key=key)


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency")
    list_filter = ("agency",)
    autocomplete_fields = ()
