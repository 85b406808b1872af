"""The one seam for space: geometry storage and every spatial question about grids.

On PostgreSQL the questions are SQL on PostGIS, answered through GiST indexes; on the embedded
SQLite default they are answered by shapely over an STRtree of the grids, rebuilt when the map's
revision changes. Nothing outside this module knows which of the two it is talking to, and the
same tests run on both.

Rule for points on a shared edge: a grid holds a point if its closed polygon covers it (edges
included); if several do, the grid with the smallest code holds it. So every point in the
district belongs to exactly one grid, and both backends give the same answer.
"""

import math
import threading

import shapely
import shapely.ops
from geoalchemy2 import Geometry
from sqlalchemy import Float, LargeBinary, bindparam, func, literal, select, text, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator

from app.extensions import db
from geo import metric
from geo.metric import LocalFrame

SRID = 4326


class MultiPolygonType(TypeDecorator):
    """A WGS-84 MultiPolygon: PostGIS geometry on PostgreSQL, WKB bytes elsewhere.

    Values in and out are shapely geometries.
    """

    impl = LargeBinary
    cache_ok = True
    spatial_index = False  # the GiST index is made by the migration, by name

    def load_dialect_impl(self, dialect):
        if dialect is not None and dialect.name == "postgresql":
            return Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False)
        return LargeBinary()

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, SRID), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return shapely.from_wkb(getattr(value, "data", value))


class LineStringType(MultiPolygonType):
    """A WGS-84 LineString (a patrol's track), stored as MultiPolygonType stores its shape."""

    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect is not None and dialect.name == "postgresql":
            return Geometry("LINESTRING", srid=SRID, spatial_index=False)
        return LargeBinary()


def _is_postgis():
    return db.session.get_bind().dialect.name == "postgresql"


def _grid_table():
    from app.units.models import Unit

    return Unit.__table__


