"""Inquiries in the workflow: the send_inquiries effect, guards over answers, the agencies data file."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case
from daftar.catalog.services import data_loaders
from daftar.outbox.registry import secrets as outbox_secrets
from daftar.workflow.registry import EffectContext, GuardResult, effects, guards

from .selectors import inquiries_status


@effects.register("send_inquiries")
def send_inquiries(case: Case, context: EffectContext) -> None:
    from .services import inquiries_send

    inquiries_send(case=case, step=context.to_state)


@guards.register("inquiries_answered")
def inquiries_answered(case: Case) -> GuardResult:
    answered, _positive, _issue = inquiries_status(case=case)
    return GuardResult.passed() if answered else GuardResult.failed(_("Some inquiries are still unanswered."))


@guards.register("inquiries_answered_positively")
def inquiries_answered_positively(case: Case) -> GuardResult:
    _answered, positive, _issue = inquiries_status(case=case)
    if positive:
        return GuardResult.passed()
    return GuardResult.failed(_("Not every inquiry has been answered without objection."))


@guards.register("inquiries_with_objection")
def inquiries_with_objection(case: Case) -> GuardResult:
    _answered, _positive, issue = inquiries_status(case=case)
    if issue:
        return GuardResult.passed()
    return GuardResult.failed(_("No inquiry was answered with an objection or a condition."))


@data_loaders.register("agencies.yaml")
def load_agencies(path: Path) -> int:
    from .services import agencies_load

    return agencies_load(path=path)


@outbox_secrets.register("agency")
def agency_webhook_secret(code: str) -> str:
    """The webhook secret of an agency (read at delivery time, so a rotated secret applies at once)."""
    from .models import Agency

    return Agency.objects.filter(code=code).values_list("webhook_secret", flat=True).first() or ""
