"""The whole loop of a task over HTTP, as a secretary and the members of a grid live it:
create with the 五定, list, claim, release, assign, report progress, complete with evidence,
verify or return, cancel; and the append-only history that records every change."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import undefer

from app import clock
from app.extensions import db as _db
from app.people.models import GRID_MEMBER, SECRETARY, TEAM_MEMBER
from app.tasks import services
from app.tasks.services import OFF_SITE_TOLERANCE_M
from app.units.models import Unit
from tests.tasks.conftest import (
    east_of,
    inside,
    jsonable,
    make_task,
    person,
    photo_ref,
    task_body,
)


def error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] == code, body
    assert body["message"]
    return body


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def actions(task):
    return [entry["action"] for entry in task["history"]]


@pytest.fixture
def crew(place):
    """A secretary of the community, two grid members and a team member of its first grid,
    a member of the sibling grid, and a member of a grid in the other street."""
    return {
        "secretary": person(SECRETARY, [place.community], name="李书记"),
        "wang": person(GRID_MEMBER, [place.grid], name="王网格"),
        "zhao": person(GRID_MEMBER, [place.grid], name="赵网格"),
        "qian": person(TEAM_MEMBER, [place.grid], name="钱队员"),
        "sun": person(GRID_MEMBER, [place.sibling], name="孙网格"),
        "far": person(GRID_MEMBER, [place.far_grid], name="远网格"),
    }


# -- creating -----------------------------------------------------------------------------------


def test_a_secretary_creates_a_grid_task_and_a_pool_task_with_the_five_fixes(
    client, auth, place, crew
):
    auth.login(crew["secretary"])
    deadline = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    body = task_body(
        place.grid,
        kind="micro_wish",
        title="帮独居老人买药",
        target="周五前把药送到",
        capacity=2,
        responsible_id=crew["wang"].id,
        deadline=deadline,
        measures="两人一组，送药上门并拍照",
    )
    task = ok(client.post("/api/tasks", json=jsonable(body)), 201)

    assert task["title"] == "帮独居老人买药"
    assert task["kind"] == "micro_wish"
    assert task["grid"]["code"] == place.grid.code
    assert task["community"]["code"] == place.community.code
    assert task["target"] == "周五前把药送到"  # 定目标
    assert task["capacity"] == 2  # 定人员
    assert task["responsible"] == {"id": crew["wang"].id, "name": "王网格"}  # 定责任
    assert datetime.fromisoformat(task["deadline"]) == deadline  # 定时限
    assert task["measures"] == "两人一组，送药上门并拍照"  # 定措施
    assert task["state"] == "open"
    assert (task["claimed"], task["holders"], task["overdue"]) == (0, [], False)
    [created] = task["history"]
    assert created["action"] == "create"
    assert created["actor_id"] == crew["secretary"].id
    assert (created["from_state"], created["to_state"]) == (None, "open")

    pool = ok(
        client.post(
            "/api/tasks", json=jsonable(task_body(community=place.community, kind="volunteer"))
        ),
        201,
    )
    assert pool["grid"] is None
    assert pool["community"]["code"] == place.community.code
    assert pool["responsible"]["id"] == crew["secretary"].id  # defaults to the creator


def test_creating_with_the_same_id_again_returns_the_original(client, auth, place, crew):
    auth.login(crew["secretary"])
    body = jsonable(task_body(place.grid, id=str(uuid.uuid4())))
    first = ok(client.post("/api/tasks", json=body), 201)
    again = ok(client.post("/api/tasks", json=body), 200)
    assert again["id"] == first["id"]
    assert actions(again) == ["create"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"target": None}, "target"),
        ({"title": None}, "title"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"deadline": "yesterday"}, "deadline"),
        ({"deadline": "2026-01-01T08:00:00"}, "deadline"),  # no time zone
        ({"kind": "party"}, "kind"),
        ({"both": True}, "grid"),
        ({"grid": None}, "grid"),  # neither grid nor community
        ({"grid": "520602999999999"}, "grid"),  # no such grid
    ],
)
def test_invalid_tasks_are_refused_naming_the_field(client, auth, place, crew, change, field):
    auth.login(crew["secretary"])
    body = jsonable(task_body(place.grid))
    change = dict(change)  # the parameter is shared by both backends' runs
    if change.pop("both", False):
        body["community"] = place.community.code
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    failure = error(client.post("/api/tasks", json=body), 422, "validation_error")
    assert field in failure["fields"], failure


def test_a_deadline_in_the_past_is_refused_naming_it(client, auth, place, crew):
    auth.login(crew["secretary"])
    body = jsonable(task_body(place.grid, deadline=clock.now() - timedelta(minutes=5)))
    failure = error(client.post("/api/tasks", json=body), 422, "validation_error")
    assert "deadline" in failure["fields"]
    assert ok(client.get("/api/tasks")) == []


# -- listing ------------------------------------------------------------------------------------


def test_members_list_claimable_mine_and_by_state(client, auth, place, crew):
    secretary = crew["secretary"]
    one = make_task(secretary, place.grid, title="一人任务", capacity=1)
    two = make_task(
        secretary,
        place.grid,
        title="两人任务",
        capacity=2,
        deadline=clock.now() + timedelta(days=4),
    )
    pool = make_task(
        secretary,
        community=place.community,
        title="社区任务",
        deadline=clock.now() + timedelta(days=5),
    )
    far_secretary = person(SECRETARY, [place.far_community])
    make_task(far_secretary, place.far_grid, title="别处任务")
    sibling = make_task(secretary, place.sibling, title="邻格任务")

    def titles(response):
        return [task["title"] for task in ok(response)]

    auth.login(crew["wang"])
    ok(client.post(f"/api/tasks/{one.id}/claim", json={}))

    auth.login(crew["zhao"])
    # Their grid's tasks and their community's pool, by deadline; not the sibling grid's.
    assert titles(client.get("/api/tasks")) == ["一人任务", "两人任务", "社区任务"]
    assert titles(client.get("/api/tasks?claimable=true")) == ["两人任务", "社区任务"]
    assert titles(client.get("/api/tasks?mine=true")) == []
    assert titles(client.get(f"/api/tasks?grid={place.grid.code}")) == ["一人任务", "两人任务"]

    auth.login(crew["wang"])
    mine = ok(client.get("/api/tasks?mine=true"))
    assert [t["id"] for t in mine] == [one.id]
    assert mine[0]["mine"] is True

    auth.login(crew["sun"])  # the sibling grid: its own task and the shared pool
    assert titles(client.get("/api/tasks")) == ["邻格任务", "社区任务"]

    auth.login(secretary)
    ok(client.post(f"/api/tasks/{pool.id}/cancel", json={"reason": "已由物业处理"}))
    assert titles(client.get("/api/tasks?state=open")) == ["一人任务", "邻格任务", "两人任务"]
    assert titles(client.get("/api/tasks?state=cancelled")) == ["社区任务"]
    assert titles(client.get("/api/tasks?state=open&state=cancelled")) == [
        "一人任务",
        "邻格任务",
        "两人任务",
        "社区任务",
    ]
    assert titles(client.get("/api/tasks?state=verified")) == []
    assert sibling.id and two.id


# -- claiming -----------------------------------------------------------------------------------


def test_claim_claim_again_full_release(client, auth, place, crew):
    task = make_task(crew["secretary"], place.grid, capacity=1)
    wang, zhao = crew["wang"], crew["zhao"]

    auth.login(wang)
    first = ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    assert first["claimed"] == 1
    assert [h["user_id"] for h in first["holders"]] == [wang.id]
    assert first["mine"] is True

    again = ok(client.post(f"/api/tasks/{task.id}/claim", json={}))  # harmless
    assert (again["claimed"], again["holders"]) == (first["claimed"], first["holders"])
    assert actions(again) == ["create", "claim"]

    auth.login(zhao)
    full = error(client.post(f"/api/tasks/{task.id}/claim", json={}), 409, "task_full")
    assert full["capacity"] == 1
    assert [(h["user_id"], h["name"]) for h in full["holders"]] == [(wang.id, "王网格")]
    assert "王网格" in full["message"]

    auth.login(wang)
    released = ok(client.post(f"/api/tasks/{task.id}/release"))
    assert (released["claimed"], released["holders"], released["mine"]) == (0, [], False)
    again = ok(client.post(f"/api/tasks/{task.id}/release"))  # harmless too
    assert actions(again) == ["create", "claim", "release"]

    auth.login(zhao)
    taken = ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    assert [h["user_id"] for h in taken["holders"]] == [zhao.id]


def test_a_claim_of_a_full_task_is_refused_from_one_read_and_writes_nothing(
    app, client, auth, place, crew
):
    """Most claims of a rush find the task full: the read that decides who may see it also
    says so, and nothing is written or locked (no UPDATE of the task)."""
    task = make_task(crew["secretary"], place.grid, capacity=1)
    auth.login(crew["wang"])
    ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    auth.login(crew["zhao"])
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement.split()[0].upper())

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        full = error(client.post(f"/api/tasks/{task.id}/claim", json={}), 409, "task_full")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert [h["user_id"] for h in full["holders"]] == [crew["wang"].id]
    assert "UPDATE" not in seen and "INSERT" not in seen
    assert seen.count("SELECT") == 2  # the task with its holders, the grid (the session: DBAPI)


def test_a_claim_that_finds_the_place_taken_meanwhile_names_who_took_it(
    client, auth, place, crew, monkeypatch
):
    """The read that decides a claim comes a moment before its UPDATE: if another member took
    the last place in between, the UPDATE takes none and the refusal names them."""
    task = make_task(crew["secretary"], place.grid, capacity=1)
    read, reads = services._Scope.read, []

    def before_wang_claimed(task_id):  # first, the scope as it was before wang's claim
        reads.append(task_id)
        scope = read(task_id)
        return scope._replace(claimed=0, holders=[]) if len(reads) == 1 else scope

    auth.login(crew["wang"])
    ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    auth.login(crew["zhao"])
    monkeypatch.setattr(services._Scope, "read", staticmethod(before_wang_claimed))
    full = error(client.post(f"/api/tasks/{task.id}/claim", json={}), 409, "task_full")
    assert [h["user_id"] for h in full["holders"]] == [crew["wang"].id]
    assert len(reads) == 2  # the refusal was read again after the UPDATE took no place
    monkeypatch.undo()
    shown = ok(client.get(f"/api/tasks/{task.id}"))
    assert (shown["claimed"], [h["user_id"] for h in shown["holders"]]) == (1, [crew["wang"].id])


def test_a_full_task_says_since_when_on_the_district_clock(
    client, auth, place, crew, monkeypatch, app
):
    """The holders' times are ISO 8601 in UTC; the sentence tells them as Tongren reads them."""
    claimed = datetime(2026, 12, 1, 21, 26, tzinfo=UTC)  # 05:26 on 2 December in Tongren
    now = claimed
    monkeypatch.setattr(clock, "now", lambda: now)
    task = make_task(crew["secretary"], place.grid, capacity=1)
    auth.login(crew["wang"])
    ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    auth.login(crew["zhao"])

    def refusal():
        return error(client.post(f"/api/tasks/{task.id}/claim", json={}), 409, "task_full")

    now = claimed + timedelta(minutes=30)
    full = refusal()
    assert full["holders"] == [
        {"user_id": crew["wang"].id, "name": "王网格", "claimed_at": "2026-12-01T21:26:00+00:00"}
    ]
    assert full["message"] == "Task full: claimed by 王网格 at 05:26 (UTC+8)."
    now = claimed + timedelta(days=1)  # another day in Tongren: the date is told too
    assert refusal()["message"] == "Task full: claimed by 王网格 at 2026-12-02 05:26 (UTC+8)."
    monkeypatch.setitem(app.config, "DISTRICT_TIMEZONE", "America/St_Johns")  # UTC-3:30
    assert "王网格 at 2026-12-01 17:56 (UTC-3:30)" in refusal()["message"]


