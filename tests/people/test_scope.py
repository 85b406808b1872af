"""Who sees what: every role × scope for grid details, and the map everyone may read."""

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

# (role, where the user serves, whose grid detail is asked for, expected status)
# "own": the target grid itself; "sibling": another grid of the same community;
# "elsewhere": a grid of another street.
MATRIX = [
    (GRID_MEMBER, "grid", "own", 200),
    (GRID_MEMBER, "grid", "sibling", 403),
    (GRID_MEMBER, "grid", "elsewhere", 403),
    (TEAM_MEMBER, "grid", "own", 200),
    (TEAM_MEMBER, "grid", "sibling", 403),
    (SECRETARY, "community", "own", 200),
    (SECRETARY, "community", "sibling", 200),
    (SECRETARY, "community", "elsewhere", 403),
    (STREET_ADMIN, "street", "own", 200),
    (STREET_ADMIN, "street", "sibling", 200),
    (STREET_ADMIN, "street", "elsewhere", 403),
    (DEPARTMENT, "district", "own", 403),
    (DEPARTMENT, "responsible_community", "own", 200),
    (DEPARTMENT, "responsible_community", "elsewhere", 403),
    (DISTRICT_ADMIN, "district", "own", 200),
    (DISTRICT_ADMIN, "district", "elsewhere", 200),
]


def _targets(district):
    grids = district["grid"]
    own = grids[0]
    sibling = next(g for g in grids if g.parent_id == own.parent_id and g.id != own.id)
    elsewhere = next(g for g in grids if g.parent.parent_id != own.parent.parent_id)
    return {"own": own, "sibling": sibling, "elsewhere": elsewhere}


@pytest.mark.parametrize("role, serves, target, status", MATRIX)
def test_grid_detail_by_role_and_scope(client, auth, district, db, role, serves, target, status):
    targets = _targets(district)
    own = targets["own"]
    units, responsible, extra = [], [], {}
    if serves == "grid":
        units = [own]
    elif serves == "community":
        units = [own.parent]
    elif serves == "street":
        units = [own.parent.parent]
    elif serves == "district":
        units = [district["district"][0]]
    elif serves == "responsible_community":
        units, responsible = [district["district"][0]], [own.parent]
    if role == DEPARTMENT:
        department = Department(code="urban_management", name="区城市管理局")
        db.session.add(department)
        db.session.commit()
        extra["department_id"] = department.id
    user = make_user(role, units, responsible, **extra)
    auth.login(user)

    response = client.get(f"/api/grids/{targets[target].code}")

    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.get_json()["error"]["code"] == "out_of_scope"


@pytest.mark.parametrize(
    "role", [GRID_MEMBER, TEAM_MEMBER, SECRETARY, STREET_ADMIN, DEPARTMENT, DISTRICT_ADMIN]
)
def test_every_role_may_read_the_map_itself(client, auth, district, role):
    auth.as_role(role, district["grid"][0])
    assert client.get("/api/units").status_code == 200
    assert client.get("/api/grids").status_code == 200
    point = district["grid"][5].geom.representative_point()
    assert client.get(f"/api/locate?lat={point.y}&lng={point.x}").status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/me"),
        ("GET", "/api/units"),
        ("GET", "/api/grids"),
        ("GET", "/api/grids/520602002001001"),
        ("GET", "/api/locate?lat=27.72&lng=109.19"),
    ],
)
def test_anonymous_callers_get_401_everywhere_but_the_public_endpoints(client, db, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
