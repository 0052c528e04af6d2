"""GeoReport v2 documents in XML and JSON from the same data.

The JSON is the XML mapped by the Spark convention (the spec's own rule): a list is a JSON array,
and in XML each of its items is an element named for what it holds (``services`` → ``service``,
``service_requests`` → ``request`` …). XML is built with ElementTree, so text is escaped properly;
characters XML 1.0 cannot carry at all (control characters) are dropped. Both are UTF-8, Persian
written as is (no ``\\u`` escapes), with the spec's content types.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
FORMATS = tuple(CONTENT_TYPES)

# The element name of each list's items in XML.
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "notes": "note",
    "endpoints": "endpoint",
    "formats": "format",
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            element.append(_element(str(key), item))
    elif isinstance(value, list | tuple):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            element.append(_element(child, item))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, data: Any) -> bytes:
    body = ET.tostring(_element(root, data), encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def document(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    """A response in ``fmt`` ("xml" or "json"): ``data`` under the XML element ``root``."""
    content = to_xml(root, data) if fmt == "xml" else to_json(data)
    return HttpResponse(content, content_type=CONTENT_TYPES[fmt], status=status)


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error list: ``[{"code": 400, "description": "…"}]`` / ``<errors><error>…``."""
    items = [{"code": status, "description": text} for text in descriptions]
    return document(fmt if fmt in CONTENT_TYPES else "json", "errors", items, status=status)
