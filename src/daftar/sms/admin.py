from django.contrib import admin
from django.http import HttpRequest

from .models import SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "purpose", "provider", "status"]
    list_filter = ["status", "provider", "purpose"]
    search_fields = ["to", "provider_ref"]
    readonly_fields = [f.name for f in SmsMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
