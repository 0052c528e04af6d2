"""Certificates API: public verification, and a case's certificates for those who may see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from ninja import Router, Schema

from daftar.cases.api import visible_case
from daftar.core.errors import RateLimited

from .selectors import certificate_verification, certificates_of_case

router = Router(tags=["certificates"])


class VerificationOut(Schema):
    status: str
    number: str
    signature_ok: bool
    payload: dict[str, Any]
    revoked_at: datetime | None
    revoke_reason: str


class CertificateOut(Schema):
    number: str
    kind: str
    title_fa: str
    issued_at: datetime
    revoked_at: datetime | None


@router.get(
    "/certificates/{number}/verify",
    response=VerificationOut,
    auth=None,
    summary="Verify a certificate number (public)",
)
def verify(request: HttpRequest, number: str) -> dict[str, Any]:
    limited = is_ratelimited(
        request,
        group="certificate-verify",
        key="ip",
        rate=settings.CERTIFICATE_VERIFY_RATE_PER_IP,
        increment=True,
    )
    if limited:  # numbers are not guessable, but enumeration attempts are still slowed down
        raise RateLimited(
            "certificate.rate_limited", _("Too many requests; try again in a minute."), retry_after=60
        )
    result = certificate_verification(number=number)
    shown = result.status != "unknown"
    certificate = result.certificate if shown else None
    return {
        "status": result.status,
        "number": certificate.number if certificate else "",
        "signature_ok": result.signature_ok if shown else False,
        "payload": result.payload if shown else {},
        "revoked_at": certificate.revoked_at if certificate else None,
        "revoke_reason": certificate.revoke_reason if certificate else "",
    }


@router.get("/cases/{code}/certificates", response=list[CertificateOut], summary="The case's certificates")
def of_case(request: HttpRequest, code: str) -> list[Any]:
    case, _roles = visible_case(request, code)
    return list(certificates_of_case(case=case))
