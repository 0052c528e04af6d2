"""Workflow guards about a case's documents (names usable in any workflow definition)."""

from __future__ import annotations

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case
from daftar.core.i18n import pick
from daftar.workflow.registry import GuardResult, guards

from .selectors import ChecklistRow, checklist_missing, checklist_unverified, document_checklist

NOT_UPLOADED = _("These required documents have not been uploaded (or were rejected): %(names)s.")
NOT_VERIFIED = _("These required documents have not been verified yet: %(names)s.")


@guards.register("documents_uploaded")
def documents_uploaded(case: Case) -> GuardResult:
    """Every required document has a current upload that was not rejected."""
    missing = checklist_missing(document_checklist(case=case))
    return GuardResult.failed(_naming(NOT_UPLOADED, missing)) if missing else GuardResult.passed()


@guards.register("documents_verified")
def documents_verified(case: Case) -> GuardResult:
    """Every required document's current upload has been verified."""
    unverified = checklist_unverified(document_checklist(case=case))
    return GuardResult.failed(_naming(NOT_VERIFIED, unverified)) if unverified else GuardResult.passed()


def _naming(message: Promise, rows: list[ChecklistRow]) -> str | Promise:
    """The message naming the documents, in the language active when it is shown."""
    names = [(row.name_fa, row.name_en) for row in rows]

    def render() -> str:
        return str(message) % {"names": pick("، ", ", ").join(pick(fa, en) for fa, en in names)}

    return lazy(render, str)()
