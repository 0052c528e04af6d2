"""Fixtures shared by the licensing tests: the licensing services, staff and an open call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.catalog.models import ServiceVersion
from daftar.licensing.models import ApplicationCall

from .builders import licensing_services, municipal_user, open_call


@dataclass
class Licensing:
    application: ServiceVersion
    renewal: ServiceVersion
    officer: User
    inspector: User
    admin: User
    call: ApplicationCall


@pytest.fixture
def licensing(city: Any, zone: Any, categories: Any, tehran_tariffs: Any) -> Licensing:
    services = licensing_services()
    officer = municipal_user(city, "licensing1", Role.LICENSING_OFFICER)
    return Licensing(
        application=services["licensing.office_licence"],
        renewal=services["licensing.office_licence_renewal"],
        officer=officer,
        inspector=municipal_user(city, "inspector1", Role.TECHNICAL_INSPECTOR),
        admin=municipal_user(city, "cityadmin1", Role.CITY_ADMINISTRATOR),
        call=open_call(city, zone, actor=officer),
    )


@pytest.fixture
def advance(licensing: Licensing, pay_case_bills: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """``advance(case, stage)``: move a passing application on to exam, interview, site_visit or decision."""
    from .builders import to_stage

    def move(case: Any, stage: str) -> Any:
        return to_stage(
            case,
            stage,
            officer=licensing.officer,
            inspector=licensing.inspector,
            pay=pay_case_bills,
            capture=django_capture_on_commit_callbacks,
        )

    return move
