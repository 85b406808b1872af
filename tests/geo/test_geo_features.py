import json

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geo.demo import DISTRICT_FILE
from geo.features import GeoJSONError, UnitFeature, read_units, write_units


def feature(code="G1", name="网格", parent="C1", geometry=None, **extra):
    props = {"code": code, "name": name, "parent_code": parent, **extra}
    if code is None:
        del props["code"]
    if geometry is None:
        geometry = shapely.geometry.mapping(box(109.1, 27.7, 109.2, 27.8))
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def problems_of(source, level="grid"):
    with pytest.raises(GeoJSONError) as exc:
        read_units(source, level)
    return exc.value.problems


def test_reads_the_real_district():
    [district] = read_units(DISTRICT_FILE, "district")
    assert (district.code, district.name, district.level, district.parent_code) == (
        "520602",
        "碧江区",
        "district",
        None,
    )
    assert district.geometry.geom_type == "Polygon" and not district.geometry.is_valid


def test_single_feature_and_integer_codes():
    [unit] = read_units(feature(code=520602001001, parent=520602001), "grid")
    assert unit.code == "520602001001" and unit.parent_code == "520602001" and unit.index == 0


def test_every_bad_feature_is_reported_at_once():
    bad = collection(
        feature("G1"),  # 0: fine
        feature(code=None),  # 1: no code
        feature("G1"),  # 2: duplicate
        feature("G3", geometry={"type": "Point", "coordinates": [109.1, 27.7]}),
        feature("G4", geometry={"type": "Polygon", "coordinates": []}),
        feature("G5", geometry=shapely.geometry.mapping(box(27.7, 109.1, 27.8, 109.2))),
        feature("G6", name=""),
        feature("G7", parent=None),
        feature("G8", level="community"),
        feature("G9", geometry={"type": "Polygon", "coordinates": [[[1, 2], [3, 4]]]}),
        "not a feature",
    )
    problems = problems_of(bad)
    found = {(p["feature"], p["field"]) for p in problems}
    assert found == {
        (1, "code"),
        ("G1", "code"),
        ("G3", "geometry"),
        ("G4", "geometry"),
        ("G5", "geometry"),
        ("G6", "name"),
        ("G7", "parent_code"),
        ("G8", "level"),
        ("G9", "geometry"),
        (10, "type"),
    }
    dup = next(p for p in problems if p["feature"] == "G1")
    assert dup["index"] == 2 and "duplicate" in dup["message"] and "#0" in dup["message"]
    assert "Point" in next(p for p in problems if p["feature"] == "G3")["message"]
    assert "empty" in next(p for p in problems if p["feature"] == "G4")["message"]
    assert "latitude" in next(p for p in problems if p["feature"] == "G5")["message"]


def test_error_message_lists_problems():
    with pytest.raises(GeoJSONError) as exc:
        read_units(collection(feature(code=None), feature("G2", name=None)), "grid")
    text = str(exc.value)
    assert "2 problem(s)" in text and "feature 0 [code]" in text and "feature G2 [name]" in text


def test_parent_code_optional_for_district_only():
    [unit] = read_units(collection(feature("520602", parent=None)), "district")
    assert unit.parent_code is None
    [problem] = problems_of(collection(feature("S1", parent=None)), "street")
    assert problem["field"] == "parent_code"


def test_bad_json_and_wrong_types(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    [problem] = problems_of(path)
    assert problem["feature"] is None and "not valid JSON" in problem["message"]
    assert "expected a FeatureCollection" in problems_of({"type": "Polygon"})[0]["message"]
    assert "no features" in problems_of(collection())[0]["message"]
    assert "cannot read" in problems_of(tmp_path / "missing.geojson")[0]["message"]
    with pytest.raises(ValueError, match="unknown level"):
        read_units(collection(feature()), "village")


def test_write_then_read(tmp_path):
    square = Polygon([(109.123456789, 27.7), (109.123456789, 27.8), (109.2, 27.8), (109.2, 27.7)])
    units = [
        UnitFeature("520602002001001", "北门社区第01网格", "grid", "520602002001", square, 0),
        UnitFeature(
            "520602002001002",
            "北门社区第02网格",
            "grid",
            "520602002001",
            MultiPolygon([box(109.3, 27.7, 109.4, 27.8)]),
            1,
        ),
    ]
    path = tmp_path / "grids.geojson"
    write_units(units, path)
    text = path.read_text(encoding="utf-8")
    assert "北门社区第01网格" in text and ", " not in text and ": " not in text
    assert "109.1234568" in text and "109.123456789" not in text
    data = json.loads(text)
    assert data["features"][0]["properties"] == {
        "code": "520602002001001",
        "name": "北门社区第01网格",
        "level": "grid",
        "parent_code": "520602002001",
    }
    exterior = shapely.geometry.shape(data["features"][0]["geometry"]).exterior
    assert exterior.is_ccw  # RFC 7946 orientation, whatever the input's
    back = read_units(path, "grid")
    assert [u.code for u in back] == [u.code for u in units]
    assert back[1].geometry.geom_type == "MultiPolygon"
