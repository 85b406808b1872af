"""Reading and writing administrative units (district, street, community, grid) as GeoJSON."""

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from .simplify import round_coords

LEVELS = ("district", "street", "community", "grid")
POLYGONAL = ("Polygon", "MultiPolygon")
COORD_DIGITS = 7  # 1e-7 degree is about 1 cm: finer than any survey, coarser than float noise.


@dataclass
class UnitFeature:
    """One unit: its code, name, level, parent's code and geometry; index = position in its file."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: Any
    index: int = 0


class GeoJSONError(ValueError):
    """A GeoJSON file cannot be read as units; `problems` lists every fault found, not just one."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self._summary())

    def _summary(self):
        lines = [f"{len(self.problems)} problem(s) in GeoJSON:"]
        for p in self.problems:
            where = "file" if p.get("feature") is None else f"feature {p['feature']}"
            field = f" [{p['field']}]" if p.get("field") else ""
            lines.append(f"  {where}{field}: {p['message']}")
        return "\n".join(lines)


def _problem(feature, field, message, index=None):
    return {"feature": feature, "field": field, "message": message, "index": index}


def _check_level(level):
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")


def _load(source):
    if isinstance(source, dict):
        return source
    try:
        with open(source, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise GeoJSONError([_problem(None, None, f"not valid JSON: {exc}")]) from None
    except UnicodeDecodeError as exc:
        raise GeoJSONError([_problem(None, None, f"not UTF-8 text: {exc}")]) from None
    except OSError as exc:
        raise GeoJSONError([_problem(None, None, f"cannot read file: {exc}")]) from None


def _code_value(value):
    # Codes are strings of digits; a file written by a spreadsheet may give them as integers.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _geometry(raw, add):
    """Parse a GeoJSON geometry into a 2D polygonal shapely geometry, or report why not."""
    if raw is None:
        add("geometry", "geometry is missing (null)")
        return None
    if not isinstance(raw, dict) or "type" not in raw:
        add("geometry", "geometry is not a GeoJSON geometry object")
        return None
    if raw["type"] not in POLYGONAL:
        add("geometry", f"geometry type is {raw['type']!r}; expected Polygon or MultiPolygon")
        return None
    try:
        geom = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed coordinate arrays
        add("geometry", f"malformed {raw['type']} coordinates: {exc}")
        return None
    if geom.is_empty:
        add("geometry", "geometry is empty")
        return None
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        add("geometry", "coordinates contain NaN or infinity")
        return None
    bad_lon = (np.abs(coords[:, 0]) > 180.0).sum()
    bad_lat = (np.abs(coords[:, 1]) > 90.0).sum()
    if bad_lon or bad_lat:
        add(
            "geometry",
            f"{bad_lon + bad_lat} coordinate(s) outside longitude [-180, 180] / "
            f"latitude [-90, 90]: are they projected or in lat, lon order?",
        )
        return None
    return shapely.force_2d(geom)


def read_units(source, level):
    """Read units of one level from a GeoJSON path or parsed dict.

    Accepts a FeatureCollection or a single Feature. Every feature needs properties `code` and
    `name`, and `parent_code` unless the level is "district"; a `level` property, if present,
    must equal `level`. Geometries must be non-empty Polygons or MultiPolygons in lon/lat
    range; they are NOT checked for validity here (see geo.checks, which repairs them).

    Raises GeoJSONError listing every problem in the file, each a dict
    {"feature": code or index, "field": ..., "message": ..., "index": index or None}.
    """
    _check_level(level)
    data = _load(source)
    if not isinstance(data, dict):
        raise GeoJSONError([_problem(None, None, "top level is not a JSON object")])
    kind = data.get("type")
    if kind == "FeatureCollection":
        raw_features = data.get("features")
        if not isinstance(raw_features, list):
            raise GeoJSONError(
                [_problem(None, "features", "FeatureCollection has no features list")]
            )
    elif kind == "Feature":
        raw_features = [data]
    else:
        raise GeoJSONError(
            [_problem(None, "type", f"expected a FeatureCollection or a Feature, got {kind!r}")]
        )
    if not raw_features:
        raise GeoJSONError([_problem(None, "features", "no features")])

    problems = []
    units = []
    seen = {}
    for index, raw in enumerate(raw_features):
        ident = [index]  # becomes the code once known, so messages name what the user knows

        def add(field, message, _ident=ident, _index=index):
            problems.append(_problem(_ident[0], field, message, _index))

        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            add("type", "not a GeoJSON Feature")
            continue
        props = raw.get("properties")
        if not isinstance(props, dict):
            add("properties", "properties missing or not an object")
            props = {}
        code = _code_value(props.get("code"))
        if code is None:
            add("code", "code is missing or not a non-empty string")
        else:
            ident[0] = code
            if code in seen:
                add("code", f"duplicate code (also feature #{seen[code]})")
            else:
                seen[code] = index
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            add("name", "name is missing or not a non-empty string")
        parent_code = _code_value(props.get("parent_code"))
        if level != "district" and parent_code is None:
            add("parent_code", f"parent_code is required for a {level}")
        if "level" in props and props["level"] != level:
            add("level", f"level is {props['level']!r} but this file is read as {level!r}")
        before = len(problems)
        geom = _geometry(raw.get("geometry"), add)
        if len(problems) == before and code is not None and isinstance(name, str):
            units.append(UnitFeature(code, name.strip(), level, parent_code, geom, index))
    if problems:
        raise GeoJSONError(problems)
    return units


def _clean_number(v):
    # -0.0 would print as "-0.0"; integral floats are kept as floats so output is uniform.
    return 0.0 if v == 0 else v


def _coords_list(coords):
    return [[_clean_number(x), _clean_number(y)] for x, y in coords]


def _geometry_json(geom):
    # RFC 7946: exterior rings counter-clockwise, holes clockwise.
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    rings = [
        [_coords_list(p.exterior.coords)] + [_coords_list(r.coords) for r in p.interiors]
        for p in polys
    ]
    if geom.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": rings}
    return {"type": "Polygon", "coordinates": rings[0]}


def units_to_geojson(features, ndigits=COORD_DIGITS):
    """A FeatureCollection dict for units; coordinates rounded to `ndigits` decimals."""
    out = []
    for f in features:
        if f.geometry is None or f.geometry.geom_type not in POLYGONAL:
            raise ValueError(f"unit {f.code}: geometry must be a Polygon or MultiPolygon")
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f.code,
                    "name": f.name,
                    "level": f.level,
                    "parent_code": f.parent_code,
                },
                "geometry": _geometry_json(round_coords(f.geometry, ndigits)),
            }
        )
    return {"type": "FeatureCollection", "features": out}


def write_units(features, path, ndigits=COORD_DIGITS):
    """Write units as a compact UTF-8 GeoJSON FeatureCollection (coordinates to 7 decimals)."""
    text = json.dumps(
        units_to_geojson(features, ndigits),
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.write("\n")
    os.replace(tmp, path)  # a reader never sees half a file
    return path
