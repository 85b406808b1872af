"""Rules of the map: the unit tree, grid GeoJSON, locating a point, grid details."""

import gzip
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

import shapely
from sqlalchemy import select
from sqlalchemy.orm import aliased, undefer

from app.errors import NotFound
from app.extensions import db
from app.people import services as people
from app.people.models import User, responsibility, user_scope
from app.privacy import mask_phone
from app.units import spatial
from app.units.models import Community, Grid, Street, Unit, current_revision
from geo.simplify import simplify_coverage


def unit_tree():
    """The district → street → community → grid tree, without geometry."""
    rows = db.session.execute(
        select(Unit.id, Unit.parent_id, Unit.code, Unit.name, Unit.level).order_by(Unit.code)
    ).all()
    nodes = {r.id: {"code": r.code, "name": r.name, "level": r.level, "children": []} for r in rows}
    roots = []
    for r in rows:
        (nodes[r.parent_id]["children"] if r.parent_id in nodes else roots).append(nodes[r.id])
    return roots


def get_unit(code, model=Unit):
    unit = db.session.execute(select(model).where(model.code == code)).scalar()
    if unit is None:
        raise NotFound(f"No {model.__name__.lower()} with code {code}.", fields={"code": [code]})
    return unit


class _Cache:
    """A small LRU of rendered grid collections, keyed by database, map revision and query."""

    def __init__(self, size=64):
        self._size, self._items, self._lock = size, OrderedDict(), Lock()

    def get_or_make(self, key, make):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


_collections = _Cache()


def grid_collection(community=None, street=None, bbox=None, simplify=None):
    """The grids as a GeoJSON FeatureCollection, rendered once per map revision and query.

    Simplification runs over the whole selection at once so that neighbours keep one shared
    edge: an overview map shows no slivers or gaps between grids.
    """
    key = (db.engine, current_revision(), community, street, bbox, simplify)
    return _collections.get_or_make(key, lambda: _render_grids(community, street, bbox, simplify))


def _render_grids(community, street, bbox, simplify):
    community_unit, street_unit = aliased(Unit), aliased(Unit)
    query = (
        select(
            Grid.id,
            Grid.code,
            Grid.name,
            Grid.geom,
            community_unit.code.label("community"),
            street_unit.code.label("street"),
        )
        .join(community_unit, Grid.parent_id == community_unit.id)
        .join(street_unit, community_unit.parent_id == street_unit.id)
        .order_by(Grid.code)
    )
    if community:
        query = query.where(community_unit.code == get_unit(community, Community).code)
    if street:
        query = query.where(Grid.code.startswith(get_unit(street, Street).code))
    if bbox:
        query = query.where(Grid.id.in_(spatial.grids_in_bbox(*bbox)))
    rows = db.session.execute(query).all()
    geoms = [r.geom for r in rows]
    if simplify:
        # Simplification only drops vertices, so what is left keeps the stored precision.
        geoms = simplify_coverage(geoms, simplify)
    features = []
    for row, geom in zip(rows, geoms, strict=True):
        properties = json.dumps(
            {"code": row.code, "name": row.name, "community": row.community, "street": row.street},
            ensure_ascii=False,
        )
        features.append(
            f'{{"type":"Feature","id":"{row.code}","properties":{properties},'
            f'"geometry":{shapely.to_geojson(geom)}}}'
        )
    body = ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()
    return Rendered(body, gzip.compress(body, 6), hashlib.sha256(body).hexdigest()[:32])


@dataclass(frozen=True)
class Rendered:
    """A response body made once and served many times, plain and gzipped."""

    body: bytes
    gzipped: bytes
    etag: str


def placement(lng, lat):
    """The grid, community and street holding a WGS-84 point."""
    row = spatial.locate(lng, lat, _PLACEMENT)
    if row is None:
        raise outside_district(lng, lat)
    return _place(row)


def outside_district(lng, lat):
    """The error of a point outside every grid."""
    return NotFound(
        "The point is outside the district's grids: pick the location on the map.",
        code="outside_district",
        fields={"lat": [lat], "lng": [lng]},
    )


def placements(points):
    """For each WGS-84 point (lng, lat), `placement`'s answer, or None outside every grid:
    all in one query."""
    return [None if row is None else _place(row) for row in spatial.locate_many(points, _PLACEMENT)]


def _place(row):
    return {
        level: {"id": row[i], "code": row[i + 1], "name": row[i + 2]}
        for level, i in (("grid", 0), ("community", 3), ("street", 6))
    }


# Built once: locate is the hottest read of all, and building a statement costs more than
# running it.
_community, _street = aliased(Unit), aliased(Unit)
_PLACEMENT = (
    select(
        Grid.id,
        Grid.code,
        Grid.name,
        _community.id,
        _community.code,
        _community.name,
        _street.id,
        _street.code,
        _street.name,
    )
    .join(_community, Grid.parent_id == _community.id)
    .join(_street, _community.parent_id == _street.id)
)


def grid_detail(viewer, code):
    grid = db.session.execute(
        select(Grid).where(Grid.code == code).options(undefer(Grid.geom))
    ).scalar()
    if grid is None:
        raise NotFound(f"No grid with code {code}.", fields={"code": [code]})
    people.require_view(viewer, grid)
    community = grid.parent
    street = community.parent
    members = db.session.execute(
        select(User)
        .join(user_scope, user_scope.c.user_id == User.id)
        .where(user_scope.c.unit_id == grid.id, User.active.is_(True))
        .order_by(User.role, User.name)
    ).scalars()
    # A 包保 leader may answer for the street and the community alike: one entry each, with
    # the units of the grid's line they answer for, the widest first.
    leaders = {}
    for user, unit in db.session.execute(
        select(User, Unit)
        .join(responsibility, responsibility.c.user_id == User.id)
        .join(Unit, Unit.id == responsibility.c.unit_id)
        .where(Unit.id.in_([grid.id, community.id, street.id]))
        .order_by(User.name, User.id, Unit.code)
    ):
        leaders.setdefault(user, []).append(unit)
    full = people.sees_contacts(viewer)

    def person(user):
        return {
            "name": user.name,
            "phone": user.phone if full else mask_phone(user.phone),
            "role": user.role,
            "force": user.force,
        }

    return {
        "code": grid.code,
        "name": grid.name,
        "area_m2": grid.area_m2,
        "community": {"code": community.code, "name": community.name},
        "street": {"code": street.code, "name": street.name},
        "geometry": json.loads(shapely.to_geojson(grid.geom)),
        "members": [person(u) for u in members],
        "responsible": [
            {**person(user), "responsible_for": units} for user, units in leaders.items()
        ],
    }
