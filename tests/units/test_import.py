"""`flask geo import`: all or nothing, updates by code, errors that name the feature."""

import json

import pytest
import shapely
from sqlalchemy import func, select

from app.units.models import Unit, current_revision

LEVEL_FILES = ("district", "street", "community", "grid")


def count(db, level=None):
    query = select(func.count()).select_from(Unit)
    if level:
        query = query.where(Unit.level == level)
    return db.session.execute(query).scalar()


def run_import(runner, path, level, *extra):
    return runner.invoke(args=["geo", "import", str(path), "--level", level, *extra])


def load_map(runner, demo_files, upto="grid"):
    for level in LEVEL_FILES:
        crs = ["--crs", "gcj02"] if level == "district" else []
        result = run_import(runner, demo_files[level], level, *crs)
        assert result.exit_code == 0, result.output
        if level == upto:
            return


def edited(tmp_path, demo_files, level, edit, name="edited.geojson"):
    data = json.loads(demo_files[level].read_text())
    edit(data["features"])
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def test_import_the_whole_map_level_by_level(runner, db, demo_files):
    load_map(runner, demo_files)
    assert count(db, "district") == 1
    assert count(db, "street") == 7
    assert count(db, "community") == 7
    assert count(db, "grid") == 35
    for grid in db.session.execute(select(Unit).where(Unit.level == "grid")).scalars():
        assert grid.geom.is_valid and grid.geom.geom_type == "MultiPolygon"
        assert (
            grid.code.startswith(grid.parent.code) and len(grid.code) == len(grid.parent.code) + 3
        )
        assert 10_000 < grid.area_m2 < 10_000_000  # the small test district has big grids


def test_the_real_district_outline_is_reported_invalid_repaired_and_converted(
    runner, db, demo_files
):
    result = run_import(runner, demo_files["district"], "district", "--crs", "gcj02")
    assert result.exit_code == 0
    assert "REPAIRED" in result.output and "520602" in result.output
    district = db.session.execute(select(Unit).where(Unit.level == "district")).scalar()
    assert district.geom.is_valid
    assert district.area_m2 == pytest.approx(1_008e6, rel=0.03)
    # GCJ-02 → WGS-84 moves Tongren by a few hundred metres.
    raw = shapely.geometry.shape(
        json.loads(demo_files["district"].read_text())["features"][0]["geometry"]
    )
    dx_m = (raw.centroid.x - district.geom.centroid.x) * 98_600  # metres per degree at 27.7 N
    dy_m = (raw.centroid.y - district.geom.centroid.y) * 110_800
    assert 300 < (dx_m**2 + dy_m**2) ** 0.5 < 900


def test_dry_run_reports_and_writes_nothing(runner, db, demo_files):
    revision = current_revision()
    result = run_import(runner, demo_files["district"], "district", "--crs", "gcj02", "--dry-run")
    assert result.exit_code == 0
    assert "would create 1" in result.output and "nothing was written" in result.output
    assert count(db) == 0
    assert current_revision() == revision


def test_a_grid_poking_out_of_its_community_fails_the_whole_file(runner, db, demo_files, tmp_path):
    load_map(runner, demo_files, upto="community")

    def poke(features):
        geom = shapely.geometry.shape(features[3]["geometry"])
        features[3]["geometry"] = shapely.geometry.mapping(geom.buffer(0.002))

    path = edited(tmp_path, demo_files, "grid", poke)
    result = run_import(runner, path, "grid")
    assert result.exit_code == 1
    code = json.loads(path.read_text())["features"][3]["properties"]["code"]
    assert code in result.output and "outside" in result.output.lower()
    assert "Nothing was imported" in result.output
    assert count(db, "grid") == 0  # not even the 34 good grids


def test_overlapping_siblings_are_named(runner, db, demo_files, tmp_path):
    load_map(runner, demo_files, upto="community")
    features = json.loads(demo_files["grid"].read_text())["features"]
    first = shapely.geometry.shape(features[0]["geometry"])
    neighbour = next(
        f
        for f in features[1:]
        if f["properties"]["parent_code"] == features[0]["properties"]["parent_code"]
        and shapely.geometry.shape(f["geometry"]).touches(first)
    )

    def grow(fs):
        target = next(f for f in fs if f["properties"]["code"] == neighbour["properties"]["code"])
        grown = shapely.geometry.shape(target["geometry"]).union(first.buffer(-0.0003))
        target["geometry"] = shapely.geometry.mapping(grown)

    result = run_import(runner, edited(tmp_path, demo_files, "grid", grow), "grid")
    assert result.exit_code == 1
    assert features[0]["properties"]["code"] in result.output
    assert neighbour["properties"]["code"] in result.output
    assert "overlap" in result.output


