"""RFC 7946 checks of a drawn polygon, each problem named by where it is."""

import pytest

from geo.geojson import polygon_problems

RING = [[106.1, 27.7], [106.2, 27.7], [106.2, 27.8], [106.1, 27.7]]


@pytest.mark.parametrize(
    ("geometry", "problems"),
    [
        ({"type": "Polygon", "coordinates": [RING]}, {}),
        ({"type": "Polygon", "coordinates": [[p + [300.0] for p in RING]]}, {}),  # altitude
        ({"type": "MultiPolygon", "coordinates": [[RING], [RING, RING]]}, {}),
        (None, {"g": ["not a GeoJSON geometry object"]}),
        (
            {"type": "polygon", "coordinates": [RING]},
            {"g.type": ["must be exactly Polygon or MultiPolygon, not 'polygon'"]},
        ),
        (
            {"type": "LineString", "coordinates": RING},
            {"g.type": ["must be exactly Polygon or MultiPolygon, not 'LineString'"]},
        ),
        ({"type": "Polygon"}, {"g.coordinates": ["must be a non-empty array"]}),
        (
            {"type": "Polygon", "coordinates": [RING[:3]]},
            {"g.coordinates[0]": ["a linear ring has four or more positions"]},
        ),
        (
            {"type": "Polygon", "coordinates": [RING[:3] + [RING[1]]]},
            {"g.coordinates[0]": ["a linear ring is closed: its last position equals its first"]},
        ),
        (
            {"type": "Polygon", "coordinates": [[RING[0], [True, 1], *RING[2:]]]},
            {"g.coordinates[0][1]": ["a position holds finite numbers"]},
        ),
        (
            {"type": "Polygon", "coordinates": [[RING[0], [1.0, float("nan")], *RING[2:]]]},
            {"g.coordinates[0][1]": ["a position holds finite numbers"]},
        ),
        (
            {"type": "Polygon", "coordinates": [[RING[0], [1, 2, 3, 4], *RING[2:]]]},
            {
                "g.coordinates[0][1]": [
                    "a position is [longitude, latitude] or [longitude, latitude, altitude]"
                ]
            },
        ),
        (
            {"type": "Polygon", "coordinates": [[RING[0], [27.7, 106.2], *RING[2:]]]},
            {
                "g.coordinates[0][1]": [
                    "longitude within -180..180, latitude within -90..90 (WGS-84)"
                ]
            },
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[RING], []]},
            {"g.coordinates[1]": ["a polygon is a non-empty array of linear rings"]},
        ),
    ],
)
def test_what_breaks_rfc_7946_is_named_where(geometry, problems):
    assert polygon_problems(geometry, "g") == problems


def test_the_vertex_cap_counts_every_ring_of_every_polygon():
    square = {"type": "MultiPolygon", "coordinates": [[RING, RING], [RING]]}  # 12 positions
    assert polygon_problems(square, "g", max_vertices=12) == {}
    assert polygon_problems(square, "g", max_vertices=11) == {
        "g.coordinates": ["more than 11 positions"]
    }


def test_a_body_of_bad_positions_is_not_echoed_whole():
    rings = [[[1.0, float("inf")]] * 5 for _ in range(1000)]
    assert len(polygon_problems({"type": "Polygon", "coordinates": rings}, "g")) == 20
