"""Conversion between GCJ-02 (Chinese web-map "Mars" coordinates) and WGS-84."""

import numpy as np
import shapely

# Krasovsky 1940 ellipsoid: the published GCJ-02 algorithm is defined on it, not on WGS-84.
_A = 6378245.0
_EE = 0.00669342162296594323

CRS_NAMES = ("wgs84", "gcj02")


def out_of_china(lng, lat):
    """True where a point lies outside the rough bounding box in which GCJ-02 applies an offset.

    This is the box used by the widely copied reference implementation; outside it GCJ-02 and
    WGS-84 coincide. Accepts scalars or arrays.
    """
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    result = (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)
    return bool(result) if result.ndim == 0 else result


def _offset(lng, lat):
    """GCJ-02 minus WGS-84 (degrees) at a WGS-84 position, zero outside China."""
    x = lng - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlng = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    outside = out_of_china(lng, lat)
    return np.where(outside, 0.0, dlng), np.where(outside, 0.0, dlat)


def _wgs_to_gcj(lng, lat):
    dlng, dlat = _offset(lng, lat)
    return lng + dlng, lat + dlat


def _gcj_to_wgs(lng, lat, iterations=6):
    # The offset varies by ~1e-5 of itself per degree, so the fixed point w = g - offset(w)
    # contracts fast: each step gains ~5 digits; 6 steps reach double precision with margin.
    w_lng, w_lat = lng, lat
    for _ in range(iterations):
        g_lng, g_lat = _wgs_to_gcj(w_lng, w_lat)
        w_lng = w_lng - (g_lng - lng)
        w_lat = w_lat - (g_lat - lat)
    # Points whose GCJ position is outside China were never shifted.
    outside = out_of_china(lng, lat)
    return np.where(outside, lng, w_lng), np.where(outside, lat, w_lat)


def _scalar_or_array(fn, lng, lat):
    lng_a = np.asarray(lng, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    out_lng, out_lat = fn(lng_a, lat_a)
    if out_lng.ndim == 0:
        return float(out_lng), float(out_lat)
    return out_lng, out_lat


def wgs84_to_gcj02(lng, lat):
    """WGS-84 -> GCJ-02 for scalars (returns floats) or arrays (returns arrays)."""
    return _scalar_or_array(_wgs_to_gcj, lng, lat)


def gcj02_to_wgs84(lng, lat):
    """GCJ-02 -> WGS-84, the exact inverse of wgs84_to_gcj02 to ~1e-12 degrees (iterated)."""
    return _scalar_or_array(_gcj_to_wgs, lng, lat)


def _gcj_coords_to_wgs(coords):
    lng, lat = _gcj_to_wgs(coords[:, 0], coords[:, 1])
    return np.column_stack([lng, lat])


def to_wgs84(geom, crs):
    """Return a shapely geometry (or array of them) in WGS-84, given its CRS "wgs84" or "gcj02"."""
    crs = (crs or "").lower().replace("-", "").replace("_", "")
    if crs == "wgs84":
        return geom
    if crs == "gcj02":
        return shapely.transform(geom, _gcj_coords_to_wgs)
    raise ValueError(f"unknown CRS {crs!r}: expected one of {', '.join(CRS_NAMES)}")
