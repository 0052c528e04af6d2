"""District boundaries: GeoJSON polygons in [longitude, latitude] order, tested with shapely.

Parsing a boundary and preparing it for fast point tests costs far more than the test itself,
so prepared geometries are cached in-process per zone and reused while the boundary is
unchanged (the cache key carries a digest of the boundary, so an edited boundary is re-read).
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

_ALLOWED_TYPES = {"Polygon", "MultiPolygon"}
_cache: dict[int, tuple[str, BaseGeometry]] = {}
_cache_lock = threading.Lock()


class BoundaryError(ValueError):
    """A boundary that is not a valid GeoJSON Polygon or MultiPolygon."""


def boundary_digest(boundary: Any) -> str:
    """A stable digest of a GeoJSON value (key order does not matter)."""
    text = json.dumps(boundary, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def parse_boundary(boundary: Any) -> BaseGeometry:
    """A valid, prepared shapely geometry for a GeoJSON Polygon/MultiPolygon; BoundaryError otherwise."""
    if not isinstance(boundary, dict) or boundary.get("type") not in _ALLOWED_TYPES:
        raise BoundaryError("boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(boundary)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise BoundaryError(f"unreadable boundary: {exc}") from exc
    if geometry.is_empty or not geometry.is_valid:
        raise BoundaryError("boundary is empty or self-intersecting")
    shapely.prepare(geometry)
    return geometry


def zone_geometry(zone_id: int, boundary: Any) -> BaseGeometry:
    """The prepared geometry of a zone's boundary, from the cache when the boundary is unchanged."""
    digest = boundary_digest(boundary)
    cached = _cache.get(zone_id)
    if cached is not None and cached[0] == digest:
        return cached[1]
    geometry = parse_boundary(boundary)
    with _cache_lock:
        # Keyed by zone: a changed boundary replaces the old entry instead of piling up.
        _cache[zone_id] = (digest, geometry)
    return geometry


def covers_point(geometry: BaseGeometry, *, latitude: float, longitude: float) -> bool:
    """Whether the point lies inside or on the edge of the geometry (GeoJSON order: lon, lat)."""
    return bool(geometry.covers(Point(longitude, latitude)))


def cache_clear() -> None:
    """Forget every prepared geometry (tests use it to count parses)."""
    with _cache_lock:
        _cache.clear()


def cache_size() -> int:
    return len(_cache)