def test_a_pool_task_is_claimed_by_members_of_any_grid_of_the_community(client, auth, place, crew):
    task = make_task(crew["secretary"], community=place.community, capacity=3)
    for name in ("wang", "qian", "sun"):
        auth.login(crew[name])
        ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    auth.login(crew["far"])
    error(client.post(f"/api/tasks/{task.id}/claim", json={}), 404, "not_found")
    auth.login(crew["secretary"])
    assert ok(client.get(f"/api/tasks/{task.id}"))["claimed"] == 3


def test_the_secretary_assigns_reassigns_and_unassigns(client, auth, place, crew):
    secretary, wang, zhao = crew["secretary"], crew["wang"], crew["zhao"]
    task = make_task(secretary, place.grid, capacity=2)
    auth.login(secretary)

    assigned = ok(client.post(f"/api/tasks/{task.id}/assign", json={"user_id": wang.id}))
    assert [h["user_id"] for h in assigned["holders"]] == [wang.id]

    moved = ok(
        client.post(f"/api/tasks/{task.id}/assign", json={"user_id": zhao.id, "replace": wang.id})
    )
    assert [h["user_id"] for h in moved["holders"]] == [zhao.id]
    assert moved["claimed"] == 1
    reassign = moved["history"][-1]
    assert reassign["action"] == "reassign"
    assert reassign["data"] == {"member": zhao.id, "replaces": wang.id}
    # Each member given a place hears of it (派单) in the inbox.
    auth.login(zhao)
    [told] = ok(client.get("/api/inbox"))
    assert (told["kind"], told["entity"], told["entity_id"]) == ("dispatch", "task", task.id)
    auth.login(secretary)

    # Moving from someone who holds nothing, or to someone already holding, is refused.
    failure = error(
        client.post(
            f"/api/tasks/{task.id}/assign", json={"user_id": wang.id, "replace": crew["qian"].id}
        ),
        422,
        "validation_error",
    )
    assert "replace" in failure["fields"]
    ok(client.post(f"/api/tasks/{task.id}/assign", json={"user_id": wang.id}))
    error(
        client.post(f"/api/tasks/{task.id}/assign", json={"user_id": wang.id, "replace": zhao.id}),
        422,
        "already_holds",
    )

    # Not to a member of another grid; not beyond capacity.
    failure = error(
        client.post(f"/api/tasks/{task.id}/assign", json={"user_id": crew["sun"].id}),
        422,
        "bad_assignee",
    )
    assert "user_id" in failure["fields"]
    full = error(
        client.post(f"/api/tasks/{task.id}/assign", json={"user_id": crew["qian"].id}),
        409,
        "task_full",
    )
    assert {h["user_id"] for h in full["holders"]} == {wang.id, zhao.id}

    emptied = ok(client.post(f"/api/tasks/{task.id}/unassign", json={"user_id": zhao.id}))
    assert [h["user_id"] for h in emptied["holders"]] == [wang.id]
    failure = error(
        client.post(f"/api/tasks/{task.id}/unassign", json={"user_id": zhao.id}),
        422,
        "validation_error",
    )
    assert "user_id" in failure["fields"]
    assert actions(emptied) == ["create", "assign", "reassign", "assign", "unassign"]


