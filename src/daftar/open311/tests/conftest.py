"""Open311 test fixtures: the shipped citizen-report services, a client application with its key,
and helpers that speak GeoReport v2 in either format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from daftar.open311.services import open311_client_create
from daftar.testing import shipped_service

REPORTS = (
    "report.waste_not_collected",
    "report.street_light",
    "report.open_excavation",
    "report.illegal_dumping",
)
BASE = "/open311/v2"


@pytest.fixture
def reports(categories: None, city: Any) -> dict[str, Any]:
    """Shipped report services (street light: a single choice; excavation: a multi-choice and a
    Solar Hijri date; dumping: deferred, with a datetime and a yes/no; waste: a number)."""
    return {code: shipped_service("citizen_reports.yaml", code) for code in REPORTS}


@pytest.fixture
def api_key(db: None) -> str:
    return open311_client_create(name="اپلیکیشن شهر من").secret


def parse(response: Any) -> Any:
    """The body of a JSON or XML answer as Python data (XML as an ElementTree element)."""
    if response["Content-Type"].startswith("application/json"):
        return json.loads(response.content.decode("utf-8"))
    assert response["Content-Type"] == "text/xml; charset=utf-8", response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own server's answer


def error_descriptions(response: Any, fmt: str) -> list[tuple[int, str]]:
    """The spec's error list as (code, description) pairs, checking its shape in either format."""
    body = parse(response)
    if fmt == "json":
        assert isinstance(body, list)
        assert all(set(item) == {"code", "description"} for item in body)
        return [(item["code"], item["description"]) for item in body]
    assert body.tag == "errors"
    assert all(child.tag == "error" for child in body)
    return [(int(error.findtext("code") or 0), error.findtext("description") or "") for error in body]


def requests_of(response: Any, fmt: str) -> list[dict[str, Any]]:
    """service_requests as dicts of text (XML) or values (JSON)."""
    body = parse(response)
    if fmt == "json":
        return list(body)
    assert body.tag == "service_requests"
    return [{child.tag: child.text for child in request} for request in body]


@pytest.fixture
def post_request(client: Client, api_key: str) -> Callable[..., Any]:
    """POST requests.{fmt} with the client's key (override with api_key=…)."""

    def post(fmt: str = "json", **data: Any) -> Any:
        data.setdefault("api_key", api_key)
        data = {key: value for key, value in data.items() if value is not None}
        return client.post(f"{BASE}/requests.{fmt}", data)

    return post


STREET_LIGHT = {
    "service_code": "report.street_light",
    "attribute[problem]": "flickering",
    "attribute[pole_number]": "T-1402",
    "description": "چراغ‌های کوچه از دیشب خاموش است.",
    "lat": "35.7612",
    "long": "51.4321",
}
