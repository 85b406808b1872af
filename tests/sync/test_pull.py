"""Changes down: a first snapshot, then what changed in my area since my cursor."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from app import clock
from tests.builders import report_body
from tests.tasks.conftest import jsonable, task_body


def pull_all(client, cursor=None, limit=500):
    """Follow has_more to the end; returns (changes in order, final cursor, pages)."""
    changes, pages = [], []
    while True:
        query = f"/api/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(query)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        pages.append(page)
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor, pages


def state(changes):
    """What a phone holds after applying changes in order."""
    held = {}
    for change in changes:
        key = (change["entity"], change["id"])
        if change["op"] == "put":
            held[key] = change["data"]
        else:
            held.pop(key, None)
    return held


def test_first_sync_is_a_snapshot_of_my_area_then_changes_follow(cast, as_user):
    member, outsider = as_user(cast.member), as_user(cast.outsider)
    mine = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    elsewhere = outsider.post("/api/incidents", json=report_body(cast.other_grid)).get_json()

    changes, cursor, pages = pull_all(member)
    held = state(changes)
    assert ("incident", mine["id"]) in held
    assert ("incident", elsewhere["id"]) not in held
    assert pages[0]["snapshot"] is True

    # Nothing new: an empty page, same state.
    nothing, cursor, _ = pull_all(member, cursor)
    assert nothing == []

    as_user(cast.secretary).post(f"/api/incidents/{mine['id']}/accept", json={})
    newer, cursor, pages = pull_all(member, cursor)
    assert pages[-1]["snapshot"] is False
    assert [(c["entity"], c["id"], c["op"]) for c in newer] == [("incident", mine["id"], "put")]
    assert newer[0]["data"]["state"] == "accepted"


def test_pages_are_small_when_asked_and_lose_nothing(cast, as_user):
    member = as_user(cast.member)
    ids = [
        member.post("/api/incidents", json=report_body(cast.grid)).get_json()["id"]
        for _ in range(7)
    ]
    _, cursor, _ = pull_all(member, limit=3)
    for incident_id in ids:
        as_user(cast.secretary).post(f"/api/incidents/{incident_id}/accept", json={})
    changes, _, pages = pull_all(member, cursor, limit=2)
    assert len(pages) >= 4
    assert {c["id"] for c in changes} == set(ids)
    assert all(data["state"] == "accepted" for data in state(changes).values())


def test_a_snapshot_page_runs_across_kinds_and_a_change_during_it_follows(cast, as_user):
    """A first sync's page is filled from one kind after the other: a member's is one page.
    Cut into small pages it holds the same, and what changes while it is taken arrives
    after it, from the cursor it began with."""
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    reports = [
        member.post("/api/incidents", json=report_body(cast.grid)).get_json()["id"]
        for _ in range(3)
    ]
    for _ in range(2):
        created = secretary.post("/api/tasks", json=jsonable(task_body(grid=cast.grid)))
        assert created.status_code == 201, created.get_json()
    whole, _, pages = pull_all(member)
    assert len(pages) == 1 and pages[0]["snapshot"] is True
    assert [c["entity"] for c in whole][:5] == ["incident"] * 3 + ["task"] * 2
    for limit in (1, 2, 4):
        changes, _, pages = pull_all(member, limit=limit)
        assert state(changes) == state(whole)
        assert len(pages) >= len(whole) // limit

    # Half-way through a snapshot taken two at a time, a report it brought is accepted.
    first = member.get("/api/sync/pull?limit=2").get_json()
    assert first["snapshot"] is True and first["has_more"] is True
    brought = first["changes"][0]["id"]
    assert brought in reports
    accepted = secretary.post(f"/api/incidents/{brought}/accept", json={})
    assert accepted.status_code == 200
    rest, _, pages = pull_all(member, first["cursor"], limit=2)
    assert pages[-1]["snapshot"] is False
    held = state(first["changes"] + rest)
    assert held.keys() == state(whole).keys()
    assert held[("incident", brought)]["state"] == "accepted"


def test_the_secretary_pulls_the_community_and_the_member_only_the_grid(cast, as_user, district):
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    sibling = next(
        g for g in district["grid"] if g.parent_id == cast.community.id and g.id != cast.grid.id
    )
    from tests.conftest import make_user

    neighbour = as_user(make_user("grid_member", [sibling]))
    there = neighbour.post("/api/incidents", json=report_body(sibling)).get_json()
    assert ("incident", there["id"]) in state(pull_all(secretary)[0])
    assert ("incident", there["id"]) not in state(pull_all(member)[0])


def test_tasks_come_down_with_their_claims(cast, as_user):
    secretary, member = as_user(cast.secretary), as_user(cast.member)
    _, cursor, _ = pull_all(member)
    task = secretary.post(
        "/api/tasks", json=jsonable(task_body(grid=cast.grid, capacity=2))
    ).get_json()
    as_user(cast.colleague).post(f"/api/tasks/{task['id']}/claim", json={})
    changes, _, _ = pull_all(member, cursor)
    held = state(changes)
    assert held[("task", task["id"])]["claimed"] == 1


def test_a_withdrawn_area_is_purged_and_a_granted_one_filled_in(cast, as_user, db, district):
    member = as_user(cast.member)
    mine = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    _, cursor, _ = pull_all(member)
    other = (
        as_user(cast.outsider).post("/api/incidents", json=report_body(cast.other_grid)).get_json()
    )

    # The member is moved to the other grid.
    from app.people.models import User

    user = db.session.get(User, cast.member.id)
    user.units = [db.session.merge(cast.other_grid)]
    db.session.commit()

    changes, _, pages = pull_all(member, cursor)
    assert pages[0]["drop_scopes"] == [cast.grid.code]
    held = state(changes)
    assert ("incident", other["id"]) in held  # filled in
    # Their own report stays theirs to see, wherever they work now.
    assert ("incident", mine["id"]) in held


def test_a_department_pulls_its_own_calls_and_nothing_of_others(cast, as_user, db):
    dept, street = as_user(cast.dept_user), as_user(cast.street_admin)
    _, cursor, _ = pull_all(dept)
    ours = as_user(cast.member).post("/api/incidents", json=report_body(cast.grid)).get_json()
    theirs = as_user(cast.member).post("/api/incidents", json=report_body(cast.grid)).get_json()
    for incident, department, answer in (
        (ours, "urban_management", dept),
        (theirs, "water", as_user(cast.other_dept_user)),
    ):
        called = street.post(
            f"/api/incidents/{incident['id']}/whistle", json={"departments": [department]}
        )
        call = called.get_json()[0]["id"]
        assert answer.post(f"/api/whistles/{call}/report", json={}).status_code == 200
    changes, cursor, _ = pull_all(dept, cursor)
    # The other department's call names no incident to it, not even as a tombstone.
    assert [(c["id"], c["op"]) for c in changes] == [(ours["id"], "put")]

    # A call withdrawn by an administrator (a correction in the database) leaks nothing more.
    db.session.execute(text("DELETE FROM whistle"))
    db.session.commit()
    as_user(cast.secretary).post(f"/api/incidents/{ours['id']}/accept", json={})
    changes, _, _ = pull_all(dept, cursor)
    assert changes == []


def test_an_old_cursor_gets_resync(cast, as_user, monkeypatch, app):
    member = as_user(cast.member)
    _, cursor, _ = pull_all(member)
    later = clock.now() + timedelta(days=app.config["SYNC_RETENTION_DAYS"] + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = member.get(f"/api/sync/pull?cursor={cursor}")
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "resync"


def test_a_cursor_is_bound_to_its_user_and_cannot_be_forged(cast, as_user):
    _, cursor, _ = pull_all(as_user(cast.member))
    stolen = as_user(cast.colleague).get(f"/api/sync/pull?cursor={cursor}")
    assert stolen.status_code == 400 and stolen.get_json()["error"]["code"] == "bad_cursor"
    forged = as_user(cast.member).get("/api/sync/pull?cursor=eyJwIjpbMCwwXX0.forged")
    assert forged.status_code == 400


def test_a_pull_never_skips_a_row_whose_transaction_commits_late(app, cast, as_user):
    """Two connections write history; the one that got the lower row id commits last. A
    pull in between must hold the later row back, not step past the earlier one."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("commit order differs from id order only with concurrent writers (PostgreSQL)")
    member = as_user(cast.member)
    first = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    second = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
    _, cursor, _ = pull_all(member)

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    early, late = engine.connect(), engine.connect()
    try:
        insert = text(
            "INSERT INTO history (entity, entity_id, action, actor_role, at, grid_id, community_id)"
            " VALUES ('incident', :id, 'comment', 'system', now(), :grid, :community)"
        )
        where = {"grid": cast.grid.id, "community": cast.community.id}
        early.begin()
        early.execute(insert, {"id": first["id"], **where})  # gets the lower id...
        late.begin()
        late.execute(insert, {"id": second["id"], **where})
        late.commit()  # ...but commits second

        changes, cursor, _ = pull_all(member, cursor)
        assert [c["id"] for c in changes] == []  # both held back while the early one is open

        early.commit()
        # Delivered now, in commit-safe order, none skipped. (Any other transaction still
        # open on the cluster, e.g. another test session, holds rows back a moment longer.)
        delivered, deadline = [], time.monotonic() + 20
        while len(delivered) < 2 and time.monotonic() < deadline:
            changes, cursor, _ = pull_all(member, cursor)
            delivered += [c["id"] for c in changes]
            time.sleep(0.05 if not changes else 0)
        assert delivered == [first["id"], second["id"]]
    finally:
        early.close()
        late.close()
        engine.dispose()


