"""Demo case files, so every demo account opens to a realistic inbox.

Cases are filed and moved through the real services (no shortcuts into the database), so the demo
shows exactly what the engine does: a fresh filing waiting for review (its fees unpaid), one sent
back for correction, one at inspection, an issued licence whose certificate verifies, and
inquiries out with the agencies; the fees of the cases that moved on were paid at the counter.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from PIL import Image

from daftar.accounts.models import Person, User
from daftar.billing.models import PAYABLE_STATUSES
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.selectors import bills_of_case
from daftar.cases.models import Case
from daftar.cases.services import Location, case_act, case_auto_advance, case_file
from daftar.catalog.selectors import service_current
from daftar.documents.models import Document
from daftar.documents.services import document_review, document_upload
from daftar.offices.models import Office

NO_VIOLATION = {
    "renewal_code": "3-123-45-6-7-8",
    "permit_number": "1401/2210",
    "construction_stage": "frame",
    "purpose": "bank_loan",
}
PERMIT = {
    "renewal_code": "3-88-41-2-1-9",
    "deed_number": "11234/5",
    "land_area_m2": 240,
    "floors": 5,
    "units": 8,
    "use": "residential",
    "engineer_national_code": "0084575948",
    "engineer_name": "کامران صالحی",
    "engineer_membership_number": "1-12-3456",
    "engineer_mobile": "09123334455",
}
LICENCE = {
    "business_name": "نانوایی سنگک برکت",
    "trade": "نانوایی",
    "renewal_code": "6-44-12-3",
    "postal_code": "1591634311",
    "area_m2": 65,
    "ownership": "leased",
}
UTILITIES = {
    "renewal_code": "3-123-45-6-7-8",
    "water_bill_id": "1234567890",
    "electricity_bill_id": "9876543210",
    "purpose": "transfer",
}
STREET_LINE = {
    "renewal_code": "3-88-41-2-1-9",
    "deed_number": "11234/5",
    "registration_plate": "1234/56",
    "purpose": "construction",
}
COMPLETION = {
    "renewal_code": "3-123-45-6-7-8",
    "permit_number": "1402/3345",
    "permit_date": "1402/03/15",
    "floors": 5,
    "units": 8,
    "supervisor_membership_number": "1-12-9876",
}


def _sample_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 245)).save(buffer, "PDF")
    return buffer.getvalue()


def _intake_for(code: str, wanted: Mapping[str, Any]) -> dict[str, Any] | None:
    """The demo values the service's current schema knows (schemas may evolve); None if unusable."""
    service = service_current(code=code)
    if service is None:
        return None
    properties = service.intake_schema.get("properties", {})
    data = {key: value for key, value in wanted.items() if key in properties}
    missing = [key for key in service.intake_schema.get("required", []) if key not in data]
    return None if missing else data


def _file(
    code: str, data: Mapping[str, Any], *, office: Office, operator: User, applicant: Person, key: str
) -> Case | None:
    intake = _intake_for(code, data)
    service = service_current(code=code)
    if intake is None or service is None:
        return None
    location = None
    if service.location != "none":
        location = Location(
            latitude=Decimal("35.7575"),
            longitude=Decimal("51.4100"),
            address="تهران، میدان ونک، خیابان ملاصدرا",
        )
    return case_file(
        service=service,
        applicant=applicant,
        office=office,
        channel="office",
        data=intake,
        actor=operator,
        idempotency_key=f"demo-{key}",
        location=location,
    )


def _upload_all(case: Case, operator: User) -> list[Document]:
    pdf = _sample_pdf()
    uploads = []
    for requirement in case.service_version.documents:
        if requirement["required"] and "application/pdf" in requirement["types"]:
            uploads.append(
                document_upload(
                    case=case,
                    requirement=requirement["code"],
                    content=pdf,
                    file_name=f"{requirement['code']}.pdf",
                    actor=operator,
                )
            )
    return uploads


def _move(case: Case, action: str, actor: User, reason: str = "") -> Case:
    case.refresh_from_db()
    case_act(case=case, action=action, actor=actor, expected_version=case.version, reason=reason)
    # The demo loads in one transaction; automatic transitions (a paid case leaving
    # awaiting_payment) would otherwise wait for its commit.
    return case_auto_advance(case_id=case.pk)


def _pay_at_counter(case: Case, operator: User) -> None:
    """The applicant pays the case's fees on the office's card terminal when filing."""
    assert case.office is not None
    for bill in bills_of_case(case_id=case.pk).filter(status__in=PAYABLE_STATUSES):
        payment_collect_at_counter(
            bill=bill, office=case.office, actor=operator, terminal_reference=f"88{case.pk:06d}{bill.pk:04d}"
        )


def demo_cases_load(*, office: Office, applicant: Person, staff: Mapping[str, User]) -> int:
    """File the demo cases once (idempotent through their idempotency keys); returns how many exist."""
    operator, reviewer = staff["office_operator"], staff["municipal_reviewer"]
    if Case.objects.filter(filed_by=operator, idempotency_key__startswith="demo-").exists():
        return Case.objects.filter(filed_by=operator, idempotency_key__startswith="demo-").count()

    def file(code: str, data: Mapping[str, Any], key: str) -> Case | None:
        return _file(code, data, office=office, operator=operator, applicant=applicant, key=key)

    waiting = file("building.no_violation_certificate", NO_VIOLATION, key="no-violation")
    if waiting is not None:
        _upload_all(waiting, operator)

    correction = file("building.new_construction_permit", PERMIT, key="permit")
    if correction is not None:
        uploads = _upload_all(correction, operator)
        if uploads:
            document_review(
                document=uploads[0],
                actor=reviewer,
                verified=False,
                reason="تصویر سند خوانا نیست؛ لطفاً نسخه واضح‌تری بارگذاری کنید.",
            )

    inspection = file("building.completion_certificate", COMPLETION, key="completion")
    if inspection is not None:
        _pay_at_counter(inspection, operator)
        for document in _upload_all(inspection, operator):
            document_review(document=document, actor=reviewer, verified=True)
        _move(inspection, "accept", reviewer)

    licence = file("business.new_licence", LICENCE, key="licence")
    if licence is not None:
        _pay_at_counter(licence, operator)
        officer, inspector = staff["licensing_officer"], staff["technical_inspector"]
        for document in _upload_all(licence, operator):
            document_review(document=document, actor=officer, verified=True)
        _move(licence, "accept", officer)
        _move(licence, "record_inspection", inspector, reason="محل کسب بازدید شد و با مدارک مطابقت دارد.")
        _move(licence, "approve", officer)

    # Inquiries: the utilities answer through the agency simulator; the street-line unit's clerk
    # ("agency") answers on the web page.
    for code, data, key in (
        ("inquiry.utilities", UTILITIES, "utilities"),
        ("inquiry.street_line", STREET_LINE, "street-line"),
    ):
        inquiring = file(code, data, key=key)
        if inquiring is not None:
            _pay_at_counter(inquiring, operator)
            _upload_all(inquiring, operator)
            _move(inquiring, "accept", reviewer)
    return Case.objects.filter(filed_by=operator, idempotency_key__startswith="demo-").count()
