"""Managers running the people of their area: who may create, move, deactivate and reset
whom, and what each does to sessions, open work and the history."""

from types import SimpleNamespace

import pytest

from app.history.services import timeline
from app.notify.models import PushSubscription
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    User,
)
from app.tasks.models import Task
from tests.builders import report_body
from tests.conftest import PASSWORD, make_user
from tests.sync.test_pull import pull_all
from tests.tasks.conftest import jsonable, task_body


@pytest.fixture
def staff(cast):
    """cast, and the peers a manager may not touch: another secretary of the community,
    another admin of the street, another district admin."""
    sibling = next(g for g in cast.community.children if g.level == "grid" and g.id != cast.grid.id)
    return SimpleNamespace(
        **vars(cast),
        sibling=sibling,
        peer_secretary=make_user(SECRETARY, [cast.community], name="副书记"),
        peer_street_admin=make_user(STREET_ADMIN, [cast.street], name="街道二"),
        peer_district_admin=make_user(DISTRICT_ADMIN, [cast.district_admin.units[0]]),
    )


def _destination(staff, target):
    """Units to move a target to, at its role's level, inside the cast's street."""
    level = target.units[0].level
    return {
        "grid": [staff.sibling.code if target.units[0].id == staff.grid.id else staff.grid.code],
        "community": [staff.community.code],
        "street": [staff.street.code],
        "district": [target.units[0].code],
    }[level]


OK, NO, GONE = 200, 403, 404
# (actor, target, status of move, of deactivate, of reset)
MATRIX = [
    ("member", "member", NO, NO, NO),  # one's own account: change the password instead
    ("member", "colleague", NO, NO, NO),
    ("member", "outsider", GONE, GONE, GONE),
    ("member", "secretary", GONE, GONE, GONE),
    ("secretary", "member", NO, NO, OK),
    ("secretary", "colleague", NO, NO, OK),
    ("secretary", "peer_secretary", NO, NO, NO),
    ("secretary", "street_admin", GONE, GONE, GONE),
    ("secretary", "outsider", GONE, GONE, GONE),
    ("street_admin", "member", OK, OK, OK),
    ("street_admin", "colleague", OK, OK, OK),
    ("street_admin", "secretary", OK, OK, OK),
    ("street_admin", "peer_street_admin", NO, NO, NO),
    ("street_admin", "district_admin", GONE, GONE, GONE),
    ("street_admin", "dept_user", GONE, GONE, GONE),
    ("street_admin", "outsider", GONE, GONE, GONE),
    ("street_admin", "outside_secretary", GONE, GONE, GONE),
    ("district_admin", "member", OK, OK, OK),
    ("district_admin", "outsider", OK, OK, OK),
    ("district_admin", "street_admin", OK, OK, OK),
    ("district_admin", "peer_district_admin", OK, OK, OK),
    ("district_admin", "dept_user", OK, OK, OK),
    ("district_admin", "district_admin", NO, NO, NO),
    ("dept_user", "member", GONE, GONE, GONE),
]


@pytest.mark.parametrize("actor, target, move, deactivate, reset", MATRIX)
def test_who_may_move_reset_and_deactivate_whom(
    staff, as_user, actor, target, move, deactivate, reset
):
    client, person = as_user(getattr(staff, actor)), getattr(staff, target)
    codes = _destination(staff, person)
    for action, body, status in [
        ("move", {"units": codes}, move),
        ("reset", None, reset),
        ("deactivate", {"reason": "调离"}, deactivate),
    ]:
        response = client.post(f"/api/people/{person.id}/{action}", json=body)
        assert response.status_code == status, (action, response.get_json())
        if status != OK:
            code = response.get_json()["error"]["code"]
            assert code == ("not_found" if status == GONE else "not_allowed"), action


# (actor, role of the new account, where: a unit of the cast, expected status)
CREATE = [
    ("secretary", GRID_MEMBER, "grid", NO),
    ("street_admin", GRID_MEMBER, "grid", 201),
    ("street_admin", TEAM_MEMBER, "sibling", 201),
    ("street_admin", SECRETARY, "community", 201),
    ("street_admin", STREET_ADMIN, "street", NO),
    ("street_admin", GRID_MEMBER, "other_grid", NO),  # out_of_scope: another street
    ("district_admin", GRID_MEMBER, "other_grid", 201),
    ("district_admin", STREET_ADMIN, "street", 201),
    ("district_admin", DISTRICT_ADMIN, None, 201),
    ("district_admin", DEPARTMENT, None, 201),
    ("member", GRID_MEMBER, "grid", NO),
    ("dept_user", GRID_MEMBER, "grid", NO),
]


