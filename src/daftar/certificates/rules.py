"""The workflow effect that issues a case's output document (certificate, permit, licence…)."""

from __future__ import annotations

from daftar.cases.models import Case
from daftar.workflow.registry import EffectContext, effects

from .services import certificate_issue


@effects.register("issue_certificate")
def issue_certificate(case: Case, context: EffectContext) -> None:
    certificate_issue(case=case, actor=context.actor)
