"""Public verification of certificates, their published keys and payloads, and the PDF download.

Thin: normalise the number, ask a selector, render. An unknown number and a malformed one get
the same answer, and lookups by number are rate-limited per connection.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.cases.selectors import case_visible_to

from .numbering import number_normalize
from .payload import field_rows, issued_at_of, valid_until_in
from .pdf import certificate_pdf
from .selectors import Verification, certificate_by_number, certificate_verification
from .signing import public_keys

MAX_TYPED_LENGTH = 40


def _limited(request: HttpRequest) -> bool:
    return bool(
        is_ratelimited(
            request,
            group="certificate-verify",
            key="ip",
            rate=settings.CERTIFICATE_VERIFY_RATE_PER_IP,
            increment=True,
        )
    )


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("number", "").strip().replace("/", "")[:MAX_TYPED_LENGTH]
    if typed:
        return redirect("certificates:verify_detail", number=number_normalize(typed) or typed)
    return render(request, "certificates/verify.html", {"nav": "verify"})


def _result_context(verification: Verification, typed: str) -> dict[str, Any]:
    certificate = verification.certificate
    context: dict[str, Any] = {"nav": "verify", "verification": verification, "typed": typed}
    if verification.status == "unknown" or certificate is None:
        return context
    payload = verification.payload
    case = certificate.case
    return context | {
        "certificate": certificate,
        "title": (payload.get("title") or {}).get("fa") or certificate.title_fa,
        "title_en": (payload.get("title") or {}).get("en") or certificate.title_en,
        "applicant": payload.get("applicant") or {},
        "rows": field_rows(payload),
        "service_name": case.service_version.name,
        "office": case.office,
        "city_name": case.city.name,
        "issued_at": issued_at_of(payload) or certificate.issued_at,
        "valid_until": valid_until_in(payload),
    }


@require_safe
def verify_detail(request: HttpRequest, number: str) -> HttpResponse:
    if _limited(request):
        raise Ratelimited()
    verification = certificate_verification(number=number)
    found = verification.certificate
    if found is not None and verification.status != "unknown" and found.number != number:
        # Typed in lowercase, with Persian digits or without dashes: show it at its own address.
        return redirect("certificates:verify_detail", number=found.number)
    status = 404 if verification.status == "unknown" else 200
    return render(
        request, "certificates/verify_result.html", _result_context(verification, number), status=status
    )


@require_safe
def verify_payload(request: HttpRequest, number: str) -> HttpResponse:
    """The signed bytes exactly as signed; the signature and key id ride in headers."""
    if _limited(request):
        raise Ratelimited()
    verification = certificate_verification(number=number)
    certificate = verification.certificate
    if verification.status == "unknown" or certificate is None:
        return JsonResponse({"detail": "unknown certificate"}, status=404)
    response = HttpResponse(
        certificate.payload.encode("utf-8"), content_type="application/json; charset=utf-8"
    )
    response["X-Daftar-Signature"] = certificate.signature
    response["X-Daftar-Key-Id"] = certificate.key_id
    response["X-Daftar-Status"] = verification.status
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def verify_keys(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(public_keys(), safe=False)
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def certificate_download(request: HttpRequest, number: str) -> HttpResponseBase:
    """The PDF, for the applicant and the staff who may see the case; anyone else gets 404."""
    certificate = certificate_by_number(number=number)
    if certificate is None or not case_visible_to(case=certificate.case, user=request.user):
        raise Http404
    filename = f"certificate-{certificate.number}.pdf"
    response: HttpResponseBase
    if certificate.pdf:
        response = FileResponse(
            certificate.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )
    else:  # printed on demand if the stored file is missing
        response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