def test_malformed_features_are_all_reported_at_once(runner, db, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": "无码"}, "geometry": None},
                    {
                        "type": "Feature",
                        "properties": {"code": "520602", "name": "点"},
                        "geometry": {"type": "Point", "coordinates": [109.2, 27.7]},
                    },
                ],
            }
        )
    )
    result = run_import(runner, path, "district")
    assert result.exit_code == 1
    assert "feature 0" in result.output and "code" in result.output
    assert "520602" in result.output
    assert count(db) == 0


def test_not_json_is_a_clear_error(runner, db, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text("{not json")
    result = run_import(runner, path, "district")
    assert result.exit_code == 1
    assert "JSON" in result.output


def test_unknown_parent_and_bad_grid_codes_fail(runner, db, demo_files, tmp_path):
    load_map(runner, demo_files, upto="community")

    def break_codes(features):
        features[0]["properties"]["parent_code"] = "520602999999"
        features[1]["properties"]["code"] = features[1]["properties"]["parent_code"] + "0001"

    result = run_import(runner, edited(tmp_path, demo_files, "grid", break_codes), "grid")
    assert result.exit_code == 1
    assert "520602999999" in result.output
    assert "plus 3 digits" in result.output
    assert count(db, "grid") == 0


def test_reimport_updates_by_code_and_bumps_the_revision(runner, db, demo_files, tmp_path):
    load_map(runner, demo_files)
    before = current_revision()

    def rename(features):
        features[0]["properties"]["name"] = "新名字"

    result = run_import(runner, edited(tmp_path, demo_files, "grid", rename), "grid")
    assert result.exit_code == 0, result.output
    assert "created 0, updated 35" in result.output
    assert count(db, "grid") == 35
    code = json.loads(demo_files["grid"].read_text())["features"][0]["properties"]["code"]
    db.session.expire_all()
    assert db.session.execute(select(Unit.name).where(Unit.code == code)).scalar() == "新名字"
    assert current_revision() == before + 1


def test_reimport_that_would_overlap_an_existing_sibling_fails(runner, db, demo_files, tmp_path):
    load_map(runner, demo_files)
    features = json.loads(demo_files["grid"].read_text())["features"]
    first = features[0]
    sibling = next(
        f
        for f in features[1:]
        if f["properties"]["parent_code"] == first["properties"]["parent_code"]
        and shapely.geometry.shape(f["geometry"]).touches(shapely.geometry.shape(first["geometry"]))
    )
    # A file with just one grid, grown into its (already imported) neighbour.
    grown = shapely.geometry.shape(first["geometry"]).union(
        shapely.geometry.shape(sibling["geometry"]).buffer(-0.0003)
    )
    first["geometry"] = shapely.geometry.mapping(grown)
    path = tmp_path / "one.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [first]}, ensure_ascii=False)
    )
    result = run_import(runner, path, "grid")
    assert result.exit_code == 1
    assert sibling["properties"]["code"] in result.output


def test_demo_load_builds_the_published_district(runner, db, app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    result = runner.invoke(args=["demo", "load", "--members", "700"])
    assert result.exit_code == 0, result.output
    assert (count(db, "street"), count(db, "community"), count(db, "grid")) == (7, 36, 514)
    from app.people.models import GRID_MEMBER, TEAM_MEMBER, User

    roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles[GRID_MEMBER] == 514
    assert roles[GRID_MEMBER] + roles[TEAM_MEMBER] == 700
    assert roles["secretary"] == 36

    logins = runner.invoke(args=["demo", "logins", "--json"])
    listed = json.loads(logins.output)
    roles_listed = {entry["role"] for entry in listed}
    assert {"grid_member", "secretary", "street_admin", "district_admin"} <= roles_listed

    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "already" in again.output
    assert count(db, "grid") == 514

    # The printed logins work.
    client = app.test_client()
    member = next(entry for entry in listed if entry["role"] == "grid_member")
    response = client.post(
        "/api/auth/login", json={"phone": member["phone"], "password": member["password"]}
    )
    assert response.status_code == 200
    assert response.get_json()["units"][0]["level"] == "grid"