# -- doing the work -----------------------------------------------------------------------------


def test_progress_complete_with_evidence_and_verify(client, auth, place, crew):
    secretary, wang = crew["secretary"], crew["wang"]
    task = make_task(secretary, place.grid)
    auth.login(wang)
    ok(client.post(f"/api/tasks/{task.id}/claim", json={}))

    noted = ok(
        client.post(
            f"/api/tasks/{task.id}/progress",
            json={"note": "已通知3户住户", "photos": [photo_ref("before", "before")]},
        )
    )
    progress = noted["history"][-1]
    assert (progress["action"], progress["note"], progress["actor_id"]) == (
        "progress",
        "已通知3户住户",
        wang.id,
    )
    assert noted["state"] == "open"

    point = inside(place.grid)
    for photos in (None, []):
        body = dict(point, note="清理完毕", **({} if photos is None else {"photos": photos}))
        failure = error(
            client.post(f"/api/tasks/{task.id}/complete", json=body), 422, "evidence_required"
        )
        assert "photos" in failure["fields"]

    done = ok(
        client.post(
            f"/api/tasks/{task.id}/complete",
            json=dict(point, note="清理完毕", photos=[photo_ref("after")]),
        )
    )
    assert done["state"] == "completed"
    assert done["off_site_m"] is None
    assert done["completion_note"] == "清理完毕"
    after = [p for p in done["photos"] if p["kind"] == "after"]
    assert after == [
        dict(photo_ref("after"), taken_at=None, lat=None, lng=None, available=False)
    ]  # referenced by hash before the photo itself arrived
    completion = done["history"][-1]
    assert (completion["from_state"], completion["to_state"]) == ("open", "completed")
    assert (completion["lat"], completion["lng"]) == (point["lat"], point["lng"])
    error(
        client.post(
            f"/api/tasks/{task.id}/complete", json=dict(point, photos=[photo_ref("after")])
        ),
        409,
        "wrong_state",
    )

    auth.login(secretary)
    verified = ok(client.post(f"/api/tasks/{task.id}/verify", json={"passed": True}))
    assert verified["state"] == "verified"
    entry = verified["history"][-1]
    assert (entry["action"], entry["actor_id"], entry["from_state"], entry["to_state"]) == (
        "verify",
        secretary.id,
        "completed",
        "verified",
    )
    error(client.post(f"/api/tasks/{task.id}/cancel", json={"reason": "x"}), 409, "wrong_state")


