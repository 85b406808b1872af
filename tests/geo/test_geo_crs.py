import math
import time

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from geo.crs import gcj02_to_wgs84, out_of_china, to_wgs84, wgs84_to_gcj02
from geo.metric import LocalFrame

TONGREN = (109.19, 27.72)


def test_known_value_beijing():
    # The value published with the widely used reference implementation (coordtransform).
    lng, lat = wgs84_to_gcj02(116.404, 39.915)
    assert math.isclose(lng, 116.41024449916938, abs_tol=1e-9)
    assert math.isclose(lat, 39.91640428150164, abs_tol=1e-9)


def test_offset_in_tongren_is_a_few_hundred_metres():
    gcj = wgs84_to_gcj02(*TONGREN)
    x, y = shapely.get_coordinates(LocalFrame(*TONGREN).to_metres(shapely.Point(gcj)))[0]
    assert 300 < math.hypot(x, y) < 900


def test_round_trip_in_tongren_is_exact():
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*TONGREN))
    assert abs(back[0] - TONGREN[0]) < 1e-9 and abs(back[1] - TONGREN[1]) < 1e-9


def test_inverse_is_better_than_one_step():
    gcj = wgs84_to_gcj02(*TONGREN)
    crude = 2 * np.array(gcj) - np.array(wgs84_to_gcj02(*gcj))  # the usual one-step inverse
    exact = np.array(gcj02_to_wgs84(*gcj))
    assert np.abs(exact - TONGREN).max() < 1e-9 < np.abs(crude - TONGREN).max()


def test_outside_china_is_identity():
    paris = (2.3522, 48.8566)
    assert out_of_china(*paris)
    assert not out_of_china(*TONGREN)
    assert wgs84_to_gcj02(*paris) == paris
    assert gcj02_to_wgs84(*paris) == paris


def test_arrays_in_arrays_out():
    lng = np.array([109.19, 2.35, 116.404])
    lat = np.array([27.72, 48.85, 39.915])
    glng, glat = wgs84_to_gcj02(lng, lat)
    assert glng.shape == (3,) and glng[1] == 2.35 and glat[1] == 48.85
    assert np.allclose(out_of_china(lng, lat), [False, True, False])


def test_to_wgs84_geometry():
    ring = [(109.18, 27.71), (109.20, 27.71), (109.20, 27.73), (109.18, 27.71)]
    poly = Polygon(ring)
    assert to_wgs84(poly, "wgs84") is poly
    converted = to_wgs84(poly, "gcj02")
    for (lng, lat), (x, y) in zip(ring, converted.exterior.coords, strict=True):
        assert (x, y) == gcj02_to_wgs84(lng, lat)


def test_unknown_crs_raises():
    with pytest.raises(ValueError, match="unknown CRS"):
        to_wgs84(Polygon([(0, 0), (1, 0), (1, 1)]), "bd09")


def test_many_polygons_convert_fast():
    rng = np.random.default_rng(0)
    centres = rng.uniform((109.0, 27.6), (109.4, 27.8), size=(500, 2))
    polys = shapely.buffer(shapely.points(centres), 0.002, quad_segs=25)  # ~100 vertices each
    start = time.perf_counter()
    out = to_wgs84(polys, "gcj02")
    assert time.perf_counter() - start < 0.5
    assert len(out) == 500 and shapely.is_valid(out).all()


@settings(max_examples=300, deadline=None)
@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_round_trip_property(lng, lat):
    back_lng, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
    assert abs(back_lng - lng) < 1e-6 and abs(back_lat - lat) < 1e-6
    # And the other way round: GCJ-02 -> WGS-84 -> GCJ-02.
    again = wgs84_to_gcj02(*gcj02_to_wgs84(lng, lat))
    assert abs(again[0] - lng) < 1e-6 and abs(again[1] - lat) < 1e-6
