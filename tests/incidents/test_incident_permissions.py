"""Who may do what to an incident: every role × action × in or out of scope.

Out of scope an incident does not exist (404: even its existence must not leak); in scope,
an action the role may not take is 403. The acting members: `grid_member` is a member of the
incident's grid who neither reported nor handles it; `team_member` is the member it was
dispatched to (for actions on a dispatched case) or just a team member of the grid;
`department` is a department the street called (in scope) or one it did not (out of scope).
"""

from types import SimpleNamespace

import pytest

from app.people.models import GRID_MEMBER, TEAM_MEMBER
from tests.builders import SHA, report_body
from tests.conftest import make_user

AFTER = {"note": "好了", "photos": [{"sha256": SHA, "kind": "after"}]}

# action -> (state the case is brought to first, request body)
ACTIONS = {
    "view": ("reported", None),
    "accept": ("reported", {}),
    "reject": ("reported", {"reason": "不属实"}),
    "dispatch": ("accepted", "assignee"),
    "start": ("dispatched", {}),
    "handle": ("dispatched", AFTER),
    "return": ("dispatched", {"reason": "做不了"}),
    "check": ("handled", {"passed": True}),
    "extend": ("reported", "later"),
    "supervise": ("reported", {"note": "督办"}),
    "escalate": ("reported", {"note": "社区解决不了"}),
    "whistle": ("reported", {"departments": ["water"]}),
    "me-too": ("reported", None),
}
OK = {"whistle": 201}
ROLES = ("grid_member", "team_member", "secretary", "street_admin", "district_admin", "department")

ALLOWED = {
    "view": set(ROLES),
    "accept": {"secretary", "street_admin", "district_admin"},
    "reject": {"secretary", "street_admin", "district_admin"},
    "dispatch": {"secretary", "street_admin", "district_admin"},
    "start": {"team_member"},
    "handle": {"team_member"},
    "return": {"team_member"},
    "check": {"grid_member", "secretary", "street_admin", "district_admin"},
    "extend": {"secretary", "street_admin", "district_admin"},
    "supervise": {"street_admin", "district_admin"},
    "escalate": {"secretary", "street_admin", "district_admin"},
    "whistle": {"street_admin", "district_admin"},
    "me-too": {"grid_member", "team_member"},
}

MATRIX = [
    (role, action, "in", OK.get(action, 200) if role in ALLOWED[action] else 403)
    for action in ACTIONS
    for role in ROLES
] + [
    (role, action, "out", 404)
    for action in ACTIONS
    for role in ("grid_member", "team_member", "secretary", "street_admin", "department")
]


@pytest.fixture
def scene(cast, as_user, db):
    """The incident's reporter and, for the out-of-scope rows, a stranger of each role."""
    reporter = make_user(GRID_MEMBER, [cast.grid], name="报告人")
    other = cast.other_grid
    return SimpleNamespace(
        reporter=reporter,
        inside={
            "grid_member": cast.member,
            "team_member": cast.colleague,
            "secretary": cast.secretary,
            "street_admin": cast.street_admin,
            "district_admin": cast.district_admin,
            "department": cast.dept_user,
        },
        outside={
            "grid_member": cast.outsider,
            "team_member": make_user(TEAM_MEMBER, [other], force="social_reserve"),
            "secretary": cast.outside_secretary,
            "street_admin": make_user("street_admin", [other.parent.parent]),
            "department": cast.other_dept_user,
        },
    )


def _bring_to(state, cast, as_user, reporter):
    client = as_user(reporter)
    incident = client.post("/api/incidents", json=report_body(cast.grid)).get_json()
    url = f"/api/incidents/{incident['id']}"
    secretary, handler = as_user(cast.secretary), as_user(cast.colleague)
    steps = {
        "reported": [],
        "accepted": [(secretary, "accept", {})],
        "dispatched": [
            (secretary, "accept", {}),
            (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
        ],
        "handled": [
            (secretary, "accept", {}),
            (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
            (handler, "handle", AFTER),
        ],
    }[state]
    for actor, action, body in steps:
        assert actor.post(f"{url}/{action}", json=body).status_code == 200
    # The street calls urban management in: that department is "in scope".
    assert (
        as_user(cast.street_admin)
        .post(f"{url}/whistle", json={"departments": ["urban_management"]})
        .status_code
        == 201
    )
    return incident


@pytest.mark.parametrize("role, action, scope, expected", MATRIX)
def test_incident_permissions(cast, as_user, scene, role, action, scope, expected):
    state, body = ACTIONS[action]
    incident = _bring_to(state, cast, as_user, scene.reporter)
    url = f"/api/incidents/{incident['id']}"
    actor = as_user((scene.inside if scope == "in" else scene.outside)[role])
    if body == "assignee":
        body = {"assignee_id": cast.member.id}
    elif body == "later":
        body = {"deadline": "2099-01-01T00:00:00+08:00", "reason": "等材料"}

    if action == "view":
        response = actor.get(url)
    else:
        response = actor.post(f"{url}/{action}", json=body)

    assert response.status_code == expected, response.get_json()
    if expected == 404:
        assert response.get_json()["error"]["code"] == "not_found"
        assert incident["id"] not in [i["id"] for i in actor.get("/api/incidents").get_json()]
    if expected == 403:
        assert response.get_json()["error"]["code"] == "not_allowed"
