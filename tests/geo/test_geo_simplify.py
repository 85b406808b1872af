import numpy as np
import shapely
from shapely.geometry import Point, box

from geo.metric import area_m2
from geo.simplify import round_coords, simplify_coverage


def _vertices(geoms):
    return int(shapely.get_num_coordinates(np.array(geoms, dtype=object)).sum())


def test_coverage_simplify_keeps_area_and_shared_edges(demo_reports):
    grids = [f.geometry for f in demo_reports["grid"].features]
    simple = simplify_coverage(grids, 20.0)
    assert len(simple) == len(grids)
    assert _vertices(simple) < 0.9 * _vertices(grids)
    before = sum(area_m2(g) for g in grids)
    after = sum(area_m2(g) for g in simple)
    assert abs(after - before) / before < 0.01
    assert shapely.is_valid(np.array(simple, dtype=object)).all()
    assert shapely.coverage_is_valid(np.array(simple, dtype=object))  # no slivers, no overlaps


def test_invalid_coverage_falls_back_to_one_by_one():
    wobbly = Point(109.19, 27.72).buffer(0.01, quad_segs=64)
    overlapping = [wobbly, box(109.19, 27.72, 109.21, 27.74)]
    simple = simplify_coverage(overlapping, 50.0)
    assert len(simple) == 2 and all(g.is_valid for g in simple)
    assert _vertices(simple) < _vertices(overlapping)
    assert simplify_coverage([], 10.0) == []


def test_round_coords():
    geom = box(109.123456789, 27.7, 109.2, 27.8)
    assert shapely.get_coordinates(round_coords(geom, 7))[:, 0].tolist().count(109.1234568) == 2
