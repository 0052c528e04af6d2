"""Open311 clients, their keys (read-only; made with manage.py open311_key) and the requests they filed."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Open311Client, Open311Key, Open311Request
from .services import open311_key_revoke


class Open311KeyInline(admin.TabularInline):
    model = Open311Key
    fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False  # keys are made with manage.py open311_key, which shows the secret once


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "person", "created_at")
    search_fields = ("name",)
    fields = ("name", "user", "person", "created_at")
    readonly_fields = fields
    inlines = (Open311KeyInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with manage.py open311_key NAME (a system user and a person come with it)

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False  # its cases keep pointing at it; revoke its keys instead


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = ("client", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("client",)
    fields = ("client", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Key]) -> None:
        for key in queryset:
            open311_key_revoke(key=key)


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """What each client sent, with the reporter's private details: for those allowed to view it."""

    list_display = ("created_at", "client", "service_version", "case", "status", "token")
    list_filter = ("status", "client")
    search_fields = ("case__tracking_code", "token")
    list_select_related = ("client", "service_version__service_type", "case")
    readonly_fields = [field.name for field in Open311Request._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False
