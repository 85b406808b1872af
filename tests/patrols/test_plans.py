"""Patrol plans: set by the secretary; a window without a patrol that met the plan (long
enough, past its checkpoints) is missed once, told to the grid's members and listed on the
desk; an emergency switch adds plans of its own until it ends."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.patrols import plans
from tests.patrols.conftest import batch, walk
from tests.sync.test_pull import pull_all

MORNING = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Bijiang, a Wednesday


def plan_body(grid, **extra):
    return {
        "grid": grid.code,
        "every_hours": 24,
        "min_minutes": 30,
        "working_days_only": False,
        **extra,
    }


def walk_a_patrol(member, grid, points, minutes):
    patrol_id = str(uuid.uuid4())
    started = clock.now() - timedelta(minutes=minutes)
    body = {"id": patrol_id, "grid": grid.code, "device_time": started.isoformat()}
    assert member.post("/api/patrols", json=body).status_code == 200
    member.post(f"/api/patrols/{patrol_id}/track", json=batch(points, 1, started))
    return member.post(f"/api/patrols/{patrol_id}/end", json={}).get_json()


@pytest.mark.parametrize(
    ("who", "status"),
    [("secretary", 200), ("street_admin", 200), ("member", 403), ("outside_secretary", 403)],
)
def test_the_secretary_sets_a_grids_plan(cast, as_user, who, status):
    response = as_user(getattr(cast, who)).put("/api/patrols/plans", json=plan_body(cast.grid))
    assert response.status_code == status


def test_a_window_with_no_patrol_that_met_the_plan_is_missed_once(cast, as_user, frozen):
    frozen.at = MORNING
    secretary, member = as_user(cast.secretary), as_user(cast.member)
    points = walk(cast.grid, 200)
    checkpoint = {"name": "菜市场", "lat": points[150][0], "lng": points[150][1], "radius_m": 20}
    plan = secretary.put(
        "/api/patrols/plans", json=plan_body(cast.grid, checkpoints=[checkpoint])
    ).get_json()
    # Day 1: 40 minutes past the market: met. Day 2: 40 minutes, never near it. Day 3: none.
    frozen.move(minutes=40)
    day_one = walk_a_patrol(member, cast.grid, points, 40)
    assert day_one["checkpoints"][0]["passed_at"] is not None
    frozen.move(days=1)
    day_two = walk_a_patrol(member, cast.grid, points[:100], 40)
    assert day_two["checkpoints"] == [{"name": "菜市场", "passed_at": None}]
    frozen.move(days=2)
    assert plans.check_missed() == 2
    assert plans.check_missed() == 0  # judged once
    missed = secretary.get("/api/patrols/misses").get_json()
    assert [(m["plan_id"], m["grid"]["code"]) for m in missed] == [(plan["id"], cast.grid.code)] * 2
    starts = sorted(m["window_start"] for m in missed)
    assert starts == ["2026-12-02T16:00:00+00:00", "2026-12-03T16:00:00+00:00"]
    told = [m for m in member.get("/api/inbox").get_json() if m["kind"] == "patrol"]
    assert len(told) == 2
    assert as_user(cast.outside_secretary).get("/api/patrols/misses").get_json() == []


def test_a_patrol_too_short_does_not_meet_the_plan(cast, as_user, frozen):
    frozen.at = MORNING
    as_user(cast.secretary).put("/api/patrols/plans", json=plan_body(cast.grid))
    frozen.move(minutes=20)
    walk_a_patrol(as_user(cast.member), cast.grid, walk(cast.grid, 50), 20)
    frozen.move(days=1)
    assert plans.check_missed() == 1


def test_an_emergency_switch_adds_patrols_until_it_ends(cast, as_user):
    admin = as_user(cast.street_admin)
    switch = admin.post(
        "/api/emergency/switches",
        json={
            "kind": "flood",
            "level": "II",
            "reason": "锦江水位超警戒",
            "scope": {"level": "grid", "codes": [cast.grid.code]},
        },
    ).get_json()
    listed = as_user(cast.secretary).get("/api/patrols/plans").get_json()
    assert [(p["grid"]["code"], p["every_hours"], p["emergency_id"]) for p in listed] == [
        (cast.grid.code, 2, switch["id"])
    ]
    admin.post(f"/api/emergency/switches/{switch['id']}/end", json={})
    assert as_user(cast.secretary).get("/api/patrols/plans").get_json() == []


def test_a_members_phone_pulls_its_grids_plans_and_drops_a_stopped_one(cast, as_user, district):
    secretary, member = as_user(cast.secretary), as_user(cast.member)
    sibling = next(
        g for g in district["grid"] if g.parent_id == cast.community.id and g.id != cast.grid.id
    )
    checkpoints = [
        {"name": "菜市场", "lat": 27.72, "lng": 109.19, "radius_m": 20},
        {
            "name": "河堤",
            "polygon": [[109.19, 27.72], [109.191, 27.72], [109.19, 27.721], [109.19, 27.72]],
        },
    ]
    body = plan_body(cast.grid, checkpoints=checkpoints, ordered=True)
    plan = secretary.put("/api/patrols/plans", json=body).get_json()
    other = secretary.put("/api/patrols/plans", json=plan_body(sibling)).get_json()
    changes, cursor, _ = pull_all(member)  # the snapshot: my grid's plan, not my sibling's
    held = [c for c in changes if c["entity"] == "patrol_plan"]
    assert [(c["id"], c["op"]) for c in held] == [(str(plan["id"]), "put")]
    assert held[0]["data"]["checkpoints"] == [
        {**checkpoints[0]},
        {**checkpoints[1], "radius_m": 30},
    ]
    assert held[0]["data"]["ordered"] is True
    assert str(other["id"]) not in {c["id"] for c in held}
    desk = {c["id"] for c in pull_all(secretary)[0] if c["entity"] == "patrol_plan"}
    assert desk == {str(plan["id"]), str(other["id"])}
    # Changed, then stopped: the next pulls bring the change, then a tombstone.
    secretary.put("/api/patrols/plans", json={**body, "min_minutes": 45})
    changed, cursor, _ = pull_all(member, cursor)
    assert [c["data"]["min_minutes"] for c in changed if c["entity"] == "patrol_plan"] == [45]
    assert secretary.post(f"/api/patrols/plans/{plan['id']}/stop").status_code == 200
    stopped, _, _ = pull_all(member, cursor)
    assert [(c["op"], c["id"]) for c in stopped if c["entity"] == "patrol_plan"] == [
        ("del", str(plan["id"]))
    ]
    assert member.get(f"/api/patrols/plans/{plan['id']}").get_json()["active"] is False
