"""REST API v1 (django-ninja). Every error has one shape:
{"error": {"code": "...", "message": "<Persian by default>", "fields": {...}}}.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from daftar.accounts.models import User
from daftar.core.errors import DomainError, RateLimited
from daftar.offices.selectors import offices_staff_of

from .auth import ApiTokenAuth

api = NinjaAPI(title="Daftar API", version="1", urls_namespace="api-v1", auth=ApiTokenAuth())


def _mount_routers() -> None:
    # Each engine app owns its endpoints (thin handlers over its services and selectors).
    from daftar.appointments.api import router as appointments_router
    from daftar.billing.api import router as billing_router
    from daftar.cases.api import router as cases_router
    from daftar.catalog.api import router as catalog_router
    from daftar.certificates.api import router as certificates_router
    from daftar.documents.api import router as documents_router
    from daftar.inquiries.api import router as agency_router
    from daftar.licensing.api import router as licensing_router

    api.add_router("/catalog", catalog_router)
    api.add_router("/", cases_router)
    api.add_router("/", documents_router)
    api.add_router("/", certificates_router)
    api.add_router("/", billing_router)
    api.add_router("/", appointments_router)
    api.add_router("/agency", agency_router)
    api.add_router("/", licensing_router)


def error_response(
    request: HttpRequest, *, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = error_response(
        request, status=exc.status, code=exc.code, message=str(exc), fields=exc.field_messages()
    )
    if isinstance(exc, RateLimited) and exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [
            str(part) for part in error.get("loc", []) if part not in ("body", "query", "path", "payload")
        ]
        fields.setdefault(".".join(location) or "__all__", []).append(str(error.get("msg", "")))
    return error_response(
        request,
        status=422,
        code="invalid_input",
        message=_("Some of the data sent is not valid."),
        fields=fields,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, status=401, code="unauthenticated", message=_("A valid API token is required.")
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, status=exc.status_code, code="http_error", message=str(exc))


class AssignmentOut(Schema):
    role: str
    role_label: str
    city: str
    office_code: str | None


class MeOut(Schema):
    username: str
    full_name: str
    assignments: list[AssignmentOut]


@api.get("/me", response=MeOut, tags=["accounts"], summary="Who the token belongs to, with roles")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)
    assignments = [
        AssignmentOut(
            role=a.role,
            role_label=a.role_label,
            city=a.city.code,
            office_code=a.office.code if a.office else None,
        )
        for a in offices_staff_of(user=user)
    ]
    return MeOut(username=user.username, full_name=user.get_full_name(), assignments=assignments)


_mount_routers()


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown /api/v1/ paths answer in the API's error shape, not with an HTML page."""
    return error_response(request, status=404, code="not_found", message=_("No such API endpoint."))
