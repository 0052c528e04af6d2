"""The engine's own guards and effects (names usable in any workflow definition)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import PersonKind
from daftar.workflow.registry import EffectContext, GuardResult, effects, guards

from .models import Case
from .notifications import notify_case_state


@guards.register("has_location")
def has_location(case: Case) -> GuardResult:
    if case.latitude is not None and case.longitude is not None:
        return GuardResult.passed()
    return GuardResult.failed(_("The case has no location on the map."))


@guards.register("applicant_is_real_person")
def applicant_is_real_person(case: Case) -> GuardResult:
    if case.applicant.kind == PersonKind.REAL:
        return GuardResult.passed()
    return GuardResult.failed(_("The applicant must be a real person."))


@guards.register("applicant_is_legal_person")
def applicant_is_legal_person(case: Case) -> GuardResult:
    if case.applicant.kind == PersonKind.LEGAL:
        return GuardResult.passed()
    return GuardResult.failed(_("The applicant must be a legal entity."))


@effects.register("notify_applicant")
def notify_applicant(case: Case, context: EffectContext) -> None:
    # Effects run inside the acting transaction: the SMS is written to the outbox with the change.
    notify_case_state(case=case)


@effects.register("assign_to_actor")
def assign_to_actor(case: Case, context: EffectContext) -> None:
    if context.actor is not None:
        Case.objects.filter(pk=case.pk).update(assignee=context.actor)
        case.assignee = context.actor
