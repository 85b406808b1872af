"""A drawn area (a GeoJSON polygon) is checked per RFC 7946 before a grid is looked up."""

import json

import pytest
from shapely.geometry import box, mapping

from app.emergency.models import EmergencySwitch
from tests.builders import point_in


def _ring(unit, d=0.0001):
    p = point_in(unit)
    return [
        list(c)
        for c in mapping(box(p["lng"] - d, p["lat"] - d, p["lng"] + d, p["lat"] + d))[
            "coordinates"
        ][0]
    ]


def _post(client, switch_body, geometry):
    body = {**switch_body(), "scope": {"level": "polygon", "geometry": geometry}}
    return client.post("/api/emergency/switches", json=body)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_in_a_polygon_are_not_json(cast, as_user, switch_body, db, constant):
    ring = _ring(cast.grid)
    text = json.dumps({"type": "Polygon", "coordinates": [ring]}).replace(
        json.dumps(ring[2][1]), constant, 1
    )
    body = json.dumps({**switch_body(), "scope": {"level": "polygon", "geometry": "G"}})
    response = as_user(cast.district_admin).post(
        "/api/emergency/switches",
        data=body.replace('"G"', text),
        content_type="application/json",
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "malformed_json"
    assert db.session.query(EmergencySwitch).count() == 0


def _cases(ring):
    open_ring = ring[:-1] + [[ring[0][0] + 0.00001, ring[0][1]]]
    return [
        ({"type": "polygon", "coordinates": [ring]}, "scope.geometry.type"),
        ({"type": "Point", "coordinates": ring[0]}, "scope.geometry.type"),
        ({"type": "GeometryCollection", "geometries": []}, "scope.geometry.type"),
        ({"type": "Polygon", "coordinates": [open_ring]}, "scope.geometry.coordinates[0]"),
        (
            {"type": "Polygon", "coordinates": [ring[:2] + [ring[0]]]},
            "scope.geometry.coordinates[0]",
        ),
        (
            {"type": "Polygon", "coordinates": [ring[:3] + [[200, 0]] + ring[4:]]},
            "scope.geometry.coordinates[0][3]",
        ),
        (
            {"type": "Polygon", "coordinates": [ring[:1] + [["1", 2]] + ring[2:]]},
            "scope.geometry.coordinates[0][1]",
        ),
        ({"type": "Polygon", "coordinates": []}, "scope.geometry.coordinates"),
        (
            {"type": "MultiPolygon", "coordinates": [[ring], [open_ring]]},
            "scope.geometry.coordinates[1][0]",
        ),
    ]


def test_a_drawn_area_that_breaks_rfc_7946_is_named_where(cast, as_user, switch_body, db):
    client = as_user(cast.district_admin)
    for geometry, where in _cases(_ring(cast.grid)):
        response = _post(client, switch_body, geometry)
        assert response.status_code == 422, (geometry, response.get_json())
        assert list(response.get_json()["error"]["fields"]) == [where], geometry
    assert db.session.query(EmergencySwitch).count() == 0


def test_a_multipolygon_within_the_vertex_cap_is_a_switch(cast, as_user, switch_body):
    ring = _ring(cast.grid)
    response = _post(
        as_user(cast.district_admin), switch_body, {"type": "MultiPolygon", "coordinates": [[ring]]}
    )
    assert response.status_code == 201, response.get_json()
    assert cast.grid.code in response.get_json()["grids"]


def test_a_polygon_past_the_vertex_cap_is_refused_before_shapely_sees_it(
    app, cast, as_user, switch_body
):
    cap = app.config["POLYGON_MAX_VERTICES"]
    ring = _ring(cast.grid)
    many = [ring[0]] + [ring[1]] * (cap - 1) + [ring[0]]  # cap + 1 positions
    response = _post(
        as_user(cast.district_admin), switch_body, {"type": "Polygon", "coordinates": [many]}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "scope.geometry.coordinates": [f"more than {cap} positions"]
    }
