"""Licensing API (public): the register of licensed offices and the calls for applications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from ninja import Query, Router, Schema

from daftar.core.errors import NotFound, RateLimited
from daftar.core.jalali import local_today
from daftar.offices.models import City
from daftar.offices.selectors import city_default

from .selectors import RegisterRow, calls_public, calls_quota_rows, register_entry, register_search

router = Router(tags=["licensing"])
PAGE_SIZE = 30


class RegisterOut(Schema):
    office_code: str
    office_name: str
    district: int
    address: str
    standing: str  # good | suspended | revoked | expired
    suspended_until: date | None
    licence_number: str | None
    licence_valid_until: date | None
    certificate_number: str | None


class QuotaOut(Schema):
    district: int
    district_name: str
    places: int
    taken: int
    left: int


class CallOut(Schema):
    id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    open_now: bool
    quotas: list[QuotaOut]


class RegisterQuery(Schema):
    q: str = ""
    page: int = 1


def _city() -> City:
    city = city_default()
    if city is None:
        raise NotFound("city.none", _("No city is configured."))
    return city


def _limit(request: HttpRequest) -> None:
    if is_ratelimited(
        request, group="register", key="ip", rate=settings.DAFTAR_REGISTER_RATE_PER_IP, increment=True
    ):
        raise RateLimited(
            "register.rate_limited", _("Too many requests; try again in a minute."), retry_after=60
        )


def _row(row: RegisterRow) -> dict[str, Any]:
    licence = row.licence
    return {
        "office_code": row.office.code,
        "office_name": row.office.name,
        "district": row.office.zone.number,
        "address": row.office.address,
        "standing": row.standing,
        "suspended_until": row.suspended_until,
        "licence_number": licence.number if licence else None,
        "licence_valid_until": licence.valid_until if licence else None,
        "certificate_number": licence.certificate.number if licence and licence.certificate else None,
    }


@router.get(
    "/register", response=list[RegisterOut], auth=None, summary="Search the register of offices (public)"
)
def register(request: HttpRequest, query: Query[RegisterQuery]) -> list[dict[str, Any]]:
    _limit(request)
    page = max(1, min(query.page, 1000))
    rows = register_search(
        city=_city(), query=query.q[:100], today=local_today(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return [_row(row) for row in rows]


@router.get(
    "/register/{office_code}", response=RegisterOut, auth=None, summary="One office's licence and standing"
)
def register_office(request: HttpRequest, office_code: str) -> dict[str, Any]:
    _limit(request)
    row = register_entry(city=_city(), code=office_code[:16], today=local_today())
    if row is None:
        raise NotFound("register.not_found", _("No licensed office has this code."))
    return _row(row)


@router.get(
    "/licensing/calls", response=list[CallOut], auth=None, summary="Calls for office licence applications"
)
def calls(request: HttpRequest) -> list[dict[str, Any]]:
    found = list(calls_public(city=_city()))
    quotas = calls_quota_rows(calls=found)
    now = timezone.now()
    return [
        {
            "id": call.pk,
            "title": call.title,
            "opens_at": call.opens_at,
            "closes_at": call.closes_at,
            "open_now": call.is_open_at(now),
            "quotas": [
                {
                    "district": row.zone.number,
                    "district_name": row.zone.name,
                    "places": row.quota.places,
                    "taken": row.taken,
                    "left": row.left,
                }
                for row in quotas[call.pk]
            ],
        }
        for call in found
    ]
