"""A cast of people around one grid of the small district, and helpers to report."""

import uuid
from types import SimpleNamespace

import pytest

from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    Department,
)
from tests.conftest import make_user

SHA = "a" * 64
CATEGORY = "clutter_piling"  # 城管 / 乱堆乱放: ordinary limits in working time


@pytest.fixture
def cast(db, district):
    grids = district["grid"]
    grid = grids[0]
    community, street = grid.parent, grid.parent.parent
    other_street_grid = next(g for g in grids if g.parent.parent_id != street.id)
    department = Department(code="urban_management", name="区城市管理局")
    other_department = Department(code="water", name="区水务局")
    db.session.add_all([department, other_department])
    db.session.commit()
    whole = district["district"][0]
    return SimpleNamespace(
        grid=grid,
        community=community,
        street=street,
        other_grid=other_street_grid,
        department=department,
        member=make_user(GRID_MEMBER, [grid], name="王芳"),
        colleague=make_user(TEAM_MEMBER, [grid], name="李强", force="community_main"),
        secretary=make_user(SECRETARY, [community], name="张书记"),
        street_admin=make_user(STREET_ADMIN, [street], name="赵街道"),
        district_admin=make_user(DISTRICT_ADMIN, [whole], name="刘区长"),
        dept_user=make_user(DEPARTMENT, [whole], name="陈城管", department_id=department.id),
        other_dept_user=make_user(
            DEPARTMENT, [whole], name="周水务", department_id=other_department.id
        ),
        outsider=make_user(GRID_MEMBER, [other_street_grid], name="外人"),
        outside_secretary=make_user(SECRETARY, [other_street_grid.parent], name="别的书记"),
    )


def point_in(unit):
    p = unit.geom.representative_point()
    return {"lat": p.y, "lng": p.x}


def report_body(unit, **extra):
    body = {
        "id": str(uuid.uuid4()),
        "category": CATEGORY,
        "description": "楼道口堆放杂物，堵塞消防通道",
        "photos": [{"sha256": SHA, "kind": "close_up"}],
        **point_in(unit),
    }
    body.update(extra)
    return body


@pytest.fixture
def as_user(app, auth):
    """as_user(user) -> a client logged in as that user (one client per user)."""
    clients = {}

    def login(user):
        if user.id not in clients:
            client = app.test_client()
            type(auth)(client).login(user)
            clients[user.id] = client
        return clients[user.id]

    return login
