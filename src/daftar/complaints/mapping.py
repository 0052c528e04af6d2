"""The reports map drawn from our own data only: the city's district outlines (``Zone.boundary``,
GeoJSON polygons in longitude/latitude) and a dot per report, projected into an SVG viewBox.

The projection is equirectangular: x grows with longitude scaled by the cosine of the mean
latitude (so a kilometre east is as long on the map as a kilometre north), y grows southward from
the northern edge (north is up, since SVG's y axis points down). One scale serves both axes and
fits the wider side into ``width``; a margin of ``padding`` surrounds the drawing. Pure functions:
no queries, no templates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from daftar.offices.geo import BoundaryError, parse_boundary

T = TypeVar("T")
Number = float | int | Decimal

DEFAULT_WIDTH = 720
DEFAULT_PADDING = 24
# The smallest span drawn, in degrees (about 1 km): a lone point or a hair-thin district still
# gets a readable map around it.
MIN_SPAN_DEGREES = 0.01


@dataclass(frozen=True)
class Bounds:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def around(cls, points: Iterable[tuple[float, float]]) -> Bounds | None:
        """The smallest bounds holding every (longitude, latitude); None for no points."""
        lons: list[float] = []
        lats: list[float] = []
        for lon, lat in points:
            lons.append(lon)
            lats.append(lat)
        if not lons:
            return None
        return cls(west=min(lons), south=min(lats), east=max(lons), north=max(lats))

    def widened(self, minimum: float = MIN_SPAN_DEGREES) -> Bounds:
        """The same centre with each side at least ``minimum`` degrees long."""
        west, east, south, north = self.west, self.east, self.south, self.north
        if east - west < minimum:
            middle = (east + west) / 2
            west, east = middle - minimum / 2, middle + minimum / 2
        if north - south < minimum:
            middle = (north + south) / 2
            south, north = middle - minimum / 2, middle + minimum / 2
        return Bounds(west=west, south=south, east=east, north=north)


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to SVG user units inside a ``width`` × ``height`` viewBox."""

    west: float
    north: float
    cos_lat: float  # the cosine of the mean latitude of the bounds
    scale: float  # SVG units per degree of latitude
    left: float  # where the western edge is drawn (the padding, more when the drawing is narrow)
    top: float  # where the northern edge is drawn
    width: float
    height: float

    def __call__(self, longitude: Number, latitude: Number) -> tuple[float, float]:
        x = self.left + (float(longitude) - self.west) * self.cos_lat * self.scale
        y = self.top + (self.north - float(latitude)) * self.scale
        return x, y


def projection_for(
    bounds: Bounds, *, width: float = DEFAULT_WIDTH, padding: float = DEFAULT_PADDING
) -> Projection:
    """The projection that fits ``bounds`` (widened to a readable minimum) into ``width`` units,
    with the height that keeps the proportions; a drawing taller than wide is centred."""
    box = bounds.widened()
    cos_lat = math.cos(math.radians((box.south + box.north) / 2))
    span_x = (box.east - box.west) * cos_lat
    span_y = box.north - box.south
    inner = width - 2 * padding
    scale = inner / max(span_x, span_y)
    return Projection(
        west=box.west,
        north=box.north,
        cos_lat=cos_lat,
        scale=scale,
        left=padding + (inner - span_x * scale) / 2,
        top=padding,
        width=width,
        height=span_y * scale + 2 * padding,
    )


# --- districts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    """A district as the map draws it: its outline and where its number is written."""

    number: int
    name: str
    path: str  # SVG path data: one closed subpath per ring (holes drawn with fill-rule evenodd)
    label_x: float
    label_y: float


@dataclass(frozen=True)
class DistrictShape:
    """A district's boundary read from its GeoJSON (None when it has none or it is unreadable)."""

    number: int
    name: str
    geometry: BaseGeometry | None


def district_shape(*, number: int, name: str, boundary: Any) -> DistrictShape:
    try:
        geometry = parse_boundary(boundary) if boundary else None
    except BoundaryError:
        geometry = None
    return DistrictShape(number=number, name=name, geometry=geometry)


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return []


def _rings(geometry: BaseGeometry) -> list[Sequence[tuple[float, float]]]:
    rings: list[Sequence[tuple[float, float]]] = []
    for polygon in _polygons(geometry):
        rings.append(list(polygon.exterior.coords))
        rings.extend(list(interior.coords) for interior in polygon.interiors)
    return rings


def _number(value: float) -> str:
    """A coordinate as SVG reads it: one decimal, no trailing zero, never a locale's separator."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path(rings: Sequence[Sequence[tuple[float, float]]], project: Projection) -> str:
    parts = []
    for ring in rings:
        points = [project(lon, lat) for lon, lat in ring[:-1]]  # a closed ring repeats its first point
        if len(points) < 3:
            continue
        head, *rest = points
        parts.append(
            f"M{_number(head[0])},{_number(head[1])}"
            + "".join(f"L{_number(x)},{_number(y)}" for x, y in rest)
            + "Z"
        )
    return " ".join(parts)


# --- the map ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dot(Generic[T]):
    x: float
    y: float
    item: T


@dataclass(frozen=True)
class SvgMap(Generic[T]):
    width: float
    height: float
    districts: list[District]
    dots: list[Dot[T]]

    @property
    def view_box(self) -> str:
        return f"0 0 {_number(self.width)} {_number(self.height)}"

    @property
    def is_empty(self) -> bool:
        return not self.districts and not self.dots


def svg_map(
    *,
    districts: Sequence[DistrictShape],
    points: Sequence[tuple[Number, Number, T]],
    width: float = DEFAULT_WIDTH,
    padding: float = DEFAULT_PADDING,
) -> SvgMap[T]:
    """The districts' outlines and a dot per (latitude, longitude, item), in one projection that
    holds them all. Districts without a readable boundary are left out."""
    drawn = [d for d in districts if d.geometry is not None]
    corners: list[tuple[float, float]] = []
    for shape in drawn:
        assert shape.geometry is not None
        west, south, east, north = shape.geometry.bounds
        corners += [(west, south), (east, north)]
    corners += [(float(lon), float(lat)) for lat, lon, _item in points]
    bounds = Bounds.around(corners)
    if bounds is None:
        return SvgMap(width=width, height=width / 2, districts=[], dots=[])
    project = projection_for(bounds, width=width, padding=padding)
    outlines = []
    for shape in drawn:
        assert shape.geometry is not None
        centroid = shape.geometry.centroid
        label_x, label_y = project(centroid.x, centroid.y)
        outlines.append(
            District(
                number=shape.number,
                name=shape.name,
                path=_path(_rings(shape.geometry), project),
                label_x=round(label_x, 1),
                label_y=round(label_y, 1),
            )
        )
    dots = []
    for lat, lon, item in points:
        x, y = project(lon, lat)
        dots.append(Dot(x=round(x, 1), y=round(y, 1), item=item))
    return SvgMap(
        width=round(project.width, 1), height=round(project.height, 1), districts=outlines, dots=dots
    )
