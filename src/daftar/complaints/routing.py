"""Routing new complaints and citizen reports to a department and/or a person, by rules as data.

Which services are routed: every service of the ``complaints`` category (the ``complaint.*``
services: neighbours, common and private parts, damages, office conduct) and the citizen reports
(codes ``report.*``, category ``urban_services``). The other urban-services (debris collection,
permits, market stalls …) are applications, not reports: they keep their catalogue department and
no rule touches them. A rule that names no services applies to every routed service.

How a rule is chosen (``route_for``): the city's active rules in position order; the first whose
conditions all hold wins. Conditions: the service codes (empty: all routed services), the districts
(empty: any; a case without a district, an address-only report, matches only rules without
districts), the weekdays and the time window, read in the city's local time at filing (the window
may wrap past midnight, 22:00–06:00; the weekday is that of the local date of the moment).

What the winner does (``case_route``, run at filing inside the filing transaction by the
``case_filed`` receiver in ``rules.py``): its department becomes the case's department (so the
case shows in that department's inbox, see ``cases.selectors._scope_q``) and its person becomes
the case's assignee, and an internal timeline entry names the rule. The person is assigned only
while they hold an active municipal role in the city that covers the case's department; a rule
with a department routes by its department alone when its person no longer qualifies, and a
person-only rule whose person no longer qualifies is passed over for the next rule.

Writes (``routing_rule_*``) are one transaction each and lock the city's row, so positions are
always 1…n without gaps; only a city administrator of the city (or a superuser) may make them
(``actor=None`` is the system itself: data loads and commands).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import ROLE_BY_CODE, Role, Scope
from daftar.cases.models import Case, EventKind
from daftar.cases.services import case_event_append
from daftar.catalog.models import ServiceCategory, ServiceType, ServiceVersion
from daftar.core.errors import Forbidden, InvalidValue
from daftar.core.text import normalize_persian
from daftar.offices.models import City, StaffAssignment, Zone
from daftar.offices.selectors import city_timezone, offices_staff_of

from .models import RoutingRule

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ROUTED_CATEGORY: Final = "complaints"
REPORT_PREFIX: Final = "report."
ROUTE_ACTION: Final = "routed"
MUNICIPAL_ROLES: Final = frozenset(code for code, spec in ROLE_BY_CODE.items() if spec.scope == Scope.CITY)


class _Unset(Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET


# --- which services are routed ----------------------------------------------------------------


def is_routed(service_type: ServiceType) -> bool:
    """Whether routing rules apply to cases of this service (see the module docstring)."""
    return service_type.code.startswith(REPORT_PREFIX) or service_type.category.code == ROUTED_CATEGORY


def routed_service_types() -> QuerySet[ServiceType]:
    """The service types routing applies to, by code."""
    return (
        ServiceType.objects.filter(Q(category__code=ROUTED_CATEGORY) | Q(code__startswith=REPORT_PREFIX))
        .select_related("category")
        .order_by("code")
    )


def routed_service_choices() -> list[tuple[str, str]]:
    """(code, "Persian name — code") of each routed service, for forms; two queries."""
    types = list(routed_service_types())
    names: dict[int, str] = {}
    for type_id, name in (
        ServiceVersion.objects.filter(service_type__in=types)
        .order_by("number")
        .values_list("service_type_id", "name_fa")
    ):
        names[type_id] = name  # the newest version's name wins
    return [(t.code, f"{names.get(t.pk, t.code)} — {t.code}") for t in types]


def known_departments(*, city: City) -> set[str]:
    """Department codes in use: those of the catalogue (categories, service versions) and of the
    city's staff assignments. Three queries."""
    found = set(ServiceCategory.objects.exclude(department="").values_list("department", flat=True))
    found |= set(ServiceVersion.objects.order_by().values_list("department", flat=True).distinct())
    found |= set(
        StaffAssignment.objects.filter(city=city, office__isnull=True)
        .exclude(department="")
        .values_list("department", flat=True)
    )
    found.discard("")
    return found


