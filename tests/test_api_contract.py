"""The API keeps its contract: an entity reads the same wherever it comes from (its route, the
sync pull), every time in an answer is ISO 8601 in UTC with its zone, and the JSON encoder
never meets a time a schema did not write."""

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import Schema, ValidationError

from app.extensions import db as _db
from app.people.models import User
from app.schemas import Out, Shown, Time
from app.sync import feed
from tests.builders import report_body
from tests.households.conftest import household_body
from tests.sync.test_pull import pull_all
from tests.tasks.conftest import jsonable, task_body
from tests.volunteering.conftest import activity_body
from tests.wishes.conftest import wish_body

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")
CLOCK = re.compile(r"\d\d:\d\d:\d\d")  # any time of day, whatever the format around it

# Where the API shows each entity of the pull, and how to find it in that answer. A new
# entity of the feed without a route here fails the test below.
ROUTES = {
    "incident": ("/api/incidents/{id}", None),
    "task": ("/api/tasks/{id}", None),
    "emergency": ("/api/emergency/switches/{id}", None),
    "rollcall": ("/api/rollcalls/{id}", None),
    "message": ("/api/inbox", lambda found, id: next(m for m in found if str(m["id"]) == id)),
    "wish": ("/api/wishes/{id}", None),
    "activity": ("/api/activities/{id}", None),
    "household": ("/api/households/{id}", None),
    "visit": ("/api/visits/{id}", None),
    "patrol": ("/api/patrols/{id}", None),
    "patrol_plan": ("/api/patrols/plans/{id}", None),
    "journal": ("/api/journal/{id}", None),
}
# What a detail route adds to what the pull carries (the phone asks for it when online).
DETAIL_ONLY = {
    "incident": {"history", "whistles", "followers"},
    "task": {"history"},
    "wish": {"history"},
    "activity": {"signups"},
    "patrol": {"track"},
}


def times(value):
    """Every string in a JSON value that tells a time of day."""
    if isinstance(value, dict):
        return [t for item in value.values() for t in times(item)]
    if isinstance(value, list):
        return [t for item in value for t in times(item)]
    return [value] if isinstance(value, str) and CLOCK.search(value) else []


def shown_by_route(client, entity, entity_id):
    url, pick = ROUTES[entity]
    response = client.get(url.format(id=entity_id))
    assert response.status_code == 200, response.get_json()
    found = response.get_json()
    return pick(found, entity_id) if pick else found


@pytest.fixture
def everything(cast, as_user):
    """A member's grid with one of each entity a phone holds: the member's report, a task
    they claimed, a mode switch with its roll-call, the inbox message calling them, a wish
    they recorded, an activity of their community, a household and its visit, their grid's
    patrol plan, their patrol and their 民情日志."""
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    assert member.post("/api/incidents", json=report_body(cast.grid)).status_code == 201
    task = secretary.post("/api/tasks", json=jsonable(task_body(grid=cast.grid, capacity=2)))
    assert member.post(f"/api/tasks/{task.get_json()['id']}/claim", json={}).status_code == 200
    switch = as_user(cast.street_admin).post(
        "/api/emergency/switches",
        json={
            "kind": "flood",
            "level": "II",
            "reason": "锦江水位超警戒",
            "scope": {"level": "grid", "codes": [cast.grid.code]},
        },
    )
    assert switch.status_code == 201, switch.get_json()
    wish = member.post("/api/wishes", json=wish_body(cast.grid))
    assert wish.status_code == 201, wish.get_json()
    activity = secretary.post("/api/activities", json=jsonable(activity_body(cast.community)))
    assert activity.status_code == 201, activity.get_json()
    household = member.post("/api/households", json=household_body(cast.grid))
    assert household.status_code == 201, household.get_json()
    visit = {
        "id": str(uuid.uuid4()),
        "household": household.get_json()["id"],
        "note": "入户走访",
    }
    assert member.post("/api/visits", json=visit).status_code == 201
    checkpoint = {"name": "菜市场", "lat": 27.72, "lng": 109.19}
    plan = {"grid": cast.grid.code, "checkpoints": [checkpoint]}
    assert secretary.put("/api/patrols/plans", json=plan).status_code == 200
    patrol = {"id": str(uuid.uuid4()), "grid": cast.grid.code}
    assert member.post("/api/patrols", json=patrol).status_code == 200
    day = {"id": str(uuid.uuid4()), "day": "2026-12-01", "problems": "无", "measures": "巡查"}
    assert member.post("/api/journal", json={**day, "results": "正常"}).status_code == 200
    return member


