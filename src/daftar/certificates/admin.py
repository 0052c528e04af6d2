"""Certificates in the admin: read-only; the one change allowed is revoking, with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.core.errors import DomainError

from .models import Certificate
from .services import certificate_revoke


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for revoking"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "title_fa", "case", "issued_at", "valid_until", "revoked_at"]
    list_filter = ["kind", "revoked_at", "issued_at"]
    search_fields = ["number", "case__tracking_code", "title_fa"]
    list_select_related = ["case"]
    date_hierarchy = "issued_at"
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # certificates are issued by their case's workflow, never typed in

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # The model's change permission (held by no one through the form, which is read-only).
        return bool(request.user.has_perm("certificates.change_certificate"))

    @admin.action(description=_("Revoke the selected certificates"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        user = request.user
        assert isinstance(user, User)
        form = RevokeForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            revoked = 0
            for certificate in queryset.filter(revoked_at__isnull=True):
                try:
                    certificate_revoke(
                        certificate=certificate, actor=user, reason=form.cleaned_data["reason"]
                    )
                except DomainError as exc:
                    self.message_user(request, f"{certificate.number}: {exc}", messages.ERROR)
                else:
                    revoked += 1
            self.message_user(
                request, _("Certificates revoked: %(count)d") % {"count": revoked}, messages.SUCCESS
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke certificates"),
            "opts": self.model._meta,
            "certificates": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/certificates/certificate/revoke.html", context)