class _GridIndex:
    """An STRtree over all grids, for backends without spatial SQL; one per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._revision = None
        self._tree = None
        self._ids = self._codes = ()

    def get(self, revision):
        with self._lock:
            if self._revision != revision:
                unit = _grid_table()
                rows = db.session.execute(
                    select(unit.c.id, unit.c.code, unit.c.geom)
                    .where(unit.c.level == "grid")
                    .order_by(unit.c.code)
                ).all()
                self._ids = tuple(r.id for r in rows)
                self._codes = tuple(r.code for r in rows)
                self._tree = shapely.STRtree([r.geom for r in rows])
                self._revision = revision
            return self

    def query(self, geom, predicate):
        """Ids of grids for which `geom <predicate> grid`, in code order."""
        hits = sorted(self._tree.query(geom, predicate=predicate).tolist())
        return [self._ids[i] for i in hits]


_indexes = {}  # one per database engine: tests run two backends in one process


def _tree():
    from app.units.models import current_revision

    index = _indexes.get(db.engine) or _indexes.setdefault(db.engine, _GridIndex())
    return index.get(current_revision())


_statements = {}  # (backend, query) -> the query narrowed to the holding grid, built once


def _narrowed(query, postgis):
    key = (postgis, query)
    if key not in _statements:
        unit = _grid_table()
        if postgis:
            point = func.ST_SetSRID(func.ST_MakePoint(bindparam("lng"), bindparam("lat")), SRID)
            where = (unit.c.level == "grid", func.ST_Covers(unit.c.geom, point))
            _statements[key] = query.where(*where).order_by(unit.c.code).limit(1)
        else:
            _statements[key] = query.where(unit.c.id == bindparam("grid_id"))
    return _statements[key]


def locate(lng, lat, query=None):
    """The grid holding the WGS-84 point: the first row of `query` (a select over the unit
    table, built once by the caller; default: the grid's id) for that grid, or None outside
    every grid. On PostGIS that is one round trip."""
    if query is None:
        query = _statements.get("ids") or _statements.setdefault("ids", select(_grid_table().c.id))
    if _is_postgis():
        return _read(_narrowed(query, True), {"lng": lng, "lat": lat}).first()
    ids = _tree().query(shapely.Point(lng, lat), "covered_by")
    if not ids:
        return None
    return _read(_narrowed(query, False), {"grid_id": ids[0]}).first()


def _read(statement, parameters):
    """A placement's select, on the session's connection rather than through the ORM
    session: a Core select of units needs none of its work (autoflush, the ORM's result
    set-up), which was a third of a report's placement."""
    return db.session.connection().execute(statement, parameters)


def locate_many(points, query):
    """For each WGS-84 point (lng, lat), the first row of `query` (as `locate`'s, with the
    grid's id first) for the grid holding it, or None: a list in the order of `points`. On
    PostGIS that is one round trip however many points (a sync push places its reports
    together)."""
    if not points:
        return []
    distinct = list(dict.fromkeys(points))
    if len(distinct) == 1:  # the plainer query
        return [locate(*distinct[0], query)] * len(points)
    if _is_postgis():
        rows = _read(
            _narrowed_many(query),
            {"lngs": [p[0] for p in distinct], "lats": [p[1] for p in distinct]},
        ).all()
        found = {distinct[row[0] - 1]: tuple(row[1:]) for row in rows}
    else:
        tree = _tree()
        holders = {}
        for point in distinct:
            ids = tree.query(shapely.Point(*point), "covered_by")
            if ids:
                holders[point] = ids[0]
        by_id = {}
        if holders:
            statement = _narrowed_many(query)
            for row in _read(statement, {"grid_ids": list(set(holders.values()))}):
                by_id[row[0]] = row
        found = {point: by_id[grid_id] for point, grid_id in holders.items()}
    return [found.get(point) for point in points]


def _narrowed_many(query):
    postgis = _is_postgis()
    key = ("many", postgis, query)
    if key not in _statements:
        unit = _grid_table()
        if postgis:
            given = (
                func.unnest(
                    bindparam("lngs", type_=ARRAY(Float)), bindparam("lats", type_=ARRAY(Float))
                )
                .table_valued("lng", "lat", with_ordinality="i")
                .render_derived()
            )
            point = func.ST_SetSRID(func.ST_MakePoint(given.c.lng, given.c.lat), SRID)
            holder = (
                query.where(unit.c.level == "grid", func.ST_Covers(unit.c.geom, point))
                .order_by(unit.c.code)
                .limit(1)
                .lateral()
            )
            _statements[key] = select(given.c.i, holder).select_from(given.join(holder, true()))
        else:
            _statements[key] = query.where(unit.c.id.in_(bindparam("grid_ids", expanding=True)))
    return _statements[key]


def grids_touching(geom):
    """Ids of grids that intersect a WGS-84 geometry (a box, a drawn polygon), in code order."""
    if _is_postgis():
        unit = _grid_table()
        return list(
            db.session.execute(
                select(unit.c.id)
                .where(unit.c.level == "grid", func.ST_Intersects(unit.c.geom, _ewkb(geom)))
                .order_by(unit.c.code)
            ).scalars()
        )
    return _tree().query(geom, "intersects")


def _ewkb(geom):
    return func.ST_GeomFromEWKB(
        literal(shapely.to_wkb(shapely.set_srid(geom, SRID), include_srid=True), LargeBinary)
    )


# A grid's coverage on PostGIS, in one statement: the grid and the track in the metric frame
# geo.metric.LocalFrame centres on the grid's box (metres per degree at its middle latitude,
# an affine map: ST_Affine is arithmetic, where ST_Transform to a PROJ string of the grid's
# own meridian built that transformation anew in every statement, 6-14 ms of a 30 ms one).
_COVERAGE = text(
    """
    WITH c AS (
        SELECT geom, ST_X(ST_Centroid(ST_Envelope(geom))) AS lon0,
               ST_Y(ST_Centroid(ST_Envelope(geom))) AS lat0
        FROM unit WHERE id = :grid_id
    ), w AS (
        SELECT geom, lon0, lat0, 1 - :e2 * power(sin(radians(lat0)), 2) AS w FROM c
    ), k AS (
        SELECT geom, lon0, lat0,
               radians(1) * :a / sqrt(w) * cos(radians(lat0)) AS kx,
               radians(1) * :a * (1 - :e2) / power(w, 1.5) AS ky
        FROM w
    ), m AS (
        SELECT ST_Affine(geom, kx, 0, 0, ky, -lon0 * kx, -lat0 * ky) AS grid,
               ST_UnaryUnion(ST_Simplify(ST_Affine(
                   ST_GeomFromEWKB(:track), kx, 0, 0, ky, -lon0 * kx, -lat0 * ky), 1.0)) AS line
        FROM k
    ), b AS (
        SELECT ST_Union(ST_Buffer(part.geom, :radius, 'quad_segs=4')) AS near
        FROM m, ST_Dump(m.line) AS part
    )
    SELECT ST_Area(ST_Intersection(grid, near)) / NULLIF(ST_Area(grid), 0) FROM m, b
    """
).bindparams(a=metric.A, e2=metric.E2)


def coverage(grid_id, geom, radius_m):
    """The share (0 to 1) of a grid's area within `radius_m` of a WGS-84 geometry (a track),
    measured in geo.metric's LocalFrame around the grid (sinusoidal, equal-area): shapely on
    SQLite; on PostGIS `ST_Buffer` in the same frame taken as affine at the grid's middle
    latitude (across a grid of a few hundred metres the two differ by a few parts in a
    hundred thousand). A patrol's coverage of its grid.

    The geometry is simplified to within a metre and noded first (its repeated segments
    once): a day's track walks the same streets over and over, and buffering each pass
    again was most of the cost; a metre on a 30 m buffer changes the share by well under
    a percent. The noded pieces are buffered one by one and their buffers unioned: GEOS
    buffering the whole MultiLineString at once took 5-7 times as long for the same area."""
    if geom is None or geom.is_empty:
        return 0.0
    if _is_postgis():
        track = shapely.to_wkb(shapely.set_srid(geom, SRID), include_srid=True)
        share = db.session.execute(
            _COVERAGE, {"grid_id": grid_id, "track": track, "radius": radius_m}
        ).scalar()
        return float(share or 0.0)
    unit = _grid_table()
    shape = db.session.execute(select(unit.c.geom).where(unit.c.id == grid_id)).scalar()
    return shapely_coverage(shape, geom, radius_m)


def shapely_coverage(shape, geom, radius_m):
    """coverage() of a grid's WGS-84 shape, in shapely (what SQLite's answer is)."""
    frame = LocalFrame.around(shape)
    grid = frame.to_metres(shape)
    line = shapely.unary_union(
        shapely.simplify(frame.to_metres(geom), 1.0, preserve_topology=False)
    )
    near = shapely.union_all(shapely.buffer(shapely.get_parts(line), radius_m, quad_segs=4))
    return float(shapely.intersection(grid, near).area / grid.area) if grid.area else 0.0


def grids_in_bbox(min_lng, min_lat, max_lng, max_lat):
    return grids_touching(shapely.box(min_lng, min_lat, max_lng, max_lat))


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (haversine): exact enough at the scale of a city."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def metres_box(lat, lng, radius_m):
    """(min_lng, min_lat, max_lng, max_lat) of a box holding the circle: a cheap index filter
    before the exact distance."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lng - dlng, lat - dlat, lng + dlng, lat + dlat


def distance_to_m(geom, lat, lng):
    """Metres from a WGS-84 point to a geometry (0 inside it)."""
    point = shapely.Point(lng, lat)
    if geom.covers(point):
        return 0.0
    nearest = shapely.ops.nearest_points(geom, point)[0]
    return distance_m(lat, lng, nearest.y, nearest.x)
