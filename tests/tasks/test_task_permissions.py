"""Who may do what to a task: every role × action × in scope / out of scope.

The task is on one grid. "In scope" puts the user where the task is (a member of that grid,
the secretary of its community, the admin of its street, a department answering for its
community); "out of scope" puts them next door (a member of the sibling grid of the same
community, the secretary or department of another community, the admin of another street).
The district admin's scope is the whole district, so both rows are the same for them.

Out of scope, a task does not exist: every action on it is 404, as for an id never used.
In scope but the wrong role is 403. Creating is asked of a grid, which is public (the map is
everyone's), so creating out of scope is 403, not 404.
"""

import pytest

from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
)
from app.tasks import services
from tests.tasks.conftest import inside, jsonable, make_task, person, photo_ref, task_body

# (role, action, in scope, out of scope)
MATRIX = [
    (GRID_MEMBER, "view", 200, 404),
    (GRID_MEMBER, "claim", 200, 404),
    (GRID_MEMBER, "release", 200, 404),
    (GRID_MEMBER, "assign", 403, 404),
    (GRID_MEMBER, "progress", 200, 404),
    (GRID_MEMBER, "complete", 200, 404),
    (GRID_MEMBER, "verify", 403, 404),
    (GRID_MEMBER, "cancel", 403, 404),
    (GRID_MEMBER, "create", 403, 403),
    (TEAM_MEMBER, "view", 200, 404),
    (TEAM_MEMBER, "claim", 200, 404),
    (TEAM_MEMBER, "release", 200, 404),
    (TEAM_MEMBER, "assign", 403, 404),
    (TEAM_MEMBER, "progress", 200, 404),
    (TEAM_MEMBER, "complete", 200, 404),
    (TEAM_MEMBER, "verify", 403, 404),
    (TEAM_MEMBER, "cancel", 403, 404),
    (TEAM_MEMBER, "create", 403, 403),
    (SECRETARY, "view", 200, 404),
    (SECRETARY, "claim", 403, 404),  # dispatches (assign), does not take places
    (SECRETARY, "release", 403, 404),  # takes places away with unassign
    (SECRETARY, "assign", 200, 404),
    (SECRETARY, "progress", 403, 404),  # the work is the holders'
    (SECRETARY, "complete", 403, 404),
    (SECRETARY, "verify", 200, 404),
    (SECRETARY, "cancel", 200, 404),
    (SECRETARY, "create", 201, 403),
    (STREET_ADMIN, "view", 200, 404),
    (STREET_ADMIN, "claim", 403, 404),
    (STREET_ADMIN, "release", 403, 404),
    (STREET_ADMIN, "assign", 200, 404),
    (STREET_ADMIN, "progress", 403, 404),
    (STREET_ADMIN, "complete", 403, 404),
    (STREET_ADMIN, "verify", 200, 404),
    (STREET_ADMIN, "cancel", 200, 404),
    (STREET_ADMIN, "create", 201, 403),
    (DEPARTMENT, "view", 200, 404),  # sees what it answers for (包保), and no more
    (DEPARTMENT, "claim", 403, 404),
    (DEPARTMENT, "release", 403, 404),
    (DEPARTMENT, "assign", 403, 404),
    (DEPARTMENT, "progress", 403, 404),
    (DEPARTMENT, "complete", 403, 404),
    (DEPARTMENT, "verify", 403, 404),
    (DEPARTMENT, "cancel", 403, 404),
    (DEPARTMENT, "create", 403, 403),
    (DISTRICT_ADMIN, "view", 200, 200),
    (DISTRICT_ADMIN, "claim", 403, 403),
    (DISTRICT_ADMIN, "release", 403, 403),
    (DISTRICT_ADMIN, "assign", 200, 200),
    (DISTRICT_ADMIN, "progress", 403, 403),
    (DISTRICT_ADMIN, "complete", 403, 403),
    (DISTRICT_ADMIN, "verify", 200, 200),
    (DISTRICT_ADMIN, "cancel", 200, 200),
    (DISTRICT_ADMIN, "create", 201, 201),
]

ROWS = [
    pytest.param(role, action, scope, status, id=f"{role}-{action}-{scope}-{status}")
    for role, action, in_scope, out_of_scope in MATRIX
    for scope, status in (("in", in_scope), ("out", out_of_scope))
]


def _actor(place, role, scope):
    inside_scope = scope == "in"
    where = {
        GRID_MEMBER: ([place.grid if inside_scope else place.sibling], []),
        TEAM_MEMBER: ([place.grid if inside_scope else place.sibling], []),
        SECRETARY: ([place.community if inside_scope else place.far_community], []),
        STREET_ADMIN: ([place.street if inside_scope else place.far_street], []),
        DEPARTMENT: ([place.district], [place.community if inside_scope else place.far_community]),
        DISTRICT_ADMIN: ([place.district], []),
    }
    units, responsible_for = where[role]
    return person(role, units, responsible_for)


@pytest.fixture
def scene(place):
    """The task on `place.grid`, its community's secretary (who made it), and a worker."""
    secretary = person(SECRETARY, [place.community])
    worker = person(GRID_MEMBER, [place.grid])
    task = make_task(secretary, place.grid, capacity=3)
    return secretary, worker, task