def _municipal_departments(*, city_id: int, user_ids: Iterable[int]) -> dict[int, set[str]]:
    """For each given active user holding an active municipal role in the city: the departments
    those roles cover ("" = every department). One query."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = StaffAssignment.objects.filter(
        city_id=city_id,
        office__isnull=True,
        is_active=True,
        role__in=MUNICIPAL_ROLES,
        user_id__in=ids,
        user__is_active=True,
    ).values_list("user_id", "department")
    covered: dict[int, set[str]] = {}
    for user_id, department in rows:
        covered.setdefault(user_id, set()).add(department)
    return covered


def _covers(departments: set[str] | None, department: str) -> bool:
    return departments is not None and ("" in departments or department in departments)


# --- validation -------------------------------------------------------------------------------


def routing_rule_problems(*, rule: RoutingRule, zones: Sequence[Zone]) -> dict[str, list[StrOrPromise]]:
    """Everything wrong with the rule (its own fields and what the database says), by field name.

    The admin form shows these beside the fields; the services raise them as ``InvalidValue``.
    """
    problems = rule.own_problems()

    def add(field: str, message: StrOrPromise) -> None:
        problems.setdefault(field, []).append(message)

    if "service_codes" not in problems and rule.service_codes:
        routed = set(
            routed_service_types().filter(code__in=rule.service_codes).values_list("code", flat=True)
        )
        unknown = [code for code in rule.service_codes if code not in routed]
        if unknown:
            add(
                "service_codes",
                _("Not a complaint or citizen report service: %(codes)s") % {"codes": ", ".join(unknown)},
            )
    if any(zone.city_id != rule.city_id for zone in zones):
        add("zones", _("Choose districts of the rule's own city."))
    if (
        rule.department
        and "department" not in problems
        and rule.department not in known_departments(city=rule.city)
    ):
        add("department", _("No service or staff member of this city uses this department."))
    if rule.assignee_id is not None:
        covered = _municipal_departments(city_id=rule.city_id, user_ids=[rule.assignee_id]).get(
            rule.assignee_id
        )
        if covered is None:
            add("assignee", _("This person holds no active municipal role in this city."))
        elif rule.department and not _covers(covered, rule.department):
            add("assignee", _("This person's role does not cover the rule's department."))
    return problems


def _raise_problems(problems: Mapping[str, list[StrOrPromise]]) -> None:
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidValue(
            "routing_rule.invalid",
            first,
            fields={field: list(messages) for field, messages in problems.items()},
        )


def _require_city_admin(actor: User | None, city: City) -> None:
    if actor is None or actor.is_superuser:
        return
    if not any(
        a.role == Role.CITY_ADMINISTRATOR and a.city_id == city.pk and a.office_id is None
        for a in offices_staff_of(user=actor)
    ):
        raise Forbidden(
            "routing_rule.forbidden",
            _("Only a city administrator of this city may change its routing rules."),
        )


def _normalised(
    rule: RoutingRule,
    *,
    name: str,
    department: str,
    service_codes: Iterable[str],
    weekdays: Iterable[int],
) -> None:
    rule.name = normalize_persian(name or "")
    rule.department = (department or "").strip().lower()
    rule.service_codes = list(dict.fromkeys(str(code).strip() for code in service_codes if str(code).strip()))
    days = list(weekdays)
    rule.weekdays = (
        sorted(set(days)) if all(isinstance(d, int) and not isinstance(d, bool) for d in days) else days
    )


# --- writes -----------------------------------------------------------------------------------


def _lock_city(city: City) -> None:
    City.objects.select_for_update().filter(pk=city.pk).values_list("pk", flat=True).first()


def _renumber(city: City, ordered: list[RoutingRule]) -> None:
    changed = []
    for index, rule in enumerate(ordered, start=1):
        if rule.position != index:
            rule.position = index
            changed.append(rule)
    if changed:
        RoutingRule.objects.bulk_update(changed, ["position"])


def _rules_in_order(city: City) -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(city=city).order_by("position", "pk"))


def routing_rule_create(
    *,
    city: City,
    name: str,
    actor: User | None,
    department: str = "",
    assignee: User | None = None,
    service_codes: Iterable[str] = (),
    zones: Iterable[Zone] = (),
    weekdays: Iterable[int] = (),
    time_from: time | None = None,
    time_until: time | None = None,
    position: int | None = None,
    is_active: bool = True,
) -> RoutingRule:
    """Add a rule to the city's list: at ``position`` (the rules from there move down one), or last."""
    _require_city_admin(actor, city)
    zone_list = list(zones)
    rule = RoutingRule(
        city=city, assignee=assignee, time_from=time_from, time_until=time_until, is_active=is_active
    )
    _normalised(rule, name=name, department=department, service_codes=service_codes, weekdays=weekdays)
    _raise_problems(routing_rule_problems(rule=rule, zones=zone_list))
    with transaction.atomic():
        _lock_city(city)
        ordered = _rules_in_order(city)
        index = len(ordered) if position is None else min(max(int(position), 1), len(ordered) + 1) - 1
        rule.position = index + 1
        rule.save(force_insert=True)
        rule.zones.set(zone_list)
        ordered.insert(index, rule)
        _renumber(city, ordered)
    return rule


