"""RFC 7946 checks of a polygon a client draws, before any geometry is built from it."""

import math

POLYGONAL = ("Polygon", "MultiPolygon")
# A hand-drawn area has tens of vertices, a traced street boundary a few thousand; a
# 200,000-vertex polygon costs a worker seconds in shapely and the spatial query.
MAX_VERTICES = 10_000
# Enough to show what is wrong; a body of 10,000 bad positions need not be echoed back.
MAX_PROBLEMS = 20


def polygon_problems(geometry, path="geometry", max_vertices=MAX_VERTICES):
    """{field path: [problem]} of what keeps `geometry` from being an RFC 7946 Polygon or
    MultiPolygon of at most `max_vertices` positions, each [lng, lat(, alt)] finite and in
    range, every ring closed and of four or more positions; empty when it is one. Paths read
    like ``scope.geometry.coordinates[0][3]``."""
    if not isinstance(geometry, dict):
        return {path: ["not a GeoJSON geometry object"]}
    kind = geometry.get("type")
    if kind not in POLYGONAL:
        return {f"{path}.type": [f"must be exactly Polygon or MultiPolygon, not {kind!r}"]}
    where = f"{path}.coordinates"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        return {where: ["must be a non-empty array"]}
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if _vertices(polygons) > max_vertices:
        return {where: [f"more than {max_vertices} positions"]}
    problems = {}
    for p, rings in enumerate(polygons):
        at = where if kind == "Polygon" else f"{where}[{p}]"
        if not isinstance(rings, list) or not rings:
            problems[at] = ["a polygon is a non-empty array of linear rings"]
            continue
        for r, ring in enumerate(rings):
            _check_ring(ring, f"{at}[{r}]", problems)
            if len(problems) >= MAX_PROBLEMS:
                return problems
    return problems


def _vertices(polygons):
    """Positions in the coordinates, counted without trusting their shape."""
    count = 0
    for rings in polygons:
        if isinstance(rings, list):
            count += sum(len(ring) for ring in rings if isinstance(ring, list))
    return count


def _check_ring(ring, at, problems):
    if not isinstance(ring, list) or len(ring) < 4:
        problems[at] = ["a linear ring has four or more positions"]
        return
    for i, position in enumerate(ring):
        problem = _position_problem(position)
        if problem:
            problems[f"{at}[{i}]"] = [problem]
            return
    if ring[0] != ring[-1]:
        problems[at] = ["a linear ring is closed: its last position equals its first"]


def _position_problem(position):
    if not isinstance(position, list) or not 2 <= len(position) <= 3:
        return "a position is [longitude, latitude] or [longitude, latitude, altitude]"
    if not all(_number(v) for v in position):
        return "a position holds finite numbers"
    lng, lat = position[0], position[1]
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        return "longitude within -180..180, latitude within -90..90 (WGS-84)"
    return None


def _number(value):
    return type(value) in (int, float) and math.isfinite(value)
