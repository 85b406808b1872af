"""Validation and repair of units: CRS, validity, nesting in parents, sibling overlaps, gaps."""

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon

from .crs import to_wgs84
from .metric import LocalFrame

PARENT_LEVEL = {"district": None, "street": "district", "community": "street", "grid": "community"}

# Thresholds in square metres. 1 m² is far above floating-point noise along shared edges
# (a 1e-9 degree sliver along 1 km is 1e-4 m²) and far below anything a person would draw.
OUTSIDE_MIN_M2 = 1.0
OVERLAP_MIN_M2 = 1.0
# A gap smaller than a parking space is not worth a person's attention on a grid map.
GAP_MIN_M2 = 10.0


@dataclass
class Issue:
    """One finding. severity: "error" (blocks import), "warning", or "repaired" (fixed here)."""

    severity: str
    code: str | None
    feature_index: int | None
    kind: str
    message: str
    area_m2: float | None = None
    other_code: str | None = None


@dataclass
class Report:
    """The outcome of check_units: repaired features (valid WGS-84 MultiPolygons) and issues."""

    level: str
    features: list
    issues: list = field(default_factory=list)

    @property
    def errors(self):
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self):
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def repairs(self):
        return [i for i in self.issues if i.severity == "repaired"]

    @property
    def ok(self):
        return not self.errors

    def as_text(self):
        head = (
            f"{self.level}: {len(self.features)} feature(s) usable, "
            f"{len(self.errors)} error(s), "
            f"{len(self.warnings)} warning(s), {len(self.repairs)} repaired"
        )
        lines = [head]
        for i in self.issues:
            who = self.level if i.feature_index is not None else (PARENT_LEVEL[self.level] or "")
            where = f"{who} {i.code or '?'}"
            if i.feature_index is not None:
                where += f" (feature #{i.feature_index})"
            lines.append(f"{i.severity.upper():<8} {where}: [{i.kind}] {i.message}")
        return "\n".join(lines)


def _flatten(geom):
    if geom is None or geom.is_empty:
        return []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _flatten(g)]
    return [geom]


def polygonal(geom):
    """The polygonal part of any geometry, as a MultiPolygon (empty if there is none)."""
    if geom is None or geom.is_empty:
        return MultiPolygon()
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return MultiPolygon([geom])
    polys = [p for p in _flatten(geom) if p.geom_type == "Polygon"]
    if len(polys) > 1:
        # Parts of a GeometryCollection may touch along edges; union makes one valid whole.
        polys = [p for p in _flatten(shapely.union_all(polys)) if p.geom_type == "Polygon"]
    return MultiPolygon(polys)


def repair(geom):
    """(valid MultiPolygon, reason it was invalid or None). The result may be empty."""
    if shapely.is_valid(geom):
        return polygonal(geom), None
    reason = shapely.is_valid_reason(geom)
    fixed = polygonal(shapely.make_valid(geom))
    if not fixed.is_empty and not fixed.is_valid:  # defensive: structure method is stricter
        fixed = polygonal(shapely.make_valid(fixed, method="structure", keep_collapsed=False))
    return fixed, reason


def _array(geoms):
    # np.array(list_of_geoms) could try to unpack them; fill an object array instead.
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    return arr


def _metric(frame, geoms):
    """Geometries in the metric frame, repaired again where projecting broke validity.

    Projection is not linear, so a nearly degenerate but valid ring (a spike, a near-touch)
    can cross itself in metres; GEOS overlays then fail on it.
    """
    out = frame.to_metres(_array(geoms))
    for i in np.flatnonzero(~shapely.is_valid(out)):
        out[i] = repair(out[i])[0]
    return out


def _fmt(area):
    return f"{area:,.1f} m²"


def _where(frame, geom):
    lon, lat = shapely.get_coordinates(frame.to_degrees(geom.representative_point()))[0]
    return f"near {lat:.5f} N, {lon:.5f} E"