def routing_rule_update(
    *,
    rule: RoutingRule,
    actor: User | None,
    name: str | _Unset = UNSET,
    department: str | _Unset = UNSET,
    assignee: User | _Unset | None = UNSET,
    service_codes: Iterable[str] | _Unset = UNSET,
    zones: Iterable[Zone] | _Unset = UNSET,
    weekdays: Iterable[int] | _Unset = UNSET,
    time_from: time | _Unset | None = UNSET,
    time_until: time | _Unset | None = UNSET,
    is_active: bool | _Unset = UNSET,
) -> RoutingRule:
    """Change a rule's conditions, outcome or active flag (its place: ``routing_rule_move``).

    Only the arguments given change; the result is checked as a whole before anything is saved.
    """
    _require_city_admin(actor, rule.city)
    with transaction.atomic():
        _lock_city(rule.city)
        current = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        zone_list = list(current.zones.all()) if isinstance(zones, _Unset) else list(zones)
        if not isinstance(assignee, _Unset):
            current.assignee = assignee
        if not isinstance(time_from, _Unset):
            current.time_from = time_from
        if not isinstance(time_until, _Unset):
            current.time_until = time_until
        if not isinstance(is_active, _Unset):
            current.is_active = bool(is_active)
        _normalised(
            current,
            name=current.name if isinstance(name, _Unset) else name,
            department=current.department if isinstance(department, _Unset) else department,
            service_codes=current.service_codes if isinstance(service_codes, _Unset) else service_codes,
            weekdays=current.weekdays if isinstance(weekdays, _Unset) else weekdays,
        )
        _raise_problems(routing_rule_problems(rule=current, zones=zone_list))
        current.updated_at = timezone.now()
        current.save()
        if not isinstance(zones, _Unset):
            current.zones.set(zone_list)
    _refresh(rule, current)
    return current


def routing_rule_move(*, rule: RoutingRule, position: int, actor: User | None = None) -> RoutingRule:
    """Put the rule at ``position`` (1 = first; beyond the end = last); the others are renumbered
    1…n in their order."""
    _require_city_admin(actor, rule.city)
    with transaction.atomic():
        _lock_city(rule.city)
        ordered = _rules_in_order(rule.city)
        moving = next((r for r in ordered if r.pk == rule.pk), None)
        if moving is None:
            raise InvalidValue("routing_rule.missing", _("This routing rule no longer exists."))
        ordered.remove(moving)
        index = min(max(int(position), 1), len(ordered) + 1) - 1
        ordered.insert(index, moving)
        _renumber(rule.city, ordered)
    rule.position = moving.position
    return rule


