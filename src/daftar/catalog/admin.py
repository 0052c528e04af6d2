"""Admin for the catalogue: categories, service types and versions.

A published version is read-only. A draft is edited as JSON and saved only after the very
validation the catalogue loader applies, so the admin can never store what a file could not.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import DomainError

from .models import ServiceCategory, ServiceType, ServiceVersion, VersionStatus
from .services import (
    service_entry_compile,
    service_version_draft_update,
    service_version_entry,
    service_version_new_draft,
    service_version_publish,
)

ENTRY_FIELDS = (
    "department",
    "channels",
    "sla_working_days",
    "location",
    "links",
    "intake_schema",
    "documents",
    "fees",
    "inquiries",
    "output",
)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "department", "position")
    search_fields = ("code", "name_fa", "name_en")


class VersionInline(admin.TabularInline):
    model = ServiceVersion
    fields = ("number", "status", "valid_from", "valid_to", "name_fa")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "category")
    list_filter = ("category",)
    search_fields = ("code", "versions__name_fa")
    inlines = (VersionInline,)


class DraftForm(forms.ModelForm):
    workflow_source = forms.JSONField(label=_("workflow definition"))

    class Meta:
        model = ServiceVersion
        fields = (
            "name_fa",
            "name_en",
            "description_fa",
            "description_en",
            *ENTRY_FIELDS,
            "valid_from",
            "valid_to",
            "workflow_source",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        entry = service_version_entry(self.instance)
        entry.update({key: data[key] for key in ENTRY_FIELDS if key in data})
        entry["name"] = {"fa": data.get("name_fa", ""), "en": data.get("name_en", "")}
        entry["description"] = {"fa": data.get("description_fa", ""), "en": data.get("description_en", "")}
        entry["workflow"] = data.get("workflow_source") or {}
        categories = {category.code: category for category in ServiceCategory.objects.all()}
        try:
            service_entry_compile(entry, workflows={}, categories=categories)
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
        self.entry = entry
        return data


@admin.register(ServiceVersion)
class ServiceVersionAdmin(admin.ModelAdmin):
    form = DraftForm
    list_display = ("service_type", "number", "name_fa", "status", "valid_from", "valid_to")
    list_filter = ("status", "service_type__category")
    search_fields = ("service_type__code", "name_fa", "name_en")
    actions = ("publish", "new_draft")
    readonly_fields = ("service_type", "number", "status", "published_at", "workflow_preview")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions start from the catalogue files or the "new draft" action

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.status == VersionStatus.DRAFT and not obj.cases.exists()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status == VersionStatus.PUBLISHED:
            return [f.name for f in ServiceVersion._meta.fields] + ["workflow_preview"]
        return self.readonly_fields

    @admin.display(description=_("workflow (as the engine runs it)"))
    def workflow_preview(self, obj: ServiceVersion) -> str:
        return json.dumps(obj.workflow, ensure_ascii=False, indent=1)[:20000]

    def save_model(self, request: HttpRequest, obj: ServiceVersion, form: Any, change: bool) -> None:
        try:
            service_version_draft_update(version=obj, entry=form.entry)
        except DomainError as exc:
            # Validation already ran in the form; a race with a publisher ends here, loudly.
            messages.error(request, str(exc))

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ServiceVersion]) -> None:
        for version in queryset.filter(status=VersionStatus.DRAFT):
            try:
                service_version_publish(version=version)
                self.message_user(request, _("Published %(v)s.") % {"v": version})
            except DomainError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)

    @admin.action(description=_("Start a new draft from the selected version"))
    def new_draft(self, request: HttpRequest, queryset: QuerySet[ServiceVersion]) -> None:
        for version in queryset:
            draft = service_version_new_draft(version=version)
            self.message_user(request, _("Draft %(v)s created.") % {"v": draft})
