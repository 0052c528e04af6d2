"""Routing at filing: the winning rule's department and person land on the case in the filing
transaction, an internal timeline entry names the rule, and the department's inbox shows the case."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from daftar.accounts.models import User
from daftar.cases.models import Case, CaseEvent, EventKind
from daftar.cases.selectors import case_events_for, case_roles_of, inbox_for
from daftar.cases.services import Location, case_file
from daftar.complaints.routing import ROUTE_ACTION, case_route
from daftar.offices.models import City, Office, Zone
from daftar.testing import shipped_service

from . import test_routing as shared
from .test_routing import make_user, municipal, rule

# The street-light report and the staff of the routing tests, shared.
street_light = shared.street_light
file_report = shared.file_report
lighting_reviewer = shared.lighting_reviewer
roads_reviewer = shared.roads_reviewer
pothole = shared.pothole

pytestmark = pytest.mark.django_db


def _inbox(user: User) -> list[Case]:
    return list(Case.objects.filter(pk__in=[row.case.pk for row in inbox_for(user=user).rows]).order_by("pk"))


def test_a_filed_report_takes_the_rule_department_and_person(
    file_report: Any, city: City, lighting_reviewer: User
) -> None:
    rule(city, "روشنایی", service_codes=["report.street_light"], assignee=lighting_reviewer)
    case = file_report()
    stored = Case.objects.get(pk=case.pk)
    assert (stored.department, stored.assignee) == ("lighting", lighting_reviewer)
    assert (case.department, case.assignee) == ("lighting", lighting_reviewer)


def test_routing_adds_an_internal_timeline_entry_naming_the_rule(
    file_report: Any, city: City, lighting_reviewer: User, citizen_user: Any
) -> None:
    chosen = rule(city, "روشنایی معابر", assignee=lighting_reviewer)
    case = file_report()
    event = CaseEvent.objects.get(case=case, action=ROUTE_ACTION)
    assert event.kind == EventKind.NOTE
    assert event.public is False
    assert event.message.startswith("ارجاع خودکار به")
    assert "روشنایی معابر" in event.message
    assert "رضا نوری" in event.message
    assert event.payload["rule"] == chosen.pk
    assert event.payload["department"] == "lighting"
    applicant_view = case_events_for(case=case, roles=case_roles_of(case=case, user=citizen_user))
    assert not applicant_view.filter(action=ROUTE_ACTION).exists()
    staff_view = case_events_for(case=case, roles=case_roles_of(case=case, user=lighting_reviewer))
    assert staff_view.filter(action=ROUTE_ACTION).exists()


def test_the_routed_department_sees_the_case_in_its_inbox_and_another_department_does_not(
    file_report: Any, city: City, lighting_reviewer: User, roads_reviewer: User
) -> None:
    everyone = municipal(make_user("allreviewer"), city)  # no department: every department
    unrouted = file_report()
    assert _inbox(lighting_reviewer) == []  # urban_services, the catalogue's department
    rule(city, "روشنایی")
    routed = file_report()
    assert _inbox(lighting_reviewer) == [routed]
    assert _inbox(roads_reviewer) == []
    assert set(_inbox(everyone)) == {routed, unrouted}
    assert case_roles_of(case=routed, user=lighting_reviewer) == {"municipal_reviewer"}
    assert case_roles_of(case=routed, user=roads_reviewer) == set()


def test_without_a_matching_rule_the_case_keeps_its_catalogue_department_and_no_entry(
    file_report: Any, pothole: Any, city: City, zone: Zone, lighting_reviewer: User
) -> None:
    rule(city, "فقط چاله‌ها", service_codes=["report.pothole"])
    case = file_report()
    assert Case.objects.get(pk=case.pk).department == "urban_services"
    assert case.assignee is None
    assert not CaseEvent.objects.filter(case=case, action=ROUTE_ACTION).exists()


def test_a_service_that_is_not_routed_is_untouched_at_filing(
    filed_case: Any, city: City, lighting_reviewer: User
) -> None:
    # The rule exists before the filing below; a building certificate still goes to its own department.
    rule(city, "همه")
    case = case_file(
        service=filed_case.service_version,
        applicant=filed_case.applicant,
        office=filed_case.office,
        channel="office",
        data=filed_case.data,
        actor=filed_case.filed_by,
    )
    assert Case.objects.get(pk=case.pk).department == filed_case.service_version.department
    assert not CaseEvent.objects.filter(case=case, action=ROUTE_ACTION).exists()


def test_a_complaint_filed_at_an_office_is_routed_too(
    categories: None, office: Office, operator_user: User, citizen_user: Any, city: City
) -> None:
    complaint = shipped_service("complaints.yaml", "complaint.neighbour")
    legal = municipal(make_user("legal1"), city, department="legal_affairs")
    rule(city, "شکایات به امور حقوقی", service_codes=["complaint.neighbour"], department="legal_affairs")
    case = case_file(
        service=complaint,
        applicant=citizen_user.person,
        office=office,
        channel="office",
        data={
            "subject": "construction_damage",
            "respondent_address": "تهران، ونک، کوچه دوم، پلاک ۸",
            "complainant_status": "owner",
            "details": "ساخت‌وساز همسایه به دیوار مشترک ترک انداخته است",
        },
        actor=operator_user,
        location=Location(latitude=Decimal("35.758"), longitude=Decimal("51.411")),
    )
    assert Case.objects.get(pk=case.pk).department == "legal_affairs"
    assert _inbox(legal) == [case]


def test_routing_reads_the_rules_at_the_moment_the_case_was_filed(
    file_report: Any, city: City, lighting_reviewer: User
) -> None:
    case = file_report()
    friday_night = datetime(2026, 11, 20, 23, 30, tzinfo=ZoneInfo("Asia/Tehran"))
    Case.objects.filter(pk=case.pk).update(created_at=friday_night)
    case.refresh_from_db()
    night = rule(city, "شب جمعه", weekdays=[4], time_from=time(22), time_until=time(6))
    assert case_route(case=case) == night
    assert Case.objects.get(pk=case.pk).department == "lighting"
    Case.objects.filter(pk=case.pk).update(created_at=friday_night.replace(hour=12))
    case.refresh_from_db()
    assert case_route(case=case) is None