def test_completion_off_site_is_accepted_flagged_and_can_be_returned(client, auth, district):
    grid = _db.session.execute(
        select(Unit).where(Unit.id == district["grid"][0].id).options(undefer(Unit.geom))
    ).scalar()
    secretary = person(SECRETARY, [grid.parent])
    member = person(GRID_MEMBER, [grid])
    task = make_task(secretary, grid)
    auth.login(member)
    ok(client.post(f"/api/tasks/{task.id}/claim", json={}))

    far = east_of(grid, 500)
    done = ok(client.post(f"/api/tasks/{task.id}/complete", json=dict(far, photos=[photo_ref()])))
    assert done["state"] == "completed"  # accepted ...
    assert done["off_site_m"] == pytest.approx(500, abs=15)  # ... and flagged
    assert done["history"][-1]["data"] == {"off_site_m": round(done["off_site_m"])}

    auth.login(secretary)
    failure = error(
        client.post(f"/api/tasks/{task.id}/verify", json={"passed": False}),
        422,
        "validation_error",
    )
    assert "reason" in failure["fields"]
    returned = ok(
        client.post(
            f"/api/tasks/{task.id}/verify", json={"passed": False, "reason": "照片不在现场，请重拍"}
        )
    )
    assert (returned["state"], returned["reason"]) == ("open", "照片不在现场，请重拍")
    entry = returned["history"][-1]
    assert (entry["action"], entry["from_state"], entry["to_state"], entry["note"]) == (
        "return",
        "completed",
        "open",
        "照片不在现场，请重拍",
    )
    assert [h["user_id"] for h in returned["holders"]] == [member.id]  # still theirs to redo

    # Within the stated tolerance of the edge, GPS noise is not flagged.
    auth.login(member)
    near = east_of(grid, OFF_SITE_TOLERANCE_M / 2)
    redone = ok(
        client.post(f"/api/tasks/{task.id}/complete", json=dict(near, photos=[photo_ref()]))
    )
    assert redone["off_site_m"] is None


