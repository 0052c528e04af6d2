from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, OtpChallenge, Person, User
from .services import api_token_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "mobile", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "mobile", "person__national_code"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), (_("Citizen"), {"fields": ("mobile", "person")}))
    raw_id_fields = ["person"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["national_code", "kind", "first_name", "last_name", "legal_name", "mobile"]
    list_filter = ["kind", "is_iranian"]
    search_fields = ["national_code", "first_name", "last_name", "legal_name", "mobile"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by `manage.py api_token create`, which shows the secret once

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_token_revoke(token=token)


@admin.register(OtpChallenge)
class OtpChallengeAdmin(admin.ModelAdmin):
    list_display = ["mobile", "created_at", "expires_at", "attempts", "consumed_at", "requested_ip"]
    search_fields = ["mobile"]
    readonly_fields = [
        "mobile",
        "purpose",
        "created_at",
        "expires_at",
        "attempts",
        "consumed_at",
        "requested_ip",
    ]
    exclude = ["code_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
