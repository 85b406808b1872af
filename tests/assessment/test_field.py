"""The field's indicators against numbers worked out by hand on the tiny map: patrols (time,
coverage, plans met, windows missed), visits against their plans, 民情日志 days, 微心愿 by the
day fulfilled and confirmed volunteer hours; each figure opens its records (穿透)."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.assessment import facts, ranking
from app.history.services import record
from app.patrols.models import ENDED, Patrol, PatrolPlan, PlanMiss
from tests.tasks.conftest import jsonable, photo_ref
from tests.volunteering.conftest import activity_body
from tests.wishes.conftest import ok, wish_body

TZ = ZoneInfo("Asia/Shanghai")


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=TZ)


def row(key, level, unit_id):
    return next(r for r in ranking.compute(key)["levels"][level] if r["id"] == unit_id)


def behind(user, key, level, unit_id, indicator, side="num"):
    rows = ranking.drill(user, key, level, unit_id, indicator, side)
    return sorted((r["id"], r["value"]) for r in rows)


def test_patrols_time_coverage_plans_met_and_windows_missed(crowd, frozen, db):
    grid, member = crowd.place.grid, crowd.member
    frozen.at = at(3, 1, 8)
    plan = PatrolPlan(
        grid_id=grid.id, community_id=grid.parent_id, title="每日巡查", every_hours=24,
        min_minutes=30, checkpoints=[{"name": "路口", "lat": 0, "lng": 0}], ordered=False,
        anchor=at(3, 1, 0), checked_until=at(3, 1, 0), created_by_id=crowd.secretary.id,
        updated_at=frozen.at,
    )  # fmt: skip
    db.session.add(plan)
    db.session.flush()
    passed = [{"name": "路口", "passed_at": at(3, 2).isoformat()}]

    def patrol(day, minutes, coverage, plan_id=None, checkpoints=None, state=ENDED):
        p = Patrol(
            id=str(uuid.uuid4()), member_id=member.id, grid_id=grid.id,
            community_id=grid.parent_id, plan_id=plan_id, state=state, started_at=at(3, day),
            ended_at=at(3, day) + timedelta(minutes=minutes), duration_s=minutes * 60,
            coverage=coverage, checkpoints=checkpoints, updated_at=frozen.at,
        )  # fmt: skip
        db.session.add(p)
        record("patrol", p.id, "end", member)
        return p.id

    a = patrol(2, 90, 0.5, plan.id, passed)  # met the plan: 90 min, past its checkpoint
    b = patrol(3, 20, 0.3, plan.id, passed)  # too short for the plan
    c = patrol(4, 60, None)  # no plan; coverage not yet computed
    patrol(5, 30, 0.9, state="active")  # still running: counts when it ends
    miss = PlanMiss(
        plan_id=plan.id, grid_id=grid.id, community_id=grid.parent_id,
        window_start=at(3, 6, 0), window_end=at(3, 7, 0),
    )  # fmt: skip
    db.session.add(miss)
    db.session.flush()
    record("patrol_plan", plan.id, "missed", None)
    db.session.commit()
    frozen.at = at(3, 10)
    facts.refresh()

    figures = row("2026-03", "grid", grid.id)["indicators"]
    assert figures["patrol_hours"] == pytest.approx((90 + 20 + 60) / 60)
    assert figures["patrol_coverage"] == pytest.approx((0.5 + 0.3) / 2)
    assert figures["patrol_plan_met"] == pytest.approx(1 / 2)
    assert figures["patrol_windows_missed"] == 1.0
    secretary = crowd.secretary
    assert behind(secretary, "2026-03", "grid", grid.id, "patrol_plan_met", "den") == sorted(
        [(a, 1.0), (b, 1.0)]
    )
    assert behind(secretary, "2026-03", "grid", grid.id, "patrol_hours") == sorted(
        [(a, 1.5), (b, pytest.approx(1 / 3)), (c, 1.0)]
    )
    [(missed, _)] = behind(secretary, "2026-03", "grid", grid.id, "patrol_windows_missed")
    assert missed.endswith(f":{miss.id}")
    mine = ranking.person_figures("2026-03", member.id)
    assert mine["patrol_hours"] == pytest.approx(170 / 60)
    # The community's figure holds its grids'.
    assert row("2026-03", "community", grid.parent_id)["indicators"]["patrol_windows_missed"] == 1.0


def test_visits_against_their_plans(crowd, as_user, frozen):
    """独居老人 every 30 days, every household every 182: visits on 3-02 (the first), 3-20
    (18 days on) and 4-25 (36 days on: late for the 独居老人)."""
    member = as_user(crowd.member)
    frozen.at = at(3, 1)
    household = ok(
        member.post(
            "/api/households",
            json={
                "grid": crowd.place.grid.code,
                "address": "锦江路12号",
                "members": [{"name": "杨秀英", "relationship": "head", "tags": ["elderly_alone"]}],
            },
        ),
        201,
    )
    elder = household["members"][0]["id"]

    def visit(when):
        frozen.at = when
        body = {
            "id": str(uuid.uuid4()),
            "household": household["id"],
            "met": [elder],
            "note": "身体尚好",
            "forms": {elder: {"health": "good"}},
        }
        return ok(member.post("/api/visits", json=body), 201)["id"]

    first, second, late = visit(at(3, 2)), visit(at(3, 20)), visit(at(4, 25))
    frozen.at = at(4, 28)
    facts.refresh()
    grid = crowd.place.grid.id
    march, april = row("2026-03", "grid", grid), row("2026-04", "grid", grid)
    assert (march["indicators"]["visits"], march["indicators"]["visit_on_plan"]) == (2.0, 1.0)
    assert (april["indicators"]["visits"], april["indicators"]["visit_on_plan"]) == (1.0, 0.0)
    assert behind(crowd.secretary, "2026-03", "grid", grid, "visit_on_plan") == sorted(
        [(first, 1.0), (second, 1.0)]
    )
    assert behind(crowd.secretary, "2026-04", "grid", grid, "visit_on_plan", "den") == [(late, 1.0)]
    assert ranking.person_figures("2026-04", crowd.member.id)["visits"] == 1.0


def test_journal_days_wishes_by_the_day_fulfilled_and_confirmed_hours(crowd, as_user, frozen):
    member, secretary, party = as_user(crowd.member), as_user(crowd.secretary), as_user(crowd.party)
    grid, community = crowd.place.grid.id, crowd.place.community.id
    # 民情日志: two days of March, one written over (still one day).
    entries = []
    for day in (2, 3, 3):
        frozen.at = at(3, day, 20)
        body = {"id": str(uuid.uuid4()), "day": f"2026-03-0{day}", "problems": "路灯坏",
                "measures": "报修", "results": "已修"}  # fmt: skip
        entries.append(ok(member.post("/api/journal", json=body))["id"])
    # A wish recorded in March, fulfilled (confirmed) on April 2: it counts in April.
    frozen.at = at(3, 28)
    wish = ok(member.post("/api/wishes", json=wish_body(crowd.place.grid)), 201)["id"]
    ok(secretary.post(f"/api/wishes/{wish}/verify", json={"passed": True}))
    ok(party.post(f"/api/wishes/{wish}/claim", json={}))
    frozen.at = at(4, 1, 16)
    ok(party.post(f"/api/wishes/{wish}/fulfil", json={"photos": [photo_ref()]}))
    frozen.at = at(4, 2, 9)  # the district's April 2nd
    ok(member.post(f"/api/wishes/{wish}/confirm", json={}))
    # Volunteering on March 10: 2.5 hours checked out; confirmed as 2 by the organiser.
    frozen.at = at(3, 10, 8)
    activity = ok(
        secretary.post("/api/activities", json=jsonable(activity_body(crowd.place.community))),
        201,
    )
    url = f"/api/activities/{activity['id']}"
    ok(party.post(f"{url}/sign-up", json={}))
    ok(member.post(f"{url}/sign-up", json={}))
    frozen.at = at(3, 10, 9)
    near = {"lat": activity["lat"], "lng": activity["lng"]}
    ok(party.post(f"{url}/check-in", json=near))
    ok(member.post(f"{url}/check-in", json=near))
    frozen.at = at(3, 10, 11) + timedelta(minutes=30)
    ok(party.post(f"{url}/check-out", json={}))
    ok(member.post(f"{url}/check-out", json={}))  # checked out, never confirmed
    ok(secretary.post(f"{url}/confirm", json={"user_id": crowd.party.id, "hours": 2}))
    frozen.at = at(4, 5)
    facts.refresh()

    march, april = row("2026-03", "grid", grid), row("2026-04", "grid", grid)
    assert march["indicators"]["journal_days"] == 2.0
    assert (march["indicators"]["wishes_fulfilled"], april["indicators"]["wishes_fulfilled"]) == (
        0.0,
        1.0,
    )
    assert behind(crowd.secretary, "2026-04", "grid", grid, "wishes_fulfilled") == [(wish, 1.0)]
    assert ranking.person_figures("2026-04", crowd.party.id)["wishes_fulfilled"] == 1.0
    assert ranking.person_figures("2026-03", crowd.member.id)["journal_days"] == 2.0
    # Hours count for the activity's community (and so its street), and for the volunteer.
    assert row("2026-03", "community", community)["indicators"]["volunteer_hours"] == 2.0
    assert ranking.person_figures("2026-03", crowd.party.id)["volunteer_hours"] == 2.0
    assert ranking.person_figures("2026-03", crowd.member.id).get("volunteer_hours", 0) == 0
    assert behind(crowd.secretary, "2026-03", "community", community, "volunteer_hours") == [
        (f"{activity['id']}:{crowd.party.id}", 2.0)
    ]
    days = behind(crowd.secretary, "2026-03", "grid", grid, "journal_days")
    assert [entry for entry, _ in days] == sorted(set(entries))
