"""The reports map's projection: district outlines and report points into an SVG viewBox,
equirectangular with the cosine of the mean latitude, north up."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest

from daftar.complaints.mapping import (
    Bounds,
    DistrictShape,
    SvgMap,
    district_shape,
    projection_for,
    svg_map,
)

SQUARE = {  # 0.06° of longitude by 0.05° of latitude around Tehran's district 3 (conftest's zone)
    "type": "Polygon",
    "coordinates": [[[51.40, 35.74], [51.46, 35.74], [51.46, 35.79], [51.40, 35.79], [51.40, 35.74]]],
}


def _points(path: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", path)]


def test_a_known_polygon_fills_the_viewbox_inside_its_padding() -> None:
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=3, name="منطقه ۳", boundary=SQUARE)],
        points=[],
        width=700,
        padding=20,
    )
    [district] = drawing.districts
    corners = _points(district.path)
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    assert len(corners) == 4  # the closing point is not repeated; Z closes the ring
    assert district.path.endswith("Z")
    # 0.06° of longitude at 35.8° north (≈ 5.4 km) is shorter than 0.05° of latitude (≈ 5.6 km):
    # the height is filled inside the padding and the outline is centred across the width.
    assert min(ys) == pytest.approx(20, abs=0.1)
    assert max(ys) == pytest.approx(680, abs=0.1)
    assert (min(xs) + max(xs)) / 2 == pytest.approx(350, abs=0.1)
    assert min(xs) > 20
    assert drawing.view_box == "0 0 700 700"


def test_east_west_distances_shrink_by_the_cosine_of_the_mean_latitude() -> None:
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=3, name="۳", boundary=SQUARE)], points=[], width=700
    )
    corners = _points(drawing.districts[0].path)
    width = max(x for x, _ in corners) - min(x for x, _ in corners)
    height = max(y for _, y in corners) - min(y for _, y in corners)
    expected = (0.06 * math.cos(math.radians(35.765))) / 0.05
    assert width / height == pytest.approx(expected, rel=1e-3)


def test_north_is_up_and_east_is_right() -> None:
    project = projection_for(Bounds(west=51.40, south=35.74, east=51.46, north=35.79))
    north_x, north_y = project(51.43, 35.79)
    south_x, south_y = project(51.43, 35.74)
    west_x, _ = project(51.40, 35.76)
    east_x, _ = project(51.46, 35.76)
    assert north_y < south_y  # SVG's y grows downward: the north is drawn above
    assert north_x == pytest.approx(south_x)
    assert west_x < east_x


def test_the_district_number_is_written_at_its_centroid() -> None:
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=3, name="۳", boundary=SQUARE)], points=[], width=700
    )
    district = drawing.districts[0]
    corners = _points(district.path)
    assert district.label_x == pytest.approx(sum(x for x, _ in corners) / 4, abs=0.1)
    assert district.label_y == pytest.approx(sum(y for _, y in corners) / 4, abs=0.1)


def test_a_point_lands_where_the_projection_puts_it_and_keeps_its_item() -> None:
    inside = (Decimal("35.765"), Decimal("51.43"), "report-a")
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=3, name="۳", boundary=SQUARE)], points=[inside], width=700
    )
    [dot] = drawing.dots
    assert dot.item == "report-a"
    assert dot.x == pytest.approx(350, abs=0.2)  # the middle of the square, the middle of the map
    assert dot.y == pytest.approx(drawing.height / 2, abs=0.2)


def test_a_point_outside_every_district_still_lies_inside_the_viewbox() -> None:
    far = (35.70, 51.50, "far")
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=3, name="۳", boundary=SQUARE)], points=[far], width=700
    )
    [dot] = drawing.dots
    assert 0 <= dot.x <= drawing.width
    assert 0 <= dot.y <= drawing.height


def test_a_district_with_a_hole_and_a_multipolygon_are_drawn_ring_by_ring() -> None:
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            [[51.40, 35.74], [51.46, 35.74], [51.46, 35.79], [51.40, 35.79], [51.40, 35.74]],
            [[51.42, 35.76], [51.44, 35.76], [51.44, 35.77], [51.42, 35.77], [51.42, 35.76]],
        ],
    }
    two_parts = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[51.30, 35.70], [51.32, 35.70], [51.32, 35.72], [51.30, 35.70]]],
            [[[51.35, 35.70], [51.37, 35.70], [51.37, 35.72], [51.35, 35.70]]],
        ],
    }
    drawing: SvgMap[str] = svg_map(
        districts=[
            district_shape(number=1, name="۱", boundary=with_hole),
            district_shape(number=2, name="۲", boundary=two_parts),
        ],
        points=[],
    )
    assert [d.path.count("M") for d in drawing.districts] == [2, 2]


def test_districts_without_a_readable_boundary_are_left_out() -> None:
    shapes = [
        district_shape(number=1, name="۱", boundary=None),
        district_shape(number=2, name="۲", boundary={"type": "Point", "coordinates": [51.4, 35.7]}),
        district_shape(number=3, name="۳", boundary=SQUARE),
    ]
    assert [s.geometry is None for s in shapes] == [True, True, False]
    assert [d.number for d in svg_map(districts=shapes, points=[]).districts] == [3]


def test_a_lone_point_gets_a_map_around_it_and_nothing_gives_an_empty_map() -> None:
    drawing: SvgMap[str] = svg_map(districts=[], points=[(35.7, 51.4, "only")])
    [dot] = drawing.dots
    assert dot.x == pytest.approx(drawing.width / 2, abs=0.2)
    assert dot.y == pytest.approx(drawing.height / 2, abs=0.2)
    empty: SvgMap[str] = svg_map(districts=[DistrictShape(number=1, name="۱", geometry=None)], points=[])
    assert empty.is_empty
    assert empty.dots == []


def test_a_tall_city_is_centred_across_the_width() -> None:
    tall = {
        "type": "Polygon",
        "coordinates": [[[51.40, 35.60], [51.42, 35.60], [51.42, 35.80], [51.40, 35.80], [51.40, 35.60]]],
    }
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=1, name="۱", boundary=tall)], points=[], width=500
    )
    xs = [x for x, _ in _points(drawing.districts[0].path)]
    assert (min(xs) + max(xs)) / 2 == pytest.approx(250, abs=0.2)
    assert drawing.height == pytest.approx(500, abs=0.2)


def test_a_wide_city_fills_the_width_and_the_height_follows_its_proportions() -> None:
    wide = {
        "type": "Polygon",
        "coordinates": [[[51.20, 35.70], [51.40, 35.70], [51.40, 35.75], [51.20, 35.75], [51.20, 35.70]]],
    }
    drawing: SvgMap[str] = svg_map(
        districts=[district_shape(number=1, name="۱", boundary=wide)], points=[], width=700, padding=20
    )
    corners = _points(drawing.districts[0].path)
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    assert (min(xs), max(xs)) == (pytest.approx(20, abs=0.1), pytest.approx(680, abs=0.1))
    drawn_height = 660 * 0.05 / (0.2 * math.cos(math.radians(35.725)))
    assert max(ys) - min(ys) == pytest.approx(drawn_height, abs=0.2)
    assert drawing.height == pytest.approx(drawn_height + 40, abs=0.2)
