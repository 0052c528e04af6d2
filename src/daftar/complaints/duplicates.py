"""Duplicate hints: open reports of the same service near a new one, shown to staff.

A selector (reads only). The database narrows the candidates with a latitude/longitude bounding
box around the case's point (one query, bounded by ``MAX_CANDIDATES``); the exact great-circle
distance (haversine) is then computed here, so any database engine will do.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from daftar.cases.models import Case

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LATITUDE = 111_320.0
# At most this many cases inside the box are measured (newest first); a box of a few hundred metres
# around one place never holds this many open reports of one service.
MAX_CANDIDATES = 300


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two points given in degrees (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _box(latitude: float, longitude: float, radius_m: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """A box that surely holds the circle of ``radius_m`` around the point (a little margin added)."""
    margin = radius_m * 1.01 + 1
    d_lat = margin / METRES_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(latitude)), 0.01)
    d_lon = margin / (METRES_PER_DEGREE_LATITUDE * cos_lat)

    def q(value: float) -> Decimal:
        return Decimal(str(round(value, 6)))

    return q(latitude - d_lat), q(latitude + d_lat), q(longitude - d_lon), q(longitude + d_lon)


def possible_duplicates(*, case: Case, radius_m: int = 150, days: int = 30, limit: int = 5) -> list[Case]:
    """Open cases of the same service in the same city, filed in the last ``days``, whose point lies
    within ``radius_m`` metres of this case's point; nearest first, this case excluded.

    A case without a map point (an address-only report) has none. Each returned case carries its
    distance in whole metres as ``distance_m``. One query.
    """
    if case.latitude is None or case.longitude is None or radius_m <= 0 or limit <= 0:
        return []
    latitude, longitude = float(case.latitude), float(case.longitude)
    south, north, west, east = _box(latitude, longitude, float(radius_m))
    since = timezone.now() - timedelta(days=days)
    candidates = (
        Case.objects.filter(
            city_id=case.city_id,
            service_type_id=case.service_type_id,
            closed_at__isnull=True,
            created_at__gte=since,
            latitude__gte=south,
            latitude__lte=north,
            longitude__gte=west,
            longitude__lte=east,
        )
        .exclude(pk=case.pk)
        .select_related("service_version", "service_type", "zone")
        .order_by("-created_at")[:MAX_CANDIDATES]
    )
    measured: list[tuple[float, Case]] = []
    for candidate in candidates:
        assert candidate.latitude is not None  # the box says so
        assert candidate.longitude is not None
        metres = distance_m(latitude, longitude, float(candidate.latitude), float(candidate.longitude))
        if metres <= radius_m:
            candidate.distance_m = round(metres)  # type: ignore[attr-defined]
            measured.append((metres, candidate))
    measured.sort(key=lambda pair: (pair[0], -pair[1].created_at.timestamp()))
    return [candidate for _metres, candidate in measured[:limit]]
