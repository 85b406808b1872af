import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from geo.checks import GAP_MIN_M2, check_units
from geo.demo import DISTRICT_FILE
from geo.features import UnitFeature, read_units
from geo.metric import LocalFrame, area_m2

FRAME = LocalFrame(109.19, 27.72)  # shapes below are drawn in metres around the old town


def m_box(x0, y0, x1, y1):
    """A box given in metres east/north of the old town, as a lon/lat polygon."""
    return FRAME.to_degrees(box(x0, y0, x1, y1))


def unit(code, geom, parent="C1", index=0, level="grid"):
    return UnitFeature(code, code, level, parent, geom, index)


COMMUNITY = {"C1": m_box(0, 0, 1000, 1000)}


def test_real_district_is_repaired_and_converted():
    report = check_units(read_units(DISTRICT_FILE, "district"), "district", crs="gcj02")
    [issue] = report.issues
    assert issue.severity == "repaired" and issue.kind == "invalid_geometry"
    assert "Self-intersection" in issue.message and issue.code == "520602"
    assert report.ok
    [district] = report.features
    geom = district.geometry
    assert geom.geom_type == "MultiPolygon" and geom.is_valid
    assert area_m2(geom) / 1e6 == pytest.approx(1008, rel=0.03)
    # Converted: GCJ-02 sits ~500 m north-east of WGS-84 here, so the outline moved back.
    raw = read_units(DISTRICT_FILE, "district")[0].geometry
    assert 0.003 < raw.centroid.x - geom.centroid.x < 0.008
    assert "REPAIRED" in report.as_text() and "520602 (feature #0)" in report.as_text()


def test_bowtie_is_repaired_into_a_multipolygon():
    bowtie = Polygon([(109.0, 27.0), (109.1, 27.1), (109.1, 27.0), (109.0, 27.1)])
    report = check_units([unit("G1", bowtie)], "grid")
    assert report.ok and report.issues[0].severity == "repaired"
    geom = report.features[0].geometry
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2 and geom.is_valid


def test_unrepairable_and_missing_geometries_are_errors_not_crashes():
    flat = Polygon([(109.0, 27.0), (109.1, 27.0), (109.2, 27.0), (109.0, 27.0)])
    features = [
        unit("G1", flat, index=0),
        unit("G2", None, index=1),
        unit("G3", LineString([(109, 27), (109.1, 27.1)]), index=2),
        unit("G4", m_box(0, 0, 10, 10), index=3),
    ]
    report = check_units(features, "grid", COMMUNITY)
    assert {e.code for e in report.errors} == {"G1", "G2", "G3"}
    assert [f.code for f in report.features] == ["G4"]
    assert not report.ok


def test_grid_poking_out_of_its_community():
    poking = m_box(900, 100, 1100, 200)  # 100 m x 100 m outside
    report = check_units(
        [unit("G1", m_box(0, 0, 900, 1000), index=0), unit("G2", poking, index=1)],
        "grid",
        COMMUNITY,
    )
    [error] = report.errors
    assert error.kind == "outside_parent" and error.code == "G2" and error.feature_index == 1
    assert error.area_m2 == pytest.approx(10_000, rel=0.01)
    assert "C1" in error.message and "10,0" in error.message
    assert "G2 (feature #1)" in report.as_text()


def test_within_tolerance_is_inside():
    slightly = m_box(0, 0, 1001.5, 1000)  # 1.5 m over the edge, 1,500 m² in all
    assert check_units([unit("G1", slightly)], "grid", COMMUNITY).ok
    assert not check_units([unit("G1", slightly)], "grid", COMMUNITY, tolerance_m=1.0).ok


def test_tolerance_is_metres_in_both_directions():
    # 1.9 m over the east edge and 1.9 m over the north edge: both inside a 2 m tolerance,
    # which a buffer in degrees would get wrong in one direction or the other.
    east = m_box(0, 0, 1001.9, 500)
    north = m_box(0, 500, 1000, 1001.9)
    report = check_units(
        [unit("G1", east), unit("G2", north, index=1)], "grid", COMMUNITY, tolerance_m=2.0
    )
    assert not [e for e in report.errors if e.kind == "outside_parent"]
    report = check_units(
        [unit("G1", east), unit("G2", north, index=1)], "grid", COMMUNITY, tolerance_m=1.8
    )
    assert {e.code for e in report.errors if e.kind == "outside_parent"} == {"G1", "G2"}


def test_unknown_parent():
    report = check_units([unit("G1", m_box(0, 0, 10, 10), parent="C9")], "grid", COMMUNITY)
    [error] = report.errors
    assert error.kind == "unknown_parent" and "C9" in error.message


