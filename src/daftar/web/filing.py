"""Filing from the generated form: the all-or-nothing work is the documents service's own."""

from __future__ import annotations

from daftar.accounts.models import Person, User
from daftar.cases.models import Case
from daftar.catalog.models import ServiceVersion
from daftar.documents.services import DocumentRefused, case_file_with_documents
from daftar.offices.models import Office

from .intake_form import IntakeForm

__all__ = ["DocumentRefused", "file_with_documents"]


def file_with_documents(
    *,
    form: IntakeForm,
    service: ServiceVersion,
    applicant: Person,
    office: Office | None,
    channel: str,
    actor: User,
) -> Case:
    """File the case with the form's files (see ``case_file_with_documents``)."""
    files = [(code, upload.read(), upload.name or code) for code, upload in form.uploads()]
    return case_file_with_documents(
        service=service,
        applicant=applicant,
        office=office,
        channel=channel,
        data=form.intake_data(),
        actor=actor,
        files=files,
        idempotency_key=form.idempotency_key() or None,
        location=form.location(),
    )
