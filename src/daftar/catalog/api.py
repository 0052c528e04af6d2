"""Catalogue API: public reads of the services in force."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from daftar.core.errors import NotFound

from .models import ServiceVersion
from .selectors import categories_list, service_current, services_current

router = Router(tags=["catalogue"])


class CategoryOut(Schema):
    code: str
    name_fa: str
    name_en: str
    department: str


class ServiceSummaryOut(Schema):
    code: str
    version: int
    category: str
    name_fa: str
    name_en: str
    channels: list[str]
    sla_working_days: int


class StateOut(Schema):
    code: str
    name: dict[str, str]
    terminal: bool
    sla_working_days: int | None


class ServiceOut(ServiceSummaryOut):
    description_fa: str
    description_en: str
    department: str
    valid_from: str
    location: str
    intake_schema: dict[str, Any]
    documents: list[dict[str, Any]]
    fees: list[str]
    inquiries: list[dict[str, Any]]
    output: dict[str, Any]
    states: list[StateOut]


def _summary(version: ServiceVersion) -> dict[str, Any]:
    return {
        "code": version.service_type.code,
        "version": version.number,
        "category": version.service_type.category.code,
        "name_fa": version.name_fa,
        "name_en": version.name_en,
        "channels": version.channels,
        "sla_working_days": version.sla_working_days,
    }


@router.get("/categories", response=list[CategoryOut], auth=None, summary="The service families")
def categories(request: HttpRequest) -> list[Any]:
    return list(categories_list())


@router.get("/services", response=list[ServiceSummaryOut], auth=None, summary="Services in force today")
def services(
    request: HttpRequest, channel: str | None = None, category: str | None = None, q: str = ""
) -> list[dict[str, Any]]:
    return [_summary(v) for v in services_current(channel=channel, category=category, query=q)]


@router.get(
    "/services/{code}", response=ServiceOut, auth=None, summary="One service: form, documents, workflow"
)
def service(request: HttpRequest, code: str) -> dict[str, Any]:
    version = service_current(code=code)
    if version is None:
        raise NotFound("catalog.unknown_service", _("No service with this code is in force."))
    workflow = version.workflow
    return {
        **_summary(version),
        "description_fa": version.description_fa,
        "description_en": version.description_en,
        "department": version.department,
        "valid_from": version.valid_from.isoformat(),
        "location": version.location,
        "intake_schema": version.intake_schema,
        "documents": version.documents,
        "fees": version.fees,
        "inquiries": version.inquiries,
        "output": version.output,
        "states": [
            {
                "code": code_,
                "name": workflow["states"][code_]["name"],
                "terminal": workflow["states"][code_]["terminal"],
                "sla_working_days": workflow["states"][code_]["sla_working_days"],
            }
            for code_ in workflow.get("order") or workflow["states"]
        ],
    }