@pytest.mark.parametrize("actor, role, where, status", CREATE)
def test_who_may_create_which_accounts_where(staff, as_user, db, actor, role, where, status):
    body = {
        "phone": "13912345678",
        "name": "新同志",
        "role": role,
        "units": [getattr(staff, where).code] if where else [],
        "force": "community_main" if role == TEAM_MEMBER else None,
        "department": staff.department.code if role == DEPARTMENT else None,
    }
    response = as_user(getattr(staff, actor)).post("/api/people", json=body)
    assert response.status_code == status, response.get_json()
    created = db.session.query(User).filter_by(phone="13912345678").one_or_none()
    if status != 201:
        assert created is None
        return
    out = response.get_json()
    assert out["person"]["role"] == role and out["person"]["password_change_required"]
    expected = getattr(staff, where).code if where else staff.district_admin.units[0].code
    assert [u.code for u in created.units] == [expected]
    assert [e.action for e in timeline("person", created.id)] == ["create"]


def test_a_new_account_logs_in_with_its_code_and_chooses_a_password(app, staff, as_user):
    body = {
        "phone": "13912345678",
        "name": "新同志",
        "role": GRID_MEMBER,
        "units": [staff.grid.code],
    }
    out = as_user(staff.street_admin).post("/api/people", json=body).get_json()
    client = app.test_client()
    client.post("/api/auth/login", json={"phone": body["phone"], "password": out["one_time_code"]})
    assert client.get("/api/tasks").get_json()["error"]["code"] == "password_change_required"
    changed = client.post(
        "/api/me/password",
        json={"old_password": out["one_time_code"], "new_password": "13912345678"},
    )
    assert changed.get_json()["error"]["fields"]["new_password"]  # not the phone number
    assert (
        client.post(
            "/api/me/password",
            json={"old_password": out["one_time_code"], "new_password": PASSWORD},
        ).status_code
        == 204
    )
    assert client.get("/api/tasks").status_code == 200


