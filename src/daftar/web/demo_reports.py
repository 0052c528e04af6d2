"""The demo city's citizen reports: routing rules, and a handful of reports in every stage — one
resolved and still reopenable, two close together (a duplicate hint), one with an address only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from typing import Any

from daftar.accounts.models import Person, User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.cases.services import Location, case_act, case_file
from daftar.catalog.selectors import service_current
from daftar.complaints.models import RoutingRule
from daftar.complaints.routing import routing_rule_create
from daftar.offices.models import City, Zone

# (name, services, districts, weekdays, from, until, department, assignee role)
RULES: tuple[tuple[str, tuple[str, ...], tuple[int, ...], tuple[str, str] | None, str, str], ...] = (
    (
        "شیفت شب: گزارش‌های فوری به کشیک خدمات شهری",
        ("report.hazardous_tree", "report.blocked_drain"),
        (),
        ("22:00", "06:00"),
        "urban_services",
        Role.TECHNICAL_INSPECTOR.value,
    ),
    (
        "روشنایی، آسفالت، حفاری و آبرو: عمران",
        ("report.street_light", "report.pothole", "report.open_excavation", "report.blocked_drain"),
        (),
        None,
        "civil_works",
        "",
    ),
    (
        "پسماند و فضای سبز: خدمات شهری",
        ("report.waste_not_collected", "report.illegal_dumping", "report.hazardous_tree"),
        (),
        None,
        "urban_services",
        "",
    ),
    ("شکایت از دفاتر: نظارت بر دفاتر", ("complaint.office_conduct",), (), None, "office_supervision", ""),
)


def _rules(city: City, staff: Mapping[str, User]) -> None:
    for name, services, districts, window, department, role in RULES:
        routing_rule_create(
            city=city,
            name=name,
            actor=None,
            department=department,
            assignee=staff.get(role) if role else None,
            service_codes=services,
            zones=list(Zone.objects.filter(city=city, number__in=districts)),
            time_from=time.fromisoformat(window[0]) if window else None,
            time_until=time.fromisoformat(window[1]) if window else None,
        )


REPORTS: tuple[tuple[str, dict[str, Any], tuple[str, str] | None, str, str], ...] = (
    # service, intake, point (lat, lon) or None for an address only, address, how far to take it
    (
        "report.street_light",
        {"problem": "off", "pole_number": "۳-۲۱۴", "description": "سه چراغ پشت سر هم خاموش است"},
        ("35.757800", "51.410300"),
        "تهران، ونک، خیابان ملاصدرا، نبش شیراز شمالی",
        "in_progress",
    ),
    (
        "report.street_light",
        {"problem": "flickering", "description": "چراغ چشمک می‌زند و شب‌ها کوچه تاریک است"},
        ("35.758100", "51.410900"),
        "تهران، ونک، خیابان ملاصدرا، کوچه دوم",
        "submitted",
    ),
    (
        "report.open_excavation",
        {
            "hazards": ["no_fence", "debris"],
            "contractor": "شرکت گاز",
            "description": "ترانشه گاز بدون حفاظ و با خاک رها شده رها شده است",
        },
        ("35.762000", "51.430000"),
        "تهران، خیابان شریعتی، روبروی پارک",
        "resolved",
    ),
    (
        "report.waste_not_collected",
        {
            "waste_type": "bin_overflow",
            "days_uncollected": 3,
            "description": "مخزن سر کوچه سه روز است خالی نشده",
        },
        None,
        "تهران، نارمک، میدان هفت‌حوض، کوچه گلبرگ",
        "submitted",
    ),
)


def _reports(city: City, citizen: Person, user: User, reviewer: User) -> None:
    for index, (code, data, point, address, stage) in enumerate(REPORTS):
        service = service_current(code=code)
        if service is None:
            continue
        location = Location(
            latitude=Decimal(point[0]) if point else None,
            longitude=Decimal(point[1]) if point else None,
            address=address,
        )
        case = case_file(
            service=service,
            applicant=citizen,
            office=None,
            channel="online",
            data=data,
            actor=user,
            idempotency_key=f"demo-report-{index}",
            location=location,
        )
        if stage in ("in_progress", "resolved"):
            case = case_act(case=case, action="accept", actor=reviewer, expected_version=case.version)
        if stage == "resolved":
            case_act(
                case=case,
                action="resolve",
                actor=reviewer,
                expected_version=case.version,
                reason="حفاظ و چراغ هشدار نصب شد و خاک‌ها جمع شد.",
            )


def demo_reports_load(*, city: City, staff: Mapping[str, User], citizen: User) -> None:
    """Load once: skipped when the city already has routing rules."""
    if RoutingRule.objects.filter(city=city).exists() or citizen.person is None:
        return
    _rules(city, staff)
    if not Case.objects.filter(filed_by=citizen, idempotency_key__startswith="demo-report-").exists():
        _reports(city, citizen.person, citizen, staff[Role.MUNICIPAL_REVIEWER.value])
