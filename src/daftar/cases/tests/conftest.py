"""A plain service for engine tests: no document guard, so each rule is tested on its own."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from daftar.catalog.models import ServiceCategory
from daftar.catalog.services import service_entry_compile, service_version_load
from daftar.conftest import TEST_SERVICE
from daftar.offices.models import City, Office
from daftar.offices.services import staff_assign

PLAIN_WORKFLOW = {
    "start": "submitted",
    "states": {
        "submitted": {
            "name": {"fa": "در انتظار بررسی"},
            "sla_working_days": 2,
            "on_overdue": {"escalate_to": ["city_administrator"]},
            "actions": {"accept": {"to": "approval", "roles": ["municipal_reviewer"]}},
        },
        "approval": {
            "name": {"fa": "در انتظار تأیید"},
            "sla_working_days": 3,
            "actions": {
                "approve": {"to": "done", "roles": ["municipal_reviewer"], "effects": ["notify_applicant"]},
                "note": {
                    "to": "approval",
                    "roles": ["municipal_reviewer"],
                    "reason": "required",
                    "public": False,
                },
            },
        },
        "done": {"name": {"fa": "انجام شد"}, "terminal": True},
    },
}


@pytest.fixture
def plain_service(categories: None) -> Any:
    entry = copy.deepcopy(TEST_SERVICE)
    entry.update(code="building.plain_test_service", workflow=PLAIN_WORKFLOW, documents=[], output={})
    compiled = service_entry_compile(
        entry, workflows={}, categories={c.code: c for c in ServiceCategory.objects.all()}
    )
    return service_version_load(compiled=compiled)[0]


@pytest.fixture
def intake() -> dict[str, Any]:
    return {"renewal_code": "۳-۱۲۳-۴۵-۶", "deed_number": "۱۲۳۴۵", "floors": "4", "use": "residential"}


@pytest.fixture
def file_plain(
    plain_service: Any, office: Office, operator_user: Any, citizen_user: Any, intake: Any
) -> Callable[..., Any]:
    """File the plain service at the counter; any argument of ``case_file`` may be overridden."""
    from daftar.cases.services import case_file

    def file(**overrides: Any) -> Any:
        arguments = {
            "service": plain_service,
            "applicant": citizen_user.person,
            "office": office,
            "channel": "office",
            "data": intake,
            "actor": operator_user,
        }
        return case_file(**{**arguments, **overrides})

    return file


@pytest.fixture
def plain_case(file_plain: Callable[..., Any]) -> Any:
    return file_plain()


@pytest.fixture
def other_office(city: City, zone: Any) -> Office:
    return Office.objects.create(city=city, zone=zone, code="2207", name="دفتر ۲۲۰۷", licence_status="active")


@pytest.fixture
def other_operator(other_office: Office) -> Any:
    from daftar.accounts.models import User

    user = User.objects.create_user(username="operator2", password="x-test-password-1405")
    staff_assign(user=user, role="office_operator", city=other_office.city, office=other_office)
    return user


@pytest.fixture
def admin_user(city: City) -> Any:
    from daftar.accounts.models import User

    user = User.objects.create_user(username="cityadmin1", password="x-test-password-1405")
    staff_assign(user=user, role="city_administrator", city=city)
    return user
