"""A local metric frame (metres) for areas, tolerances and generation, without pyproj."""

import math

import numpy as np
import shapely

# WGS-84 ellipsoid.
A = 6378137.0
E2 = 6.69437999014e-3


class LocalFrame:
    """Sinusoidal projection centred at (lon0, lat0), in metres.

    x = (lon - lon0) * N * cos(lat), y = (lat - lat0) * M, with the meridian (M) and prime
    vertical (N) radii, in metres per degree, taken at lat0. The sinusoidal projection is
    equal-area, so areas are right to well under 0.1 % across a district of ~50 km; distances
    (hence buffers) are right to a fraction of a percent near the centre, which is all a
    tolerance of a few metres needs.
    """

    def __init__(self, lon0, lat0):
        self.lon0 = float(lon0)
        self.lat0 = float(lat0)
        w = 1.0 - E2 * math.sin(math.radians(self.lat0)) ** 2
        self.m_per_deg_lat = math.radians(1.0) * A * (1.0 - E2) / w**1.5
        self.n_m_per_deg = math.radians(1.0) * A / math.sqrt(w)

    @classmethod
    def around(cls, geoms):
        """A frame centred on the bounding box of a geometry or a sequence of geometries."""
        if isinstance(geoms, shapely.Geometry):
            geoms = [geoms]
        arr = np.empty(len(geoms), dtype=object)
        arr[:] = list(geoms)
        arr = arr[~shapely.is_missing(arr) & ~shapely.is_empty(arr)]
        if len(arr) == 0:
            return cls(0.0, 0.0)
        xmin, ymin, xmax, ymax = shapely.total_bounds(arr)
        return cls((xmin + xmax) / 2.0, (ymin + ymax) / 2.0)

    def _forward(self, coords):
        lon, lat = coords[:, 0], coords[:, 1]
        x = (lon - self.lon0) * self.n_m_per_deg * np.cos(np.radians(lat))
        y = (lat - self.lat0) * self.m_per_deg_lat
        return np.column_stack([x, y])

    def _inverse(self, coords):
        lat = coords[:, 1] / self.m_per_deg_lat + self.lat0
        lon = coords[:, 0] / (self.n_m_per_deg * np.cos(np.radians(lat))) + self.lon0
        return np.column_stack([lon, lat])

    def to_metres(self, geom):
        """Project a lon/lat geometry (or array of them) into this frame."""
        return shapely.transform(geom, self._forward)

    def to_degrees(self, geom):
        """Inverse of to_metres."""
        return shapely.transform(geom, self._inverse)


def area_m2(geom):
    """Area in square metres of a lon/lat (WGS-84) geometry, by a sinusoidal frame around it."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(LocalFrame.around(geom).to_metres(geom).area)
