"""The Open311 GeoReport v2 endpoints (thin: parameters in, selectors and services, documents out).

Every endpoint answers in the format its extension names (``.xml`` or ``.json``; any other → 404
in JSON), in Persian, and reports errors the spec's way: the HTTP status (400, 403, 404) and the
error list in the requested format. POST is CSRF-exempt (API clients, authenticated by api_key);
GETs need no key. Rate limits: GETs per IP, POSTs per IP and per key (429, same error list).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from daftar.catalog.models import ServiceVersion
from daftar.core.errors import DomainError, Forbidden, InvalidValue, NotFound, RateLimited
from daftar.core.jalali import TEHRAN
from daftar.core.keys import key_prefix

from . import params, render, selectors
from .models import RequestStatus
from .selectors import RequestRow, iso
from .services import KEY_LABEL, open311_key_authenticate, open311_request_submit

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FIRST_CHANGESET = "2025-01-01T00:00:00+03:30"
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
Handler = Callable[[], tuple[str, Any]]


def _rate(name: str, default: str) -> str:
    return str(getattr(settings, name, default))


def _limited(request: HttpRequest, *, group: str, rate: str, key: Any = "ip") -> None:
    if is_ratelimited(request, group=group, key=key, rate=rate, increment=True):
        raise RateLimited("open311.rate_limited", _("Too many requests. Please wait a while and try again."))


def _descriptions(exc: DomainError) -> list[str]:
    fields = exc.field_messages()
    if not fields:
        return [str(exc)]
    return [
        f"{name}: {message}" if name != "__all__" else message
        for name, messages in fields.items()
        for message in messages
    ]


def _status(exc: DomainError) -> int:
    # The spec's codes: 403 for the key, 404 for what does not exist, 400 for everything else.
    return exc.status if exc.status in (403, 404, 429) else 400


def _answer(
    request: HttpRequest, fmt: str, handler: Handler, *, methods: tuple[str, ...] = ("GET",)
) -> HttpResponse:
    with translation.override(settings.LANGUAGE_CODE):
        if fmt not in render.FORMATS:
            return render.errors("json", 404, [gettext("Unknown format; use .xml or .json.")])
        method = "GET" if request.method == "HEAD" else request.method
        if method not in methods:
            response = render.errors(fmt, 405, [gettext("This method is not allowed here.")])
            response["Allow"] = ", ".join(methods)
            return response
        try:
            if method == "GET":
                _limited(request, group="open311.get", rate=_rate("OPEN311_GET_RATE_PER_IP", "120/m"))
            root, data = handler()
        except DomainError as exc:
            return render.errors(fmt, _status(exc), _descriptions(exc))
        except Exception:  # the spec's "general service error"; never a stack trace
            logger.exception("Open311 %s %s failed", request.method, request.path)
            return render.errors(fmt, 400, [gettext("General service error; please tell us if it persists.")])
        return render.document(fmt, root, data)


def _split(rest: str) -> tuple[str, str]:
    """``report.street_light.json`` → (``report.street_light``, ``json``)."""
    name, dot, fmt = rest.rpartition(".")
    return (name, fmt) if dot and name else ("", "")


# --- discovery and services ------------------------------------------------------------------------


@csrf_exempt
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    def handler() -> tuple[str, Any]:
        changed = selectors.changeset()
        changeset = iso(changed, TEHRAN) if changed is not None else FIRST_CHANGESET
        own = reverse("open311:discovery", kwargs={"fmt": fmt})
        base = request.build_absolute_uri(own.rsplit("/", 1)[0] + "/v2")
        contact = getattr(settings, "OPEN311_CONTACT", "") or gettext(
            "Questions about this API: the municipality's e-services support."
        )
        key_service = getattr(settings, "OPEN311_KEY_SERVICE", "") or gettext(
            "Reading needs no key. To file requests, ask the municipality for an api_key."
        )
        endpoint = {
            "specification": SPECIFICATION,
            "url": base,
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
        return "discovery", {
            "changeset": changeset,
            "contact": contact,
            "key_service": key_service,
            "endpoints": [endpoint],
        }

    return _answer(request, fmt, handler)


def _service(version: ServiceVersion) -> dict[str, Any]:
    listing = version.open311 or {}
    return {
        "service_code": version.code,
        "service_name": version.name_fa,
        "description": version.description_fa or None,
        "metadata": bool(selectors.service_attributes(version)),
        "type": "batch" if listing.get("defer") else "realtime",
        "keywords": ",".join(str(word) for word in listing.get("keywords") or []) or None,
        "group": listing.get("group") or None,
    }


@csrf_exempt
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    def handler() -> tuple[str, Any]:
        selectors.jurisdiction_city(jurisdiction_id=request.GET.get("jurisdiction_id"))
        return "services", [_service(version) for version in selectors.services_offered()]

    return _answer(request, fmt, handler)


def _offered(code: str) -> ServiceVersion:
    version = selectors.service_offered(code=code) if code else None
    if version is None:
        raise NotFound("open311.service_unknown", _("service_code was not found."))
    return version


@csrf_exempt
def service_definition(request: HttpRequest, rest: str) -> HttpResponse:
    code, fmt = _split(rest)

    def handler() -> tuple[str, Any]:
        selectors.jurisdiction_city(jurisdiction_id=request.GET.get("jurisdiction_id"))
        version = _offered(code)
        attributes = []
        for attribute in selectors.service_attributes(version):
            item: dict[str, Any] = {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description,
                "order": attribute.order,
                "description": attribute.description,
            }
            if attribute.values is not None:
                item["values"] = [{"key": key, "name": name} for key, name in attribute.values]
            attributes.append(item)
        return "service_definition", {"service_code": version.code, "attributes": attributes}

    return _answer(request, fmt, handler)


# --- requests ----------------------------------------------------------------------------------------


def _request(row: RequestRow, *, extensions: bool) -> dict[str, Any]:
    item = {name: getattr(row, name) for name in REQUEST_FIELDS}
    if extensions:
        item["extended_attributes"] = row.extended_attributes
        item["notes"] = [asdict(note) for note in row.notes]
    return item


def _create(request: HttpRequest) -> tuple[str, Any]:
    secret = (request.POST.get("api_key") or "").strip()
    if not secret:
        raise Forbidden("open311.api_key_missing", _("api_key was not provided."))
    client = open311_key_authenticate(secret=secret)
    if client is None:
        raise Forbidden("open311.api_key_invalid", _("Invalid api_key received; cannot create the request."))
    prefix = key_prefix(secret, KEY_LABEL) or ""
    _limited(
        request,
        group="open311.post.key",
        rate=_rate("OPEN311_POST_RATE_PER_KEY", "60/m"),
        key=lambda _group, _request: prefix,
    )
    city = selectors.jurisdiction_city(jurisdiction_id=request.POST.get("jurisdiction_id"))
    code = (request.POST.get("service_code") or "").strip()
    if not code:
        raise InvalidValue("open311.service_code_required", _("service_code was not provided."))
    version = _offered(code)
    submission = params.submission_parse(
        request.POST, files=request.FILES, idempotency_key=request.headers.get("Idempotency-Key")
    )
    record = open311_request_submit(client=client, city=city, service=version, submission=submission)
    item: dict[str, Any] = (
        {"token": record.token}
        if record.token
        else {"service_request_id": record.case.tracking_code if record.case else None}
    )
    item["service_notice"] = selectors.service_notice(version)
    item["account_id"] = record.account_id or None
    return "service_requests", [item]


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        # Every POST counts against its address, a wrong key too: keys cannot be guessed quickly.
        try:
            with translation.override(settings.LANGUAGE_CODE):
                _limited(request, group="open311.post.ip", rate=_rate("OPEN311_POST_RATE_PER_IP", "120/m"))
        except RateLimited as exc:
            with translation.override(settings.LANGUAGE_CODE):
                return render.errors(fmt, 429, _descriptions(exc))
        return _answer(request, fmt, lambda: _create(request), methods=("GET", "POST"))

    def handler() -> tuple[str, Any]:
        city = selectors.jurisdiction_city(jurisdiction_id=request.GET.get("jurisdiction_id"))
        filters = params.filters_parse(request.GET)
        extensions = params.extensions_wanted(request.GET)
        rows = selectors.requests_search(city=city, filters=filters)
        return "service_requests", [_request(row, extensions=extensions) for row in rows]

    return _answer(request, fmt, handler, methods=("GET", "POST"))


@csrf_exempt
def request_one(request: HttpRequest, rest: str) -> HttpResponse:
    service_request_id, fmt = _split(rest)

    def handler() -> tuple[str, Any]:
        city = selectors.jurisdiction_city(jurisdiction_id=request.GET.get("jurisdiction_id"))
        row = selectors.request_one(city=city, service_request_id=service_request_id)
        if row is None:
            raise NotFound("open311.request_unknown", _("service_request_id was not found."))
        return "service_requests", [_request(row, extensions=params.extensions_wanted(request.GET))]

    return _answer(request, fmt, handler)


@csrf_exempt
def token(request: HttpRequest, rest: str) -> HttpResponse:
    token_id, fmt = _split(rest)

    def handler() -> tuple[str, Any]:
        city = selectors.jurisdiction_city(jurisdiction_id=request.GET.get("jurisdiction_id"))
        record = selectors.token_lookup(city=city, token=token_id)
        if record is None:
            raise NotFound("open311.token_unknown", _("The token was not found."))
        if record.status == RequestStatus.FAILED:
            raise InvalidValue(
                "open311.request_failed",
                _("The request could not be filed: %(reason)s"),
                {"reason": record.error},
            )
        item: dict[str, Any] = {}
        if record.case is not None:
            item["service_request_id"] = record.case.tracking_code
        item["token"] = record.token
        return "service_requests", [item]

    return _answer(request, fmt, handler)


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    with translation.override(settings.LANGUAGE_CODE):
        fmt = "xml" if rest.endswith(".xml") else "json"
        return render.errors(fmt, 404, [gettext("There is no such resource here.")])
