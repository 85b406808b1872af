"""Simplification of unit boundaries for overview maps, keeping neighbours' shared edges."""

import numpy as np
import shapely
from shapely.errors import GEOSException

from .metric import LocalFrame


def simplify_coverage(geoms, tolerance_m):
    """Simplify lon/lat polygons that tile an area (a coverage) together; returns a list.

    Uses shapely.coverage_simplify (Visvalingam-Whyatt; `tolerance_m` is roughly the square
    root of the area of the triangles removed), so shared edges are simplified once and
    neighbours stay edge-matched: no slivers or gaps on the overview map. The work is done in
    a local metric frame, so the tolerance means the same on both axes. If the input is not a
    valid coverage (overlaps or unmatched edges, which coverage simplification would turn into
    invalid topology) or GEOS refuses it, each geometry is simplified on its own with
    preserve_topology=True (Douglas-Peucker, tolerance as a distance) instead.
    """
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    if len(arr) == 0:
        return []
    frame = LocalFrame.around(arr)
    metric = frame.to_metres(arr)
    try:
        if not shapely.coverage_is_valid(metric):
            raise GEOSException("not a valid coverage")
        simplified = shapely.coverage_simplify(metric, tolerance_m)
    except GEOSException:
        simplified = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    return list(frame.to_degrees(simplified))


def round_coords(geom, ndigits=7):
    """Round every coordinate to `ndigits` decimals (may make a tiny polygon invalid: re-check)."""
    return shapely.transform(geom, lambda c: np.round(c, ndigits))