@pytest.mark.parametrize(
    "change, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"role": "mayor"}, "role"),
        ({"units": ["nowhere"]}, "units"),
        ({"units": ["COMMUNITY"]}, "units"),  # a member serves a grid, not a community
        ({"role": TEAM_MEMBER}, "force"),  # a team member belongs to a force
        ({"force": "community_main", "role": SECRETARY, "units": ["COMMUNITY"]}, "force"),
        ({"role": DEPARTMENT, "units": []}, "department"),
        ({"department": "nope"}, "department"),
    ],
)
def test_a_bad_new_account_is_refused_naming_the_field(staff, as_user, change, field):
    body = {
        "phone": "13912345678",
        "name": "新同志",
        "role": GRID_MEMBER,
        "units": [staff.grid.code],
        **change,
    }
    body["units"] = [staff.community.code if c == "COMMUNITY" else c for c in body["units"]]
    response = as_user(staff.district_admin).post("/api/people", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_a_phone_has_one_account(staff, as_user):
    body = {
        "phone": staff.member.phone,
        "name": "重名",
        "role": GRID_MEMBER,
        "units": [staff.grid.code],
    }
    response = as_user(staff.street_admin).post("/api/people", json=body)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "phone_taken"


def test_a_move_stays_within_the_admins_area(staff, as_user):
    response = as_user(staff.street_admin).post(
        f"/api/people/{staff.member.id}/move", json={"units": [staff.other_grid.code]}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "out_of_scope"


def _claimed_task(as_user, staff, grid=None, community=None):
    body = jsonable(task_body(grid, community, capacity=2))
    task = as_user(staff.secretary).post("/api/tasks", json=body).get_json()
    assert as_user(staff.member).post(f"/api/tasks/{task['id']}/claim").status_code == 200
    return task["id"]


def _dispatched_incident(as_user, staff, state="dispatched"):
    secretary = as_user(staff.secretary)
    incident = as_user(staff.colleague).post("/api/incidents", json=report_body(staff.grid))
    incident_id = incident.get_json()["id"]
    secretary.post(f"/api/incidents/{incident_id}/accept", json={})
    secretary.post(f"/api/incidents/{incident_id}/dispatch", json={"assignee_id": staff.member.id})
    if state == "handled":
        handled = as_user(staff.member).post(
            f"/api/incidents/{incident_id}/handle",
            json={"note": "已处理", "photos": [{"sha256": "b" * 64, "kind": "after"}]},
        )
        assert handled.status_code == 200, handled.get_json()
    return incident_id


def test_deactivation_ends_sessions_and_hands_back_open_work_keeping_history(
    app, staff, as_user, db
):
    member = as_user(staff.member)
    task_id = _claimed_task(as_user, staff, staff.grid)
    open_case = _dispatched_incident(as_user, staff)
    done_case = _dispatched_incident(as_user, staff, state="handled")

    response = as_user(staff.street_admin).post(
        f"/api/people/{staff.member.id}/deactivate", json={"reason": "调离本街道"}
    )

    assert response.status_code == 200 and response.get_json()["active"] is False
    assert member.get("/api/me").status_code == 401
    login = app.test_client().post(
        "/api/auth/login", json={"phone": staff.member.phone, "password": PASSWORD}
    )
    assert login.status_code == 401
    secretary = as_user(staff.secretary)
    task = secretary.get(f"/api/tasks/{task_id}").get_json()
    assert task["claimed"] == 0
    assert [h["action"] for h in task["history"]][-1] == "unassign"
    case = secretary.get(f"/api/incidents/{open_case}").get_json()
    assert case["state"] == "accepted" and case["assignee"] is None
    assert case["history"][-1]["action"] == "return"
    assert case["history"][-1]["note"] == "调离本街道"
    done = secretary.get(f"/api/incidents/{done_case}").get_json()
    assert done["state"] == "handled" and done["assignee"]["id"] == staff.member.id
    entry = timeline("person", staff.member.id)[-1]
    assert (entry.action, entry.actor_id, entry.note) == (
        "deactivate",
        staff.street_admin.id,
        "调离本街道",
    )
    assert entry.data == {"tasks_released": 1, "incidents_returned": 1}

    again = as_user(staff.street_admin).post(f"/api/people/{staff.member.id}/reactivate")
    assert again.get_json()["active"] is True
    assert (
        app.test_client()
        .post("/api/auth/login", json={"phone": staff.member.phone, "password": PASSWORD})
        .status_code
        == 200
    )


def test_a_move_hands_back_only_the_work_of_the_units_left(staff, as_user, db):
    left = _claimed_task(as_user, staff, staff.grid)
    kept = _claimed_task(as_user, staff, community=staff.community)  # its pool: still served
    db.session.expire_all()
    response = as_user(staff.street_admin).post(
        f"/api/people/{staff.member.id}/move", json={"units": [staff.sibling.code]}
    )
    assert response.status_code == 200, response.get_json()
    assert [u["code"] for u in response.get_json()["units"]] == [staff.sibling.code]
    assert db.session.get(Task, left).claimed == 0
    assert db.session.get(Task, kept).claimed == 1
    entry = timeline("person", staff.member.id)[-1]
    assert entry.data == {
        "from": [staff.grid.code],
        "to": [staff.sibling.code],
        "tasks_released": 1,
        "incidents_returned": 0,
    }


def test_managers_list_the_people_of_their_area_only(staff, as_user):
    def phones(actor, query=""):
        response = as_user(actor).get("/api/people" + query)
        assert response.status_code == 200, response.get_json()
        return {p["phone"] for p in response.get_json()}

    assert phones(staff.secretary) == {
        p.phone for p in (staff.member, staff.colleague, staff.secretary, staff.peer_secretary)
    }
    street = phones(staff.street_admin)
    assert staff.outsider.phone not in street and staff.dept_user.phone not in street
    assert staff.street_admin.phone in street
    assert staff.outsider.phone in phones(staff.district_admin)
    assert phones(staff.street_admin, f"?role={TEAM_MEMBER}") == {staff.colleague.phone}
    assert phones(staff.street_admin, "?q=王") == {staff.member.phone}
    assert as_user(staff.member).get("/api/people").status_code == 403


def test_a_person_shows_their_account_history(staff, as_user):
    admin = as_user(staff.street_admin)
    admin.post(f"/api/people/{staff.member.id}/reset")
    detail = admin.get(f"/api/people/{staff.member.id}").get_json()
    assert detail["person"]["phone"] == staff.member.phone
    assert [(h["action"], h["actor_id"]) for h in detail["history"]] == [
        ("reset", staff.street_admin.id)
    ]
    assert as_user(staff.street_admin).get(f"/api/people/{staff.outsider.id}").status_code == 404


def test_account_changes_are_not_pulled_by_phones(staff, as_user):
    district = as_user(staff.district_admin)
    _, cursor, _ = pull_all(district)
    as_user(staff.street_admin).post(f"/api/people/{staff.member.id}/reset")
    changes, _, _ = pull_all(district, cursor)
    assert changes == []


def test_a_deactivated_person_s_phones_get_no_more_pushes(staff, as_user, db):
    for n in range(2):
        db.session.add(
            PushSubscription(
                user_id=staff.member.id,
                endpoint=f"https://fcm.googleapis.com/fcm/send/{n}",
                p256dh="k",
                auth="a",
                failures=0,
            )
        )
    db.session.add(
        PushSubscription(
            user_id=staff.secretary.id,
            endpoint="https://fcm.googleapis.com/fcm/send/other",
            p256dh="k",
            auth="a",
            failures=0,
        )
    )
    db.session.commit()

    response = as_user(staff.street_admin).post(
        f"/api/people/{staff.member.id}/deactivate", json={"reason": "调离"}
    )

    assert response.status_code == 200
    owners = [s.user_id for s in db.session.query(PushSubscription)]
    assert owners == [staff.secretary.id]
