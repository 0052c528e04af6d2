"""Reads about certificates: public verification by number, a case's certificates."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import QuerySet

from daftar.cases.models import Case
from daftar.core.jalali import local_today

from .models import Certificate
from .numbering import number_normalize
from .payload import payload_parse, valid_until_in
from .signing import public_key_for, verify

logger = logging.getLogger(__name__)

Status = Literal["valid", "revoked", "expired", "unknown"]


@dataclass(frozen=True)
class Verification:
    """What the public may learn about a certificate number.

    ``unknown`` covers a number never issued, a malformed one and a stored certificate whose
    signature does not check out: none of them is a document the city stands behind.
    """

    status: Status
    certificate: Certificate | None = None
    signature_ok: bool = False
    payload: dict[str, Any] = field(default_factory=dict)


def certificate_by_number(*, number: str) -> Certificate | None:
    """The certificate with this number, however it was typed; None if there is none."""
    canonical = number_normalize(number)
    if canonical is None:
        return None
    return (
        Certificate.objects.select_related(
            "case__city", "case__office", "case__service_version__service_type"
        )
        .filter(number=canonical)
        .first()
    )


def signature_checks(certificate: Certificate) -> bool:
    """Whether the stored payload is signed by a key we publish (current or retired) and is this one's."""
    public_key = public_key_for(certificate.key_id)
    if public_key is None:
        return False
    if not verify(certificate.payload.encode("utf-8"), certificate.signature, public_key):
        return False
    return payload_parse(certificate.payload).get("number") == certificate.number


def certificate_verification(*, number: str) -> Verification:
    """The verification answer for a typed number (Persian digits, lowercase, no dashes all fine)."""
    certificate = certificate_by_number(number=number)
    if certificate is None:
        return Verification(status="unknown")
    payload = payload_parse(certificate.payload)
    signature_ok = signature_checks(certificate)
    if not signature_ok:
        logger.error("certificate %s: the stored payload fails its signature check", certificate.number)
        return Verification(status="unknown", certificate=certificate, signature_ok=False, payload=payload)
    status: Status = "valid"
    valid_until = valid_until_in(payload)
    if certificate.is_revoked:
        status = "revoked"
    elif valid_until is not None and local_today() > valid_until:
        status = "expired"
    return Verification(status=status, certificate=certificate, signature_ok=True, payload=payload)


def certificates_of_case(*, case: Case) -> QuerySet[Certificate]:
    """The case's certificates, newest first (revoked ones included)."""
    return Certificate.objects.filter(case=case).order_by("-issued_at", "-pk")