def test_a_write_open_in_another_database_does_not_hold_pulls_back(app, cast, as_user):
    """Transaction ids are shared by the whole cluster: a long write in another database
    (an import next door) must not stall every phone, while one in this database must."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("transaction ids shared across databases are PostgreSQL's")
    member = as_user(cast.member)
    _, cursor, _ = pull_all(member)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    next_door = create_engine(url.rsplit("/", 1)[0] + "/postgres")
    here = create_engine(url)
    elsewhere, ours = next_door.connect(), here.connect()
    try:
        elsewhere.begin()
        elsewhere.execute(text("CREATE TEMP TABLE held (x int)"))  # a write: it has an id
        reported = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
        changes, cursor, _ = pull_all(member, cursor)
        assert [c["id"] for c in changes] == [reported["id"]]

        ours.begin()
        ours.execute(text("CREATE TEMP TABLE held (x int)"))  # now one in this database
        later = member.post("/api/incidents", json=report_body(cast.grid)).get_json()
        changes, cursor, _ = pull_all(member, cursor)
        assert changes == []  # it could still write history below the new row: held back
        ours.rollback()
        changes, cursor, _ = pull_all(member, cursor)
        assert [c["id"] for c in changes] == [later["id"]]
    finally:
        elsewhere.close()
        ours.close()
        next_door.dispose()
        here.dispose()
