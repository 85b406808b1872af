"""The secretary's dispatch desk: the community's open work, members' load, bulk assignment."""

from sqlalchemy import text

from tests.builders import report_body
from tests.tasks.conftest import jsonable, task_body


def accepted_incident(cast, as_user, **extra):
    incident = as_user(cast.member).post("/api/incidents", json=report_body(cast.grid, **extra))
    incident = incident.get_json()
    as_user(cast.secretary).post(f"/api/incidents/{incident['id']}/accept", json={})
    return incident


def new_task(cast, as_user, **fields):
    body = jsonable(task_body(grid=cast.grid, **fields))
    return as_user(cast.secretary).post("/api/tasks", json=body).get_json()


def test_the_desk_shows_the_communitys_open_work_soonest_first(cast, as_user):
    ordinary = accepted_incident(cast, as_user)
    urgent = accepted_incident(cast, as_user, urgent=True)
    elsewhere = as_user(cast.outsider).post("/api/incidents", json=report_body(cast.other_grid))
    task = new_task(cast, as_user)

    desk = as_user(cast.secretary).get("/api/dispatch").get_json()

    assert desk["community"]["code"] == cast.community.code
    assert [i["id"] for i in desk["incidents"]] == [urgent["id"], ordinary["id"]]
    assert elsewhere.get_json()["id"] not in [i["id"] for i in desk["incidents"]]
    assert [t["id"] for t in desk["tasks"]] == [task["id"]]
    only_urgent = as_user(cast.secretary).get("/api/dispatch?urgent=true").get_json()
    assert [i["id"] for i in only_urgent["incidents"]] == [urgent["id"]]


def test_the_desk_is_for_managers_of_that_community(cast, as_user):
    assert (
        as_user(cast.member).get("/api/dispatch?community=" + cast.community.code).status_code
        == 403
    )
    other = as_user(cast.outside_secretary).get(f"/api/dispatch?community={cast.community.code}")
    assert other.status_code == 403
    street = as_user(cast.street_admin)
    assert street.get("/api/dispatch").status_code == 422  # a street must say which community
    assert street.get(f"/api/dispatch?community={cast.community.code}").status_code == 200


def test_members_are_listed_with_their_load_least_loaded_first(cast, as_user):
    secretary = as_user(cast.secretary)
    incident = accepted_incident(cast, as_user)
    secretary.post(
        f"/api/incidents/{incident['id']}/dispatch", json={"assignee_id": cast.colleague.id}
    )
    task = new_task(cast, as_user, capacity=2)
    secretary.post(f"/api/tasks/{task['id']}/assign", json={"user_id": cast.colleague.id})

    members = secretary.get("/api/dispatch/members").get_json()

    by_id = {m["id"]: m for m in members}
    assert by_id[cast.colleague.id]["open_cases"] == 1
    assert by_id[cast.colleague.id]["open_tasks"] == 1
    assert by_id[cast.member.id]["open_cases"] == 0
    assert members[0]["id"] == cast.member.id  # least loaded first
    assert cast.outsider.id not in by_id


def test_bulk_assignment_is_all_or_nothing(cast, as_user, db):
    secretary = as_user(cast.secretary)
    first, second = accepted_incident(cast, as_user), accepted_incident(cast, as_user)
    task = new_task(cast, as_user, capacity=1)

    refused = secretary.post(
        "/api/dispatch/assign",
        json={
            "assignments": [
                {"incident_id": first["id"], "user_id": cast.member.id},
                {"task_id": task["id"], "user_id": cast.colleague.id},
                {"incident_id": second["id"], "user_id": cast.outsider.id},  # not of this grid
            ]
        },
    )
    assert refused.status_code == 422
    assert "assignments.2" in refused.get_json()["error"]["fields"]
    states = db.session.execute(text("SELECT state FROM incident ORDER BY id")).scalars().all()
    assert states == ["accepted", "accepted"]
    assert db.session.execute(text("SELECT claimed FROM task")).scalar() == 0

    done = secretary.post(
        "/api/dispatch/assign",
        json={
            "assignments": [
                {"incident_id": first["id"], "user_id": cast.member.id},
                {"task_id": task["id"], "user_id": cast.colleague.id},
                {"incident_id": second["id"], "user_id": cast.colleague.id},
            ]
        },
    )
    assert done.status_code == 200 and done.get_json() == {"assigned": 3}
    shown = secretary.get(f"/api/incidents/{second['id']}").get_json()
    assert shown["state"] == "dispatched" and shown["assignee"]["id"] == cast.colleague.id


def test_cancelling_a_task_frees_its_places_and_hides_it_from_the_default_list(cast, as_user):
    secretary, member = as_user(cast.secretary), as_user(cast.member)
    task = new_task(cast, as_user, capacity=2)
    member.post(f"/api/tasks/{task['id']}/claim", json={})
    cancelled = secretary.post(f"/api/tasks/{task['id']}/cancel", json={"reason": "重复任务"})
    assert cancelled.get_json()["claimed"] == 0 and cancelled.get_json()["holders"] == []
    assert task["id"] not in [t["id"] for t in member.get("/api/tasks").get_json()]
    shown = member.get("/api/tasks?state=cancelled").get_json()
    assert [t["id"] for t in shown] == [task["id"]]