def routing_rule_deactivate(*, rule: RoutingRule, actor: User | None = None) -> RoutingRule:
    """Stop using the rule (it keeps its place and can be switched on again by an update)."""
    _require_city_admin(actor, rule.city)
    with transaction.atomic():
        _lock_city(rule.city)
        RoutingRule.objects.filter(pk=rule.pk).update(is_active=False, updated_at=timezone.now())
    rule.is_active = False
    return rule


def _refresh(stale: RoutingRule, fresh: RoutingRule) -> None:
    for field in RoutingRule._meta.concrete_fields:
        setattr(stale, field.attname, getattr(fresh, field.attname))


# --- choosing and applying ----------------------------------------------------------------------


def _select(*, case: Case, at: datetime) -> tuple[RoutingRule, User | None] | None:
    """The winning rule and the person it assigns (None when it assigns nobody, or its person no
    longer qualifies). Three queries at most; none for services that are not routed."""
    service_type = case.service_version.service_type  # loaded already at filing
    if not is_routed(service_type):
        return None
    local = timezone.localtime(at, city_timezone(city=case.city))
    rules = list(
        RoutingRule.objects.filter(city_id=case.city_id, is_active=True)
        .select_related("assignee")
        .prefetch_related("zones")
        .order_by("position", "pk")
    )
    covered = _municipal_departments(
        city_id=case.city_id, user_ids={r.assignee_id for r in rules if r.assignee_id is not None}
    )
    code = service_type.code
    for rule in rules:
        zone_ids = {zone.pk for zone in rule.zones.all()}
        if not (
            rule.matches_service(code)
            and rule.matches_zone(case.zone_id, zone_ids)
            and rule.matches_time(local)
        ):
            continue
        person: User | None = None
        if rule.assignee_id is not None and _covers(
            covered.get(rule.assignee_id), rule.department or case.department
        ):
            person = rule.assignee
        if not rule.department and person is None:
            continue  # a person-only rule whose person can no longer take the case
        return rule, person
    return None


def route_for(*, case: Case, at: datetime) -> RoutingRule | None:
    """The rule that routes the case filed at ``at``: the first active matching rule of its city,
    or None (the case keeps its catalogue department). Reads only."""
    selected = _select(case=case, at=at)
    return selected[0] if selected is not None else None


def _person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def case_route(*, case: Case) -> RoutingRule | None:
    """Route a case just filed: the winning rule's department and/or person go on the case and an
    internal timeline entry names the rule. Runs in the caller's transaction (the filing's)."""
    selected = _select(case=case, at=case.created_at)
    if selected is None:
        return None
    rule, person = selected
    with transaction.atomic():
        fields: list[str] = []
        if rule.department and rule.department != case.department:
            case.department = rule.department
            fields.append("department")
        if person is not None and case.assignee_id != person.pk:
            case.assignee = person
            fields.append("assignee")
        if fields:
            case.save(update_fields=fields)
        targets = []
        if rule.department:
            targets.append(f"واحد {rule.department}")
        if person is not None:
            targets.append(f"کارشناس {_person_name(person)}")
        payload: dict[str, Any] = {
            "rule": rule.pk,
            "rule_name": rule.name,
            "department": case.department,
            "assignee": person.pk if person is not None else None,
        }
        if rule.assignee_id is not None and person is None:
            payload["assignee_skipped"] = rule.assignee_id
        case_event_append(
            case=case,
            kind=EventKind.NOTE,
            actor=None,
            public=False,
            action=ROUTE_ACTION,
            message=f"ارجاع خودکار به {' و '.join(targets)} (قاعده «{rule.name}»)",
            payload=payload,
        )
    return rule