def test_overlapping_siblings_name_both_codes():
    a = m_box(0, 0, 550, 1000)
    b = m_box(500, 0, 1000, 1000)  # a 50 m x 1,000 m overlap
    report = check_units([unit("G1", a), unit("G2", b, index=1)], "grid", COMMUNITY)
    [error] = report.errors
    assert error.kind == "overlap" and {error.code, error.other_code} == {"G1", "G2"}
    assert "G1" in report.as_text() and "G2" in error.message
    assert error.area_m2 == pytest.approx(50_000, rel=0.01)


def test_shared_edges_and_thin_slivers_are_not_overlaps():
    exact = [unit("G1", m_box(0, 0, 500, 1000)), unit("G2", m_box(500, 0, 1000, 1000), index=1)]
    assert check_units(exact, "grid", COMMUNITY).issues == []
    sliver = [unit("G1", m_box(0, 0, 501, 1000)), unit("G2", m_box(500, 0, 1000, 1000), index=1)]
    assert check_units(sliver, "grid", COMMUNITY).ok  # 1 m wide: within the 2 m tolerance


def test_cousins_may_overlap_without_an_overlap_error():
    parents = {"C1": m_box(0, 0, 1000, 1000), "C2": m_box(0, 0, 1000, 1000)}
    report = check_units(
        [
            unit("G1", m_box(0, 0, 1000, 1000)),
            unit("G2", m_box(0, 0, 1000, 1000), parent="C2", index=1),
        ],
        "grid",
        parents,
    )
    assert report.ok


def test_gap_is_a_warning_with_its_area():
    hole = m_box(400, 400, 500, 500)
    whole = m_box(0, 0, 1000, 1000).difference(hole)
    report = check_units([unit("G1", whole)], "grid", COMMUNITY)
    assert report.ok
    [warning] = report.warnings
    assert warning.kind == "gap" and warning.code == "C1" and warning.feature_index is None
    assert warning.area_m2 == pytest.approx(10_000, rel=0.01)
    assert "WARNING" in report.as_text() and "community C1" in report.as_text()


def test_small_or_thin_gaps_are_ignored():
    tiny = m_box(0, 0, 1000, 1000).difference(m_box(400, 400, 402.5, 402.5))  # 6.25 m²
    thin = m_box(0, 0, 1000, 1000).difference(m_box(400, 0, 401, 1000))  # 1 m wide
    assert 0 < GAP_MIN_M2 and check_units([unit("G1", tiny)], "grid", COMMUNITY).issues == []
    assert check_units([unit("G1", thin)], "grid", COMMUNITY).issues == []


def test_gaps_only_with_parents_and_childless_parents_warned():
    assert check_units([unit("G1", m_box(0, 0, 10, 10))], "grid").issues == []
    parents = {**COMMUNITY, "C2": m_box(2000, 0, 3000, 1000)}
    report = check_units([unit("G1", m_box(0, 0, 1000, 1000))], "grid", parents)
    assert [(w.kind, w.code) for w in report.warnings] == [("no_children", "C2")]


def test_gcj02_input_is_converted():
    # The same coordinates read as GCJ-02 move ~580 m south-west, out of the community.
    report = check_units([unit("G1", m_box(100, 100, 900, 900))], "grid", COMMUNITY, crs="gcj02")
    assert [e.kind for e in report.errors] == ["outside_parent"]


def test_all_outputs_are_valid_multipolygons():
    report = check_units(
        [
            unit("G1", m_box(0, 0, 10, 10)),
            unit("G2", MultiPolygon([m_box(20, 0, 30, 10)]), index=1),
        ],
        "grid",
    )
    assert all(
        f.geometry.geom_type == "MultiPolygon" and f.geometry.is_valid for f in report.features
    )


def test_checking_514_grids_is_fast(demo_paths, demo_reports):
    communities = {f.code: f.geometry for f in demo_reports["community"].features}
    grids = read_units(demo_paths["grid"], "grid")
    start = time.perf_counter()
    report = check_units(grids, "grid", communities)
    assert time.perf_counter() - start < 1.5
    assert report.ok


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.integers(-5, 5), st.integers(-5, 5)).map(
                lambda p: (109.19 + p[0] * 1e-3, 27.72 + p[1] * 1e-3)
            ),
            min_size=3,
            max_size=8,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_rings_never_crash(rings):
    # Self-intersecting, collapsed, duplicated and overlapping rings: collected, never raised.
    features = [unit(f"G{i}", Polygon(ring), index=i) for i, ring in enumerate(rings)]
    parents = {"C1": m_box(-300, -300, 300, 300)}
    report = check_units(features, "grid", parents, crs="gcj02")
    assert all(
        f.geometry.geom_type == "MultiPolygon" and f.geometry.is_valid for f in report.features
    )
    assert len(report.features) + len([e for e in report.errors if "geometry" in e.kind]) == len(
        features
    )
    report.as_text()
