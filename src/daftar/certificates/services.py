"""Every write about certificates: issuing (sign, store, print) and revoking."""

from __future__ import annotations

import secrets
from datetime import date

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.cases.models import Case, EventKind
from daftar.cases.services import case_event_append
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.text import normalize_persian

from .models import Certificate
from .numbering import number_new
from .payload import output_of, payload_build, valid_until_in
from .pdf import certificate_pdf
from .signing import canonical_json, sign

# A clash of two random 12-character numbers is a once-in-the-universe event; a few tries suffice.
NUMBER_ATTEMPTS = 5


def _already_issued() -> Conflict:
    return Conflict(
        "certificate.already_issued",
        _("A document of this kind has already been issued for this case; revoke it before issuing another."),
    )


def _live(*, case: Case, kind: str) -> bool:
    return Certificate.objects.filter(case=case, kind=kind, revoked_at__isnull=True).exists()


def certificate_issue(
    *,
    case: Case,
    actor: User | None,
    extra_fields: list[list[str]] | None = None,
    valid_until: date | None = None,
) -> Certificate:
    """Issue the case's output document: build and sign its payload, store it, print the PDF.

    One live certificate per case and kind: issuing again is a Conflict until the earlier one is
    revoked. A timeline event (citizen-visible) records the issue.
    """
    output = output_of(case)
    kind = str(output["kind"])
    with transaction.atomic():
        if _live(case=case, kind=kind):
            raise _already_issued()
        certificate = _certificate_insert(
            case=case, kind=kind, extra_fields=extra_fields, valid_until=valid_until
        )
        case_event_append(
            case=case,
            kind=EventKind.OUTPUT,
            actor=actor,
            message=certificate.title_fa,
            public=True,
            payload={"certificate": certificate.number},
        )
        # The file name carries a random part: the number alone is printed on the paper.
        name = f"{certificate.number}-{secrets.token_hex(8)}.pdf"
        certificate.pdf.save(name, ContentFile(certificate_pdf(certificate)), save=False)
        certificate.save(update_fields=["pdf"])
    return certificate


def _certificate_insert(
    *, case: Case, kind: str, extra_fields: list[list[str]] | None, valid_until: date | None
) -> Certificate:
    issued_at = timezone.now().replace(microsecond=0)
    for _attempt in range(NUMBER_ATTEMPTS):
        number = number_new()
        payload = payload_build(
            case=case, number=number, issued_at=issued_at, extra_fields=extra_fields, valid_until=valid_until
        )
        data = canonical_json(payload)
        signature, key_id = sign(data)
        try:
            with transaction.atomic():  # a savepoint: a clash leaves the outer transaction usable
                return Certificate.objects.create(
                    case=case,
                    number=number,
                    kind=kind,
                    title_fa=payload["title"]["fa"],
                    title_en=payload["title"]["en"],
                    payload=data.decode("utf-8"),
                    signature=signature,
                    key_id=key_id,
                    issued_at=issued_at,
                    valid_until=valid_until_in(payload),
                )
        except IntegrityError:
            if _live(case=case, kind=kind):  # issued concurrently by someone else
                raise _already_issued() from None
    raise RuntimeError(f"no unused certificate number after {NUMBER_ATTEMPTS} attempts")


def certificate_revoke(*, certificate: Certificate, actor: User, reason: str) -> Certificate:
    """Revoke a certificate, with a reason shown on its verification page. Revoking twice conflicts."""
    text = normalize_persian(reason or "", multiline=True)
    if not text:
        message = _("Give the reason for revoking the certificate.")
        raise InvalidValue("certificate.reason_required", message, fields={"reason": [message]})
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().select_related("case").get(pk=certificate.pk)
        if locked.is_revoked:
            raise Conflict("certificate.already_revoked", _("This certificate has already been revoked."))
        locked.revoked_at = timezone.now()
        locked.revoke_reason = text
        locked.save(update_fields=["revoked_at", "revoke_reason"])
        case_event_append(
            case=locked.case,
            kind=EventKind.OUTPUT,
            actor=actor,
            message=text,
            public=True,
            payload={"certificate": locked.number, "revoked": True},
        )
    certificate.revoked_at, certificate.revoke_reason = locked.revoked_at, locked.revoke_reason
    return locked
