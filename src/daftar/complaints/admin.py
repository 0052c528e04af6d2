"""Routing rules in the admin: a city administrator keeps their city's ordered list.

The list shows the rules in order with the position editable in place; every save goes through
the services in ``routing.py`` (the same checks, renumbering 1…n, one transaction). Rules are
never deleted here: the action switches them off. A city administrator sees and edits only the
rules of the cities they administer; a superuser sees all.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.core.errors import DomainError
from daftar.offices.models import City, StaffAssignment, Zone

from .models import PERSIAN_WEEK, WEEKDAY_LABELS, RoutingRule, weekdays_label
from .routing import (
    MUNICIPAL_ROLES,
    routed_service_choices,
    routing_rule_create,
    routing_rule_deactivate,
    routing_rule_move,
    routing_rule_problems,
    routing_rule_update,
)

UNKNOWN = object()
RULE_FIELDS = (
    "name",
    "service_codes",
    "weekdays",
    "time_from",
    "time_until",
    "department",
    "assignee",
    "is_active",
)


def _admin_city_ids(request: HttpRequest) -> set[int] | None:
    """The cities the user administers; None for a superuser (every city). Once per request."""
    cached = getattr(request, "_routing_admin_cities", UNKNOWN)
    if cached is not UNKNOWN:
        return cached  # type: ignore[return-value]
    user = request.user
    found: set[int] | None
    if not user.is_active or not user.is_staff:
        found = set()
    elif user.is_superuser:
        found = None
    else:
        found = set(
            StaffAssignment.objects.filter(
                user_id=user.pk, role=Role.CITY_ADMINISTRATOR, office__isnull=True, is_active=True
            ).values_list("city_id", flat=True)
        )
    request._routing_admin_cities = found  # type: ignore[attr-defined]
    return found


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.get_username()} ({obj.get_username()})"


class RoutingRuleForm(forms.ModelForm):
    """The rule's fields with friendly inputs; checked with the services' own validation."""

    service_codes = forms.MultipleChoiceField(
        label=_("services"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every complaint and citizen report service."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        required=False,
        coerce=int,
        choices=[(day, WEEKDAY_LABELS[day]) for day in PERSIAN_WEEK],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every day."),
    )
    zones = forms.ModelMultipleChoiceField(
        label=_("districts"),
        queryset=Zone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: any district, and reports given by address alone."),
    )
    assignee = _PersonChoice(label=_("person"), queryset=User.objects.none(), required=False)
    position = forms.IntegerField(label=_("position"), min_value=1, required=False)

    class Meta:
        model = RoutingRule
        fields = ("city", "position", *RULE_FIELDS, "zones")
        help_texts = {
            "time_from": _("Local time; a window may pass midnight, e.g. 22:00 to 06:00."),
            "department": _("The department's code, e.g. urban_services."),
        }

    def __init__(self, *args: Any, city_ids: set[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cities = City.objects.all() if city_ids is None else City.objects.filter(pk__in=city_ids)
        if "city" in self.fields:
            self.fields["city"].queryset = cities  # type: ignore[attr-defined]
        self.fields["zones"].queryset = Zone.objects.filter(city__in=cities).select_related("city")  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(
                is_active=True,
                assignments__is_active=True,
                assignments__office__isnull=True,
                assignments__role__in=MUNICIPAL_ROLES,
                assignments__city__in=cities,
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        self.fields["service_codes"].choices = routed_service_choices()  # type: ignore[attr-defined]
        if self.instance.pk is not None:
            self.fields["city"].disabled = True  # a rule stays in its city

    def clean_name(self) -> str:
        return str(self.cleaned_data.get("name") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or data.get("city") is None:
            return data
        rule = RoutingRule(
            pk=self.instance.pk,
            city=data["city"],
            name=data.get("name", ""),
            service_codes=list(data.get("service_codes") or []),
            weekdays=list(data.get("weekdays") or []),
            time_from=data.get("time_from"),
            time_until=data.get("time_until"),
            department=(data.get("department") or "").strip().lower(),
            assignee=data.get("assignee"),
            is_active=bool(data.get("is_active")),
        )
        for field, problems in routing_rule_problems(rule=rule, zones=list(data.get("zones") or [])).items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, str(problem))
        return data

    def _post_clean(self) -> None:
        # The model's own checks run in clean() together with the database's (no double messages).
        self.instance.name = self.cleaned_data.get("name", self.instance.name)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = (
        "position",
        "name",
        "services_display",
        "zones_display",
        "weekdays_display",
        "window_display",
        "department",
        "assignee",
        "is_active",
        "city",
    )
    list_display_links = ("name",)
    list_editable = ("position",)
    list_filter = (("city", admin.RelatedOnlyFieldListFilter), "is_active", "department")
    search_fields = ("name", "department")
    ordering = ("city", "position", "pk")
    list_select_related = ("city", "assignee")
    list_per_page = 100
    readonly_fields = ("created_at", "updated_at")
    actions = ("deactivate",)

    # --- who may use it -------------------------------------------------------------------------

    def _may(self, request: HttpRequest, obj: RoutingRule | None = None) -> bool:
        city_ids = _admin_city_ids(request)
        if city_ids is None:
            return True
        if not city_ids:
            return False
        return obj is None or obj.city_id in city_ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switched off, never deleted: the timeline names the rules that routed cases

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutingRule]:
        queryset = super().get_queryset(request).prefetch_related("zones")
        city_ids = _admin_city_ids(request)
        return queryset if city_ids is None else queryset.filter(city_id__in=city_ids)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        city_ids = _admin_city_ids(request)

        class ScopedForm(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, city_ids=city_ids, **inner)

        return ScopedForm

    # --- the list's columns ---------------------------------------------------------------------

    @admin.display(description=_("services"))
    def services_display(self, obj: RoutingRule) -> str:
        return "، ".join(obj.service_codes) if obj.service_codes else str(_("all"))

    @admin.display(description=_("districts"))
    def zones_display(self, obj: RoutingRule) -> str:
        names = [zone.name for zone in obj.zones.all()]
        return "، ".join(names) if names else str(_("any"))

    @admin.display(description=_("weekdays"))
    def weekdays_display(self, obj: RoutingRule) -> str:
        return weekdays_label(obj.weekdays) if obj.weekdays else str(_("every day"))

    @admin.display(description=_("hours"))
    def window_display(self, obj: RoutingRule) -> str:
        if obj.time_from is None or obj.time_until is None:
            return str(_("all day"))
        return f"{obj.time_from:%H:%M}–{obj.time_until:%H:%M}"

    # --- saving through the services --------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        actor = request.user if isinstance(request.user, User) else None
        try:
            if "name" not in data:  # the list's in-place position edit
                routing_rule_move(rule=obj, position=int(data["position"]), actor=actor)
                return
            values: dict[str, Any] = {field: data.get(field) for field in RULE_FIELDS}
            values["department"] = values["department"] or ""
            values["service_codes"] = list(values["service_codes"] or [])
            values["weekdays"] = list(values["weekdays"] or [])
            zones = list(data.get("zones") or [])
            if change:
                routing_rule_update(rule=obj, actor=actor, zones=zones, **values)
                if data.get("position") and data["position"] != form.initial.get("position"):
                    routing_rule_move(rule=obj, position=int(data["position"]), actor=actor)
            else:
                created = routing_rule_create(
                    city=data["city"], actor=actor, zones=zones, position=data.get("position"), **values
                )
                obj.pk, obj.position = created.pk, created.position
        except DomainError as error:
            # The form ran the same checks; only a concurrent change ends here, and nothing was saved.
            messages.error(request, str(error))

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        for formset in formsets:  # the districts were set by the service, with the rule
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Switch off the selected rules"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for rule in queryset.select_related("city"):
            routing_rule_deactivate(rule=rule, actor=actor)
        self.message_user(request, _("The selected rules were switched off."))
