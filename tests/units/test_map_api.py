"""The map over HTTP: tree, grid GeoJSON, locate, grid details, as a user sees them."""

import gzip
import json

import pytest
import shapely
from shapely.geometry import shape

from app.people.models import DISTRICT_ADMIN, GRID_MEMBER, SECRETARY


def test_unit_tree_nests_district_streets_communities_grids(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    tree = client.get("/api/units").get_json()
    assert [node["level"] for node in tree] == ["district"]
    streets = tree[0]["children"]
    assert len(streets) == len(district["street"])
    communities = [c for s in streets for c in s["children"]]
    grids = [g for c in communities for g in c["children"]]
    assert len(communities) == len(district["community"])
    assert sorted(g["code"] for g in grids) == sorted(g.code for g in district["grid"])
    for community in communities:
        assert all(g["code"].startswith(community["code"]) for g in community["children"])


def test_grids_are_a_geojson_feature_collection_with_valid_wgs84_polygons(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    response = client.get("/api/grids")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = response.get_json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(district["grid"])
    for feature in collection["features"]:
        geom = shape(feature["geometry"])
        assert geom.geom_type == "MultiPolygon" and geom.is_valid
        minx, miny, maxx, maxy = geom.bounds
        assert 108.5 < minx < maxx < 109.6 and 27.3 < miny < maxy < 28.2
        assert feature["id"] == feature["properties"]["code"]
        assert feature["properties"]["community"] == feature["id"][:12]
        assert feature["properties"]["street"] == feature["id"][:9]


def test_grids_filter_by_community_street_and_bbox(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    community = district["community"][0]
    by_community = client.get(f"/api/grids?community={community.code}").get_json()["features"]
    assert {f["id"] for f in by_community} == {
        g.code for g in district["grid"] if g.parent_id == community.id
    }
    street = district["street"][0]
    by_street = client.get(f"/api/grids?street={street.code}").get_json()["features"]
    assert by_street and all(f["id"].startswith(street.code) for f in by_street)

    target = shapely.from_wkb(shapely.to_wkb(district["grid"][3].geom))
    point = target.representative_point()
    box = f"{point.x - 1e-5},{point.y - 1e-5},{point.x + 1e-5},{point.y + 1e-5}"
    in_box = client.get(f"/api/grids?bbox={box}").get_json()["features"]
    assert district["grid"][3].code in {f["id"] for f in in_box}
    assert len(in_box) < len(district["grid"])


@pytest.mark.parametrize(
    "query, field",
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=109.3,27.7,109.1,27.8", "bbox"),
        ("simplify=-1", "simplify"),
        ("community=1&street=2", "community"),
    ],
)
def test_bad_grid_queries_say_which_field(client, auth, district, query, field):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    response = client.get(f"/api/grids?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_unknown_community_filter_is_a_404(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    response = client.get("/api/grids?community=999999999999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_grids_are_cached_with_an_etag_that_changes_with_the_map(
    client, auth, district, demo_files
):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    first = client.get("/api/grids")
    etag = first.headers["ETag"]
    again = client.get("/api/grids", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    # A re-import with a renamed grid changes the map, so the old ETag no longer matches.
    data = json.loads(demo_files["grid"].read_text())
    data["features"][0]["properties"]["name"] = "改名网格"
    path = demo_files["grid"].parent / "renamed.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False))
    from app.units.importer import import_units

    import_units(str(path), "grid")
    changed = client.get("/api/grids", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "改名网格" in changed.get_data(as_text=True)


def test_simplified_grids_are_smaller_and_keep_their_area(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    full = client.get("/api/grids")
    simple = client.get("/api/grids?simplify=20")
    assert len(simple.data) < len(full.data)
    area = lambda r: sum(shape(f["geometry"]).area for f in r.get_json()["features"])  # noqa: E731
    assert area(simple) == pytest.approx(area(full), rel=0.01)
    # Neighbours still share their edges: the union has no more holes than before.
    union = shapely.union_all([shape(f["geometry"]) for f in simple.get_json()["features"]])
    assert union.area == pytest.approx(area(simple), rel=1e-3)


def test_grids_are_compressed_for_clients_that_accept_gzip(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    response = client.get("/api/grids", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.data))
    assert len(body["features"]) == len(district["grid"])


def test_locate_names_grid_community_and_street(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    for grid in district["grid"][:10]:
        point = grid.geom.representative_point()
        response = client.get(f"/api/locate?lat={point.y}&lng={point.x}")
        assert response.status_code == 200
        body = response.get_json()
        assert body["grid"] == {"code": grid.code, "name": grid.name}
        assert body["community"]["code"] == grid.parent.code
        assert body["street"]["code"] == grid.parent.parent.code


def test_locate_outside_the_district_is_a_clear_404(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    response = client.get("/api/locate?lat=39.9&lng=116.4")  # Beijing
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "outside_district"
    assert set(error["fields"]) == {"lat", "lng"}


@pytest.mark.parametrize("query", ["lat=91&lng=109", "lat=27&lng=200", "lat=abc&lng=109", "lat=27"])
def test_locate_validates_coordinates(client, auth, district, query):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    response = client.get(f"/api/locate?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


def test_a_point_on_a_shared_vertex_belongs_to_the_grid_with_the_smaller_code(
    client, auth, district
):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    grids = district["grid"]
    shared = None
    for a in grids:
        for b in grids:
            if a.code < b.code and a.geom.touches(b.geom):
                common = set(map(tuple, shapely.get_coordinates(a.geom).tolist())) & set(
                    map(tuple, shapely.get_coordinates(b.geom).tolist())
                )
                if common:
                    shared = (a, b, sorted(common)[0])
                    break
        if shared:
            break
    assert shared, "the demo grids share vertices"
    a, b, (lng, lat) = shared
    holders = sorted(g.code for g in grids if g.geom.covers(shapely.Point(lng, lat)))
    assert holders[0] == a.code and b.code in holders
    response = client.get(f"/api/locate?lat={lat!r}&lng={lng!r}")
    assert response.get_json()["grid"]["code"] == a.code


def test_grid_detail_shows_members_and_masks_phones_for_members(client, auth, district):
    grid = district["grid"][0]
    member = auth.as_role(GRID_MEMBER, grid, name="王芳")
    detail = client.get(f"/api/grids/{grid.code}").get_json()
    assert detail["code"] == grid.code
    assert detail["community"]["code"] == grid.parent.code
    assert shape(detail["geometry"]).equals_exact(grid.geom, 1e-9)
    assert detail["area_m2"] == pytest.approx(grid.area_m2)
    person = next(p for p in detail["members"] if p["name"] == "王芳")
    assert person["phone"] == member.phone[:3] + "****" + member.phone[-4:]


def test_secretary_sees_full_phones(client, auth, district):
    from tests.conftest import make_user

    grid = district["grid"][0]
    member = make_user(GRID_MEMBER, [grid])
    auth.as_role(SECRETARY, grid.parent)
    detail = client.get(f"/api/grids/{grid.code}").get_json()
    assert member.phone in [p["phone"] for p in detail["members"]]


def test_a_leader_answering_for_the_street_and_the_community_is_listed_once(client, auth, district):
    from tests.conftest import make_user

    grid = district["grid"][0]
    community, street = grid.parent, grid.parent.parent
    make_user(DISTRICT_ADMIN, responsible_for=[community, street], name="彭旭")
    make_user(DISTRICT_ADMIN, responsible_for=[grid], name="吴包格")
    auth.as_role(SECRETARY, community)
    detail = client.get(f"/api/grids/{grid.code}").get_json()
    assert [
        (p["name"], [(u["level"], u["code"]) for u in p["responsible_for"]])
        for p in detail["responsible"]
    ] == sorted(
        [
            ("彭旭", [("street", street.code), ("community", community.code)]),
            ("吴包格", [("grid", grid.code)]),
        ]
    )


def test_unknown_grid_is_a_404(client, auth, district):
    auth.as_role(DISTRICT_ADMIN, district["district"][0])
    response = client.get("/api/grids/520602999999999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