def _prepare(action, actor, scope, secretary, worker, task):
    """Put the task where the action makes sense: the actor holds a place for the holder's
    actions (if they may claim at all), and someone has completed it before a verify."""
    if action in ("release", "progress", "complete") and scope == "in":
        if actor.role in (GRID_MEMBER, TEAM_MEMBER):
            services.claim(actor, task.id)
    if action == "verify":
        services.claim(worker, task.id)
        services.complete(worker, task.id, "done", **inside(task.grid), evidence=[photo_ref()])


def _request(client, action, task, place, worker):
    url = f"/api/tasks/{task.id}"
    return {
        "view": lambda: client.get(url),
        "claim": lambda: client.post(f"{url}/claim", json={}),
        "release": lambda: client.post(f"{url}/release"),
        "assign": lambda: client.post(f"{url}/assign", json={"user_id": worker.id}),
        "progress": lambda: client.post(f"{url}/progress", json={"note": "在办"}),
        "complete": lambda: client.post(
            f"{url}/complete", json=dict(inside(place.grid), photos=[photo_ref()])
        ),
        "verify": lambda: client.post(f"{url}/verify", json={"passed": True}),
        "cancel": lambda: client.post(f"{url}/cancel", json={"reason": "不再需要"}),
        "create": lambda: client.post("/api/tasks", json=jsonable(task_body(place.grid))),
    }[action]()


@pytest.mark.parametrize("role, action, scope, status", ROWS)
def test_role_action_scope(client, auth, place, scene, role, action, scope, status):
    secretary, worker, task = scene
    actor = _actor(place, role, scope)
    _prepare(action, actor, scope, secretary, worker, task)
    auth.login(actor)

    response = _request(client, action, task, place, worker)

    assert response.status_code == status, response.get_json()
    body = response.get_json()
    if status == 404:
        # Exactly what an id never used gets: nothing tells that this one exists.
        missing = client.get("/api/tasks/00000000-0000-4000-8000-000000000000").get_json()
        assert body["error"]["code"] == missing["error"]["code"] == "not_found"
        assert body["error"]["message"] == missing["error"]["message"]
        assert task.title not in response.get_data(as_text=True)
    elif status == 403:
        assert body["error"]["code"] == "not_allowed", body
    elif action == "create":
        assert body["state"] == "open"
    else:
        assert body["id"] == task.id


VIEW = [(role, in_scope, out) for role, action, in_scope, out in MATRIX if action == "view"]


@pytest.mark.parametrize("role, in_scope, out_of_scope", VIEW)
def test_the_list_shows_a_task_exactly_to_those_who_may_view_it(
    client, auth, place, scene, role, in_scope, out_of_scope
):
    task = scene[2]
    for scope, status in (("in", in_scope), ("out", out_of_scope)):
        auth.login(_actor(place, role, scope))
        listed = [t["id"] for t in client.get("/api/tasks").get_json()]
        assert (task.id in listed) == (status == 200), (scope, listed)


# A community's pool task is everyone's in the community: members of any of its grids may
# claim it; members of another community's grids do not see it.
POOL = [
    (GRID_MEMBER, "grid", "claim", 200),
    (GRID_MEMBER, "sibling", "claim", 200),
    (TEAM_MEMBER, "sibling", "claim", 200),
    (GRID_MEMBER, "far_grid", "claim", 404),
    (GRID_MEMBER, "far_grid", "view", 404),
    (SECRETARY, "community", "claim", 403),
    (SECRETARY, "community", "assign", 200),
    (SECRETARY, "far_community", "view", 404),
]


@pytest.mark.parametrize("role, where, action, status", POOL)
def test_pool_tasks(client, auth, place, role, where, action, status):
    secretary = person(SECRETARY, [place.community])
    worker = person(GRID_MEMBER, [place.sibling])
    task = make_task(secretary, community=place.community)
    auth.login(person(role, [getattr(place, where)]))
    response = _request(client, action, task, place, worker)
    assert response.status_code == status, response.get_json()


def test_a_former_member_still_holding_a_place_may_release_it(client, auth, db, place, scene):
    """Moved to another grid, the member can still see and give back what they hold."""
    _, worker, task = scene
    services.claim(worker, task.id)
    worker.units = [place.far_grid]
    db.session.commit()
    auth.login(worker)
    assert client.get(f"/api/tasks/{task.id}").status_code == 200
    released = client.post(f"/api/tasks/{task.id}/release")
    assert released.status_code == 200, released.get_json()
    assert released.get_json()["claimed"] == 0


def test_the_responsible_person_follows_the_task(client, auth, place):
    """定责任: whoever the secretary makes responsible may see the task, wherever they sit."""
    secretary = person(SECRETARY, [place.community])
    street_cadre = person(STREET_ADMIN, [place.far_street])
    task = make_task(secretary, place.grid, responsible_id=street_cadre.id)
    auth.login(street_cadre)
    assert client.get(f"/api/tasks/{task.id}").status_code == 200
    assert client.post(f"/api/tasks/{task.id}/cancel", json={"reason": "x"}).status_code == 403
