from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from daftar.core.errors import Conflict

from .models import OutboxMessage, OutboxState
from .services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "subject", "state", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["state", "kind"]
    search_fields = ["idempotency_key", "subject"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    @admin.action(description=_("Retry now"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        skipped = queryset.filter(state=OutboxState.DELIVERED).count()
        retried = 0
        for message in queryset.exclude(state=OutboxState.DELIVERED)[:500]:
            try:
                outbox_retry(message=message, actor=request.user)
            except Conflict:
                continue  # delivered in the meantime
            retried += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again now.",
                "%(count)d messages will be sent again now.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was already delivered and is not sent again.",
                    "%(count)d messages were already delivered and are not sent again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
