"""Helpers for the licensing page tests: an application brought to a given stage through the real
services (documents verified, fee paid, exam and interview held, premises visited, approved)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import case_act
from daftar.catalog.models import ServiceVersion
from daftar.licensing.models import Assessment, OfficeLicence
from daftar.licensing.services import assessment_record, assessment_schedule, site_visit_record
from daftar.licensing.tests.builders import EQUIPMENT_ALL, apply, verify_documents

LICENCE = "licensing.office_licence"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def jpeg_upload(name: str = "front.jpg", colour: tuple[int, int, int] = (180, 40, 40)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def at_exam(service: ServiceVersion, user: User, officer: User, pay: Callable[[Case], Any]) -> Case:
    """A filed application whose documents were accepted and whose fee is paid: at the exam."""
    case = apply(service, user)
    verify_documents(case, officer)
    case = case_act(case=case, action="accept_documents", actor=officer, expected_version=case.version)
    pay(case)
    case.refresh_from_db()
    assert case.state == "exam"
    return case


def hold(case: Case, kind: str, officer: User, score: int, capture: Any) -> Case:
    """Schedule the exam or interview, let it take place, record the score (the case moves on)."""
    assessment_schedule(
        case=case,
        kind=kind,
        scheduled_at=timezone.now() + timedelta(days=2),
        place="ساختمان فناوری شهرداری، سالن ۲",
        actor=officer,
    )
    held_earlier(case, kind)
    with capture(execute=True):
        assessment_record(case=case, kind=kind, actor=officer, score=score)
    case.refresh_from_db()
    return case


def held_earlier(case: Case, kind: str) -> None:
    """The scheduled exam or interview took place an hour ago (a test cannot wait for it)."""
    Assessment.objects.filter(application__case=case, kind=kind).update(
        scheduled_at=timezone.now() - timedelta(hours=1)
    )


def at_site_visit(
    service: ServiceVersion, user: User, officer: User, pay: Callable[[Case], Any], capture: Any
) -> Case:
    case = at_exam(service, user, officer, pay)
    hold(case, "exam", officer, 75, capture)
    case = hold(case, "interview", officer, 70, capture)
    assert case.state == "site_visit"
    return case


def licensed(
    service: ServiceVersion,
    user: User,
    officer: User,
    inspector: User,
    pay: Callable[[Case], Any],
    capture: Any,
) -> OfficeLicence:
    """An application taken all the way: the office is created, active and licensed."""
    case = at_site_visit(service, user, officer, pay, capture)
    with capture(execute=True):
        site_visit_record(
            case=case,
            actor=inspector,
            measured_area_m2=Decimal("82.5"),
            building_use="commercial",
            equipment=EQUIPMENT_ALL,
            latitude="35.7601",
            longitude="51.4302",
        )
    case.refresh_from_db()
    case = case_act(
        case=case,
        action="approve",
        actor=officer,
        expected_version=case.version,
        reason="همه شرایط احراز شد؛ صدور مجوز تأیید می‌شود.",
    )
    return OfficeLicence.objects.select_related("office", "certificate").get(application=case)
