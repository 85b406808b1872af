"""Fixtures for the task tests: a tiny map written straight to the database (milliseconds,
where importing the demo district takes a few hundred), people with a cheap password hash,
and helpers to make tasks and photo references."""

import hashlib
import itertools
import math
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import shapely
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db as _db
from app.people.models import DEPARTMENT, Department, User
from app.tasks import services
from app.units.models import MODEL_BY_LEVEL
from tests.conftest import PASSWORD

# One cheap hash for every user made here: a login checks it in microseconds (the real
# scrypt costs ~90 ms per hash and per login, which a 200-row matrix would feel).
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_phones = itertools.count(1)

# Squares of 0.01° (about 1 km) in Tongren; (column, row) of the south-west corner.
LNG0, LAT0, STEP = 109.18, 27.70, 0.01


def _square(col, row, cols=1, rows=1):
    x, y = LNG0 + col * STEP, LAT0 + row * STEP
    return shapely.MultiPolygon([shapely.box(x, y, x + cols * STEP, y + rows * STEP)])


def _area_m2(geom):
    lat = geom.centroid.y
    return geom.area * (111_320**2) * math.cos(math.radians(lat))


@pytest.fixture
def place(db):
    """A district with two streets, each one community; the first community has two grids.

    grid / sibling (same community) / far_grid (the other street), and their parents.
    """
    made = {}

    def unit(key, level, code, geom, parent=None):
        made[key] = MODEL_BY_LEVEL[level](
            code=code,
            name=f"{level} {code[-3:]}",
            parent=made.get(parent),
            geom=geom,
            area_m2=_area_m2(geom),
        )
        _db.session.add(made[key])

    unit("district", "district", "520602", _square(0, 0, 4, 1))
    unit("street", "street", "520602001", _square(0, 0, 2, 1), "district")
    unit("far_street", "street", "520602002", _square(2, 0, 2, 1), "district")
    unit("community", "community", "520602001001", _square(0, 0, 2, 1), "street")
    unit("far_community", "community", "520602002001", _square(2, 0, 2, 1), "far_street")
    unit("grid", "grid", "520602001001001", _square(0, 0), "community")
    unit("sibling", "grid", "520602001001002", _square(1, 0), "community")
    unit("far_grid", "grid", "520602002001001", _square(2, 0, 2, 1), "far_community")
    # Spatial caches rebuild on a new revision: this is a new map.
    _db.session.execute(text("UPDATE map_revision SET revision = revision + 1"))
    _db.session.commit()
    return SimpleNamespace(**made)


def person(role, units=(), responsible_for=(), **fields):
    """A committed user (password: tests.conftest.PASSWORD, cheaply hashed)."""
    n = next(_phones)
    if role == DEPARTMENT and "department_id" not in fields:
        department = Department(code=f"dept{n}", name=f"区直部门{n}")
        _db.session.add(department)
        _db.session.flush()
        fields["department_id"] = department.id
    user = User(
        phone=fields.pop("phone", f"139{n:08d}"),
        name=fields.pop("name", f"{role}{n}"),
        password_hash=CHEAP_HASH,
        role=role,
        **fields,
    )
    user.units = list(units)
    user.responsible_for = list(responsible_for)
    _db.session.add(user)
    _db.session.commit()
    return user


def people_in_bulk(role, units, count):
    """`count` committed users of a role, in one commit (for the thread tests)."""
    users = []
    for _ in range(count):
        n = next(_phones)
        user = User(phone=f"137{n:08d}", name=f"{role}{n}", password_hash=CHEAP_HASH, role=role)
        user.units = list(units)
        users.append(user)
    _db.session.add_all(users)
    _db.session.commit()
    return users


def in_days(days=3):
    return clock.now() + timedelta(days=days)


def task_body(grid=None, community=None, **fields):
    body = {
        "title": fields.pop("title", "清理楼道杂物"),
        "kind": fields.pop("kind", "routine"),
        "target": fields.pop("target", "3栋楼道无杂物堆放"),
        "capacity": fields.pop("capacity", 1),
        "deadline": fields.pop("deadline", in_days()),
        "measures": fields.pop("measures", "逐户告知，集中清运"),
    }
    if grid is not None:
        body["grid"] = grid.code
    if community is not None:
        body["community"] = community.code
    body.update(fields)
    return body


def jsonable(body):
    """A body for the test client: datetimes as ISO 8601 (Flask would send HTTP dates)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in body.items()}


def make_task(creator, grid=None, community=None, **fields):
    """A task made through the service, as `creator` (who must manage the place)."""
    task, created = services.create(creator, task_body(grid, community, **fields))
    assert created
    return task


def photo_ref(seed="after", kind="after", **fields):
    """A reference to a photo by its sha256; the photo itself may never have been uploaded."""
    return {"sha256": hashlib.sha256(seed.encode()).hexdigest(), "kind": kind, **fields}


def inside(unit):
    """A point well inside a unit of the tiny map (or any unit with a geometry)."""
    point = unit.geom.representative_point()
    return {"lat": point.y, "lng": point.x}


def east_of(unit, metres):
    """A point `metres` due east of the unit's easternmost vertex: that far outside it."""
    x, y = max(shapely.get_coordinates(unit.geom).tolist())
    return {"lat": y, "lng": x + metres / (111_195 * math.cos(math.radians(y)))}