def check_units(features, level, parents=None, *, tolerance_m=2.0, crs="wgs84"):
    """Convert, repair and check units of one level; collect issues, never raise on bad data.

    Steps:
    1. Convert each geometry from `crs` ("wgs84" or "gcj02") to WGS-84.
    2. An invalid geometry is reported (severity "repaired", with GEOS's reason) and repaired
       with make_valid, keeping only its polygonal parts. If nothing polygonal remains it is an
       "error" and the feature is left out of `Report.features`. Every feature in
       `Report.features` has a valid, non-empty WGS-84 MultiPolygon.
    3. Nesting, when `parents` (parent code -> WGS-84 geometry) is given: an unknown
       parent_code is an error; a feature is outside its parent when the part of it outside
       the parent buffered by `tolerance_m` exceeds 1 m². The reported area is the part outside
       the unbuffered parent.
    4. Overlaps between siblings (same parent_code): an error when their intersection exceeds
       1 m² and still exceeds 1 m² after shrinking it by tolerance_m / 2 on every side, i.e.
       slivers narrower than `tolerance_m` along a shared edge are tolerated.
    5. Gaps, when `parents` is given: each piece of parent minus the union of its children
       that exceeds 10 m² and is wider than `tolerance_m` is a warning with its area. A parent
       with no children at all is a warning too.

    Tolerances and areas are computed in a local sinusoidal (equal-area) frame in metres
    (geo.metric.LocalFrame), not in degrees: a buffer in degrees would be ~12 % wider east-west
    than north-south at 27.7 N, because degrees of longitude shrink with cos(latitude).
    """
    if level not in PARENT_LEVEL:
        raise ValueError(f"unknown level {level!r}")
    issues = []
    features = list(features)

    # 1-2: CRS and validity.
    raw = _array([f.geometry for f in features])
    converted = to_wgs84(raw, crs) if len(raw) else raw
    kept = []
    for f, geom in zip(features, converted, strict=True):
        try:
            fixed, reason = repair(geom)
        except GEOSException as exc:
            fixed, reason = MultiPolygon(), f"GEOS failed: {exc}"
        if reason is not None and fixed.is_empty:
            issues.append(
                Issue(
                    "error",
                    f.code,
                    f.index,
                    "invalid_geometry",
                    f"invalid geometry ({reason}); nothing polygonal survives repair",
                )
            )
            continue
        if reason is not None:
            issues.append(
                Issue(
                    "repaired",
                    f.code,
                    f.index,
                    "invalid_geometry",
                    f"invalid geometry ({reason}); repaired with make_valid, polygonal parts kept",
                )
            )
        elif fixed.is_empty:
            issues.append(
                Issue("error", f.code, f.index, "empty_geometry", "geometry has no polygonal area")
            )
            continue
        kept.append(dataclasses.replace(f, geometry=fixed))

    report = Report(level, kept, issues)
    if not kept:
        return report

    parent_geoms = {}
    if parents is not None:
        for code, geom in parents.items():
            try:
                parent_geoms[code] = repair(geom)[0] if geom is not None else MultiPolygon()
            except GEOSException:
                parent_geoms[code] = MultiPolygon()

    frame = LocalFrame.around([f.geometry for f in kept] + list(parent_geoms.values()))
    geoms_m = _metric(frame, [f.geometry for f in kept])
    tol = float(tolerance_m)

    if parents is not None:
        codes = list(parent_geoms)
        parents_m = dict(zip(codes, _metric(frame, list(parent_geoms.values())), strict=True))
        _check_nesting(kept, geoms_m, parents_m, level, tol, issues)
    _check_overlaps(kept, geoms_m, tol, issues)
    if parents is not None:
        _check_gaps(kept, geoms_m, parents_m, tol, frame, issues)
    return report


def _check_nesting(kept, geoms_m, parents_m, level, tol, issues):
    parent_level = PARENT_LEVEL[level] or "parent"
    buffered = {}
    for f, g in zip(kept, geoms_m, strict=True):
        if f.parent_code is None or f.parent_code not in parents_m:
            what = (
                "no parent_code"
                if f.parent_code is None
                else f"unknown {parent_level} {f.parent_code}"
            )
            issues.append(Issue("error", f.code, f.index, "unknown_parent", what))
            continue
        parent = parents_m[f.parent_code]
        if f.parent_code not in buffered:
            buffered[f.parent_code] = parent.buffer(tol)
            shapely.prepare(buffered[f.parent_code])
        outer = buffered[f.parent_code]
        try:
            if outer.contains(g) or g.difference(outer).area <= OUTSIDE_MIN_M2:
                continue
            outside = g.difference(parent).area
        except GEOSException as exc:
            issues.append(
                Issue("error", f.code, f.index, "geometry_error", f"nesting check failed: {exc}")
            )
            continue
        issues.append(
            Issue(
                "error",
                f.code,
                f.index,
                "outside_parent",
                f"{_fmt(outside)} lies outside its {parent_level} {f.parent_code} "
                f"(more than the {tol:g} m tolerance)",
                area_m2=outside,
                other_code=f.parent_code,
            )
        )


def _check_overlaps(kept, geoms_m, tol, issues):
    tree = shapely.STRtree(geoms_m)
    left, right = tree.query(geoms_m, predicate="intersects")
    parent_codes = np.array([f.parent_code for f in kept], dtype=object)
    mask = (left < right) & (parent_codes[left] == parent_codes[right])
    for i, j in zip(left[mask], right[mask], strict=True):
        try:
            inter = polygonal(shapely.intersection(geoms_m[i], geoms_m[j]))
            area = inter.area
            if area <= OVERLAP_MIN_M2 or inter.buffer(-tol / 2.0).area <= OVERLAP_MIN_M2:
                continue
        except GEOSException as exc:
            area = float("nan")
            message = f"overlap check with {kept[j].code} failed: {exc}"
        else:
            message = f"overlaps sibling {kept[j].code} (feature #{kept[j].index}) by {_fmt(area)}"
        issues.append(
            Issue(
                "error",
                kept[i].code,
                kept[i].index,
                "overlap",
                message,
                area_m2=area,
                other_code=kept[j].code,
            )
        )


def _check_gaps(kept, geoms_m, parents_m, tol, frame, issues):
    children = {}
    for f, g in zip(kept, geoms_m, strict=True):
        children.setdefault(f.parent_code, []).append(g)
    for code in sorted(parents_m):
        parent = parents_m[code]
        if parent.is_empty:
            continue
        if code not in children:
            issues.append(
                Issue(
                    "warning",
                    code,
                    None,
                    "no_children",
                    f"has no children in this file ({_fmt(parent.area)} uncovered)",
                    area_m2=parent.area,
                )
            )
            continue
        try:
            rest = polygonal(parent.difference(shapely.union_all(children[code])))
        except GEOSException as exc:
            issues.append(Issue("warning", code, None, "gap", f"gap check failed: {exc}"))
            continue
        for piece in rest.geoms:
            area = piece.area
            if area <= GAP_MIN_M2 or piece.buffer(-tol / 2.0).is_empty:
                continue
            issues.append(
                Issue(
                    "warning",
                    code,
                    None,
                    "gap",
                    f"gap of {_fmt(area)} not covered by any child, {_where(frame, piece)}",
                    area_m2=area,
                )
            )
