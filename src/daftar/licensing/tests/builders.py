"""Builders for licensing tests: the shipped catalogue's licensing services, an open call, staff,
and an application that passes every rule unless a test changes one thing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils import timezone

from daftar.accounts.models import Person, User
from daftar.cases.models import Case
from daftar.cases.services import Location
from daftar.catalog.models import ServiceCategory, ServiceVersion
from daftar.catalog.services import service_entry_compile, service_version_load
from daftar.documents.models import Document
from daftar.documents.services import case_file_with_documents, document_review
from daftar.documents.tests.samples import pdf_bytes
from daftar.offices.models import City, Zone
from daftar.offices.services import staff_assign

from ..models import ApplicationCall
from ..services import call_open

# Inside the test zone (district 3 of the shared conftest: 51.40–51.46 E, 35.74–35.79 N).
INSIDE = Location(
    latitude=Decimal("35.7600"), longitude=Decimal("51.4300"), address="تهران، خیابان ملاصدرا، پلاک ۴۰"
)
PASSING_DATA: dict[str, Any] = {
    "person_type": "real",
    "nationality": "iranian",
    "office_name": "دفتر خدمات الکترونیک شهر ملاصدرا",
    "degree_level": "bachelor",
    "degree_field": "it",
    "experience_years": 5,
    "experience_field": "it",
    "course_e_city_services": True,
    "course_citizen_rights": True,
    "course_information_security": True,
    "is_state_employee": False,
    "represents_other_office": False,
    "premises_address": "تهران، خیابان ملاصدرا، پلاک ۴۰، طبقه همکف",
    "premises_postal_code": "1991833511",
    "premises_use": "commercial",
    "premises_tenure": "leased",
    "premises_area_m2": 80,
    "counters": 3,
    "office_phone": "02188001122",
    "has_computers": True,
    "has_fast_internet": True,
    "has_printer": True,
    "has_sign": True,
    "has_visitor_facilities": True,
}
EQUIPMENT_ALL = dict.fromkeys(
    ("has_computers", "has_fast_internet", "has_printer", "has_sign", "has_visitor_facilities"), True
)


def licensing_services(
    *, codes: tuple[str, ...] = ("licensing.office_licence", "licensing.office_licence_renewal")
) -> dict[str, ServiceVersion]:
    """Load the shipped licensing services (categories must be loaded: the ``categories`` fixture)."""
    entries = yaml.safe_load(
        (Path(settings.DAFTAR_CATALOG_DIR) / "office_licensing.yaml").read_text(encoding="utf-8")
    )
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    loaded = {}
    for entry in entries:
        if entry["code"] in codes:
            version, _changed = service_version_load(
                compiled=service_entry_compile(entry, workflows={}, categories=categories)
            )
            loaded[entry["code"]] = version
    return loaded


def municipal_user(city: City, username: str, role: str) -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405")
    staff_assign(user=user, role=role, city=city)
    return user


def open_call(city: City, zone: Zone, *, actor: User, places: int = 2, **extra: Any) -> ApplicationCall:
    now = timezone.now()
    return call_open(
        city=city,
        title=extra.pop("title", "فراخوان جذب دفاتر خدمات الکترونیک شهر ۱۴۰۵"),
        opens_at=extra.pop("opens_at", now - timedelta(days=1)),
        closes_at=extra.pop("closes_at", now + timedelta(days=30)),
        quotas=extra.pop("quotas", {zone.number: places}),
        actor=actor,
        **extra,
    )


_SEQUENCE = [0]


def applicant(national_code: str = "0012345679", mobile: str = "09121112233") -> User:
    person = Person.objects.create(
        national_code=national_code, first_name="نادر", last_name="کاظمی", mobile=mobile
    )
    return User.objects.create_user(username=mobile, mobile=mobile, person=person)


def all_documents(service: ServiceVersion) -> list[tuple[str, bytes, str]]:
    return [
        (spec["code"], pdf_bytes(), f"{spec['code']}.pdf") for spec in service.documents if spec["required"]
    ]


def apply(service: ServiceVersion, user: User, *, location: Location = INSIDE, **changes: Any) -> Case:
    data = {**PASSING_DATA, **changes}
    return case_file_with_documents(
        service=service,
        applicant=user.person,  # type: ignore[arg-type]
        office=None,
        channel="online",
        data=data,
        actor=user,
        files=all_documents(service),
        location=location,
    )


def verify_documents(case: Case, officer: User, *, reject: dict[str, str] | None = None) -> None:
    """Verify every current document, or reject the named ones with the given reasons."""
    for document in Document.objects.filter(case=case, superseded=False):
        reason = (reject or {}).get(document.requirement)
        document_review(document=document, actor=officer, verified=reason is None, reason=reason or "")


def hold_assessment(
    case: Case, kind: str, officer: User, capture: Any, *, score: Any = 75, absent: bool = False
) -> Case:
    """Schedule the exam or interview, let its time pass, record the result; the case moves on."""
    from ..models import Assessment
    from ..services import assessment_record, assessment_schedule

    assessment_schedule(
        case=case,
        kind=kind,
        scheduled_at=timezone.now() + timedelta(days=3),
        place="سالن آزمون",
        actor=officer,
    )
    Assessment.objects.filter(application__case=case, kind=kind).update(
        scheduled_at=timezone.now() - timedelta(hours=1)
    )
    with capture(execute=True):
        assessment_record(case=case, kind=kind, actor=officer, score=None if absent else score, absent=absent)
    case.refresh_from_db()
    return case


def visit(case: Case, inspector: User, capture: Any, **changes: Any) -> Case:
    from ..services import site_visit_record

    values: dict[str, Any] = {
        "measured_area_m2": "82.5",
        "building_use": "commercial",
        "equipment": EQUIPMENT_ALL,
        "latitude": "35.7601",
        "longitude": "51.4302",
        **changes,
    }
    with capture(execute=True):
        site_visit_record(case=case, actor=inspector, **values)
    case.refresh_from_db()
    return case


def to_stage(case: Case, stage: str, *, officer: User, inspector: User, pay: Any, capture: Any) -> Case:
    """Move a passing application on to ``stage`` (exam, interview, site_visit or decision)."""
    from daftar.cases.services import case_act

    order = ["exam", "interview", "site_visit", "decision"]
    verify_documents(case, officer)
    case = case_act(case=case, action="accept_documents", actor=officer, expected_version=case.version)
    pay(case)
    for step in order[: order.index(stage)]:
        if step in ("exam", "interview"):
            case = hold_assessment(case, step, officer, capture)
        else:
            case = visit(case, inspector, capture)
    assert case.state == stage, case.state
    return case