def assert_pulled_as_shown(client, changes):
    for change in changes:
        if change["op"] != "put":
            continue
        entity, pulled = change["entity"], change["data"]
        shown = shown_by_route(client, entity, change["id"])
        assert {key: shown[key] for key in pulled} == pulled, entity
        assert set(shown) - set(pulled) == DETAIL_ONLY.get(entity, set()), entity
        told = times(pulled)
        assert told, f"{entity} carries no time to check"
        assert [t for t in told + times(shown) if not ISO_UTC.match(t)] == [], entity


def test_a_pulled_entity_is_what_its_route_shows_for_every_entity_type(cast, as_user, everything):
    member = everything
    changes, cursor, _ = pull_all(member)
    assert {c["entity"] for c in changes} == set(feed.ENTITIES) == set(ROUTES)
    assert_pulled_as_shown(member, changes)

    # Changes after the snapshot are shown the same way.
    call = next(c["id"] for c in changes if c["entity"] == "rollcall")
    assert member.post(f"/api/rollcalls/{call}/ack", json={}).status_code == 200
    incident = next(c["id"] for c in changes if c["entity"] == "incident")
    accepted = as_user(cast.secretary).post(f"/api/incidents/{incident}/accept", json={})
    assert accepted.status_code == 200
    newer, _, _ = pull_all(member, cursor)
    assert {c["entity"] for c in newer} >= {"incident", "rollcall"}
    assert_pulled_as_shown(member, newer)


def test_present_gathers_only_what_the_output_schema_writes(cast, everything, monkeypatch):
    """A value present() gathers under a name its schema lacks would vanish from the answer
    without a word: every gathered name is a field."""
    changes, _, _ = pull_all(everything)
    gathered = []
    shown = Shown.__init__
    monkeypatch.setattr(
        Shown,
        "__init__",
        lambda self, row, **found: gathered.append(set(found)) or shown(self, row, **found),
    )
    member = _db.session.get(User, cast.member.id)
    for entity, (module, model, _, key, schema) in feed.ENTITIES.items():
        ids = [key(c["id"]) for c in changes if c["entity"] == entity]
        rows = _db.session.query(model).filter(model.id.in_(ids)).all()
        gathered.clear()
        assert len(module.present(member, rows)) == len(rows) > 0
        for names in gathered:
            assert names <= set(schema.fields), (entity, names - set(schema.fields))


def test_a_time_is_written_in_utc_with_its_zone_and_never_naive():
    class Out(Schema):
        at = Time()

    tongren = timezone(timedelta(hours=8))
    moment = datetime(2026, 12, 2, 5, 26, 7, tzinfo=tongren)
    assert Out().dump({"at": moment}) == {"at": "2026-12-01T21:26:07+00:00"}
    assert Out().load({"at": "2026-12-02T05:26:07+08:00"}) == {"at": moment}
    with pytest.raises(ValueError, match="naive"):
        Out().dump({"at": datetime(2026, 12, 1, 21, 26)})
    with pytest.raises(ValidationError):
        Out().load({"at": "2026-12-01T21:26:07"})


def test_a_time_that_skipped_its_schema_fails_in_tests_and_is_iso_otherwise(app, monkeypatch):
    moment = datetime(2026, 12, 2, 5, 26, 7, tzinfo=timezone(timedelta(hours=8)))
    with app.app_context(), pytest.raises(TypeError, match="schema"):
        app.json.dumps({"at": moment})
    monkeypatch.setitem(app.config, "TESTING", False)
    with app.app_context():
        assert app.json.loads(app.json.dumps({"at": moment, "on": moment.date()})) == {
            "at": "2026-12-01T21:26:07+00:00",
            "on": "2026-12-02",
        }


def test_a_pull_writes_every_entity_type_exactly_as_marshmallow_would(
    cast, as_user, everything, monkeypatch
):
    """Out (app/schemas.py) writes an entity walking less than marshmallow: for every kind a
    phone pulls, its answer is what marshmallow's own writing of the same schemas gives."""
    secretary = as_user(cast.secretary)
    fast = {who: pull_all(client)[0] for who, client in (("m", everything), ("s", secretary))}
    monkeypatch.setattr(Out, "_serialize", Schema._serialize)
    slow = {who: pull_all(client)[0] for who, client in (("m", everything), ("s", secretary))}
    assert {c["entity"] for c in fast["m"]} == set(feed.ENTITIES)
    assert fast == slow