def test_cancel(client, auth, place, crew):
    task = make_task(crew["secretary"], place.grid, capacity=2)
    auth.login(crew["wang"])
    ok(client.post(f"/api/tasks/{task.id}/claim", json={}))
    auth.login(crew["secretary"])
    error(client.post(f"/api/tasks/{task.id}/cancel", json={}), 422, "validation_error")
    cancelled = ok(client.post(f"/api/tasks/{task.id}/cancel", json={"reason": "重复任务"}))
    assert (cancelled["state"], cancelled["reason"]) == ("cancelled", "重复任务")
    entry = cancelled["history"][-1]
    assert (entry["from_state"], entry["to_state"], entry["note"]) == (
        "open",
        "cancelled",
        "重复任务",
    )
    auth.login(crew["zhao"])
    error(client.post(f"/api/tasks/{task.id}/claim", json={}), 409, "wrong_state")


# -- the history --------------------------------------------------------------------------------


def test_the_history_has_one_entry_per_change_with_actor_and_states(client, auth, place, crew):
    secretary, wang, zhao = crew["secretary"], crew["wang"], crew["zhao"]
    task = make_task(secretary, place.grid, capacity=2)
    url = f"/api/tasks/{task.id}"
    evidence = dict(inside(place.grid), photos=[photo_ref()])

    auth.login(wang)
    ok(client.post(f"{url}/claim", json={}))
    ok(client.post(f"{url}/claim", json={}))  # no change, no entry
    auth.login(secretary)
    ok(client.post(f"{url}/assign", json={"user_id": zhao.id}))
    auth.login(zhao)
    ok(client.post(f"{url}/release"))
    auth.login(wang)
    ok(client.post(f"{url}/progress", json={"note": "进行中"}))
    ok(client.post(f"{url}/complete", json=evidence))
    auth.login(secretary)
    ok(client.post(f"{url}/verify", json={"passed": False, "reason": "不彻底"}))
    auth.login(wang)
    ok(client.post(f"{url}/complete", json=evidence))
    auth.login(secretary)
    history = ok(client.post(f"{url}/verify", json={"passed": True}))["history"]

    expected = [
        ("create", secretary, None, "open"),
        ("claim", wang, None, None),
        ("assign", secretary, None, None),
        ("release", zhao, None, None),
        ("progress", wang, None, None),
        ("complete", wang, "open", "completed"),
        ("return", secretary, "completed", "open"),
        ("complete", wang, "open", "completed"),
        ("verify", secretary, "completed", "verified"),
    ]
    assert [
        (
            e["action"],
            e["actor_id"],
            e["actor_name"],
            e["actor_role"],
            e["from_state"],
            e["to_state"],
        )
        for e in history
    ] == [
        (action, actor.id, actor.name, actor.role, before, after)
        for action, actor, before, after in expected
    ]
    assert [e["id"] for e in history] == sorted(e["id"] for e in history)
    assert all(e["at"] for e in history)


def test_history_rows_cannot_be_updated_or_deleted(db, place, crew):
    task = make_task(crew["secretary"], place.grid)
    count = db.session.execute(text("SELECT count(*) FROM history")).scalar()
    assert count == 1
    for statement in (
        "UPDATE history SET note = 'rewritten'",
        "UPDATE history SET actor_id = NULL",
        "DELETE FROM history",
        f"DELETE FROM history WHERE entity_id = '{task.id}'",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT count(*), min(note) FROM history")).one() == (
        1,
        task.title,
    )
