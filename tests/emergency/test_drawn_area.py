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


def test_an_area_drawn_past_the_street_takes_only_the_street_s_grids(cast, as_user, switch_body):
    """The console previews the grids of the admin's own area; the switch takes those, not the
    next street's that the drawn area also touches."""
    ours, theirs = point_in(cast.grid), point_in(cast.other_grid)
    across = box(
        min(ours["lng"], theirs["lng"]),
        min(ours["lat"], theirs["lat"]),
        max(ours["lng"], theirs["lng"]),
        max(ours["lat"], theirs["lat"]),
    ).buffer(0.0001)
    admin = as_user(cast.street_admin)
    made = _post(admin, switch_body, mapping(across))
    assert made.status_code == 201, made.get_json()
    assert cast.grid.code in made.get_json()["grids"]
    assert all(code.startswith(cast.street.code) for code in made.get_json()["grids"])
    # The district's admin draws the same area over both streets.
    district = _post(as_user(cast.district_admin), switch_body, mapping(across)).get_json()
    assert {cast.grid.code, cast.other_grid.code} <= set(district["grids"])

    only_theirs = _post(
        admin, switch_body, {"type": "Polygon", "coordinates": [_ring(cast.other_grid)]}
    )
    assert only_theirs.status_code == 422
    assert only_theirs.get_json()["error"]["code"] == "outside_your_area"
    assert only_theirs.get_json()["error"]["fields"] == {"scope.geometry": ["none of your grids"]}
    # Who may not switch at all is told so, whatever the area.
    member = _post(
        as_user(cast.member), switch_body, {"type": "Polygon", "coordinates": [_ring(cast.grid)]}
    )
    assert member.status_code == 403
