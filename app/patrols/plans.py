"""Patrol plans (巡查计划): how often each grid is walked, for how long, past which
checkpoints; the windows a plan missed (a reminder to the grid's members, a line on the
secretary's desk); and the plans an emergency switch adds until it ends."""

import json
from datetime import timedelta
from pathlib import Path

import shapely
from sqlalchemy import or_, select, true, update
from sqlalchemy.orm import joinedload

from app import clock, transaction
from app.catalogue import services as catalogue
from app.errors import Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.notify import services as inbox
from app.patrols.models import ENDED, Patrol, PatrolPlan, PlanMiss
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, GRID_MEMBER, TEAM_MEMBER, User, user_scope
from app.rules import require
from app.units.models import Unit

# A worker that was down for long judges at most this far back: a week of reminders at
# once helps nobody.
LOOKBACK = timedelta(days=7)

# Patrols an emergency switch adds in each grid it covers, by kind: every N hours by level.
EMERGENCY_PLANS = json.loads((Path(__file__).parent / "data" / "emergency_plans.json").read_text())


def checkpoint_shape(checkpoint):
    """A checkpoint's WGS-84 shape: its point, or its small polygon."""
    if "polygon" in checkpoint:
        return shapely.Polygon(checkpoint["polygon"])
    return shapely.Point(checkpoint["lng"], checkpoint["lat"])


def _local_midnight(moment):
    return clock.day_bounds(moment.astimezone(clock.zone()).date())[0]


def _grid(user, code):
    grid = db.session.execute(select(Unit).where(Unit.code == code)).scalar()
    if grid is None or grid.level != "grid":
        raise Invalid("No grid with that code.", fields={"grid": [code]})
    people.require_view(user, grid)
    require(people.manages(user, grid), "Patrol plans are set by the secretary.")
    return grid


def set_plan(user, body):
    """The grid's plan, made or changed (one per grid; an emergency's are apart). Windows
    count from the district's midnight of the day it is first set."""
    grid = _grid(user, body["grid"])
    plan = db.session.execute(
        select(PatrolPlan).where(
            PatrolPlan.grid_id == grid.id, PatrolPlan.active, PatrolPlan.emergency_id.is_(None)
        )
    ).scalar()
    now = clock.now()
    action = "change" if plan else "set"
    if plan is None:
        plan = PatrolPlan(
            grid_id=grid.id,
            community_id=grid.parent_id,
            active=True,
            anchor=_local_midnight(now),
            checked_until=now,
            created_by_id=user.id,
        )
        db.session.add(plan)
    for name in ("title", "every_hours", "min_minutes", "checkpoints", "ordered"):
        setattr(plan, name, body[name])
    plan.working_days_only = body["working_days_only"]
    plan.updated_at = now
    db.session.flush()
    record("patrol_plan", plan.id, action, user, data=_summary(plan), scope=_scope(plan))
    transaction.commit()
    return plan


def stop_plan(user, plan_id):
    plan = get_visible(user, plan_id)
    require(people.manages(user, plan.grid), "Patrol plans are set by the secretary.")
    if plan.active:
        plan.active, plan.updated_at = False, clock.now()
        record("patrol_plan", plan.id, "stop", user, scope=_scope(plan))
        transaction.commit()
    return plan


def _summary(plan):
    return {
        "every_hours": plan.every_hours,
        "min_minutes": plan.min_minutes,
        "checkpoints": len(plan.checkpoints or ()),
        "ordered": plan.ordered,
    }


def _scope(plan):
    return plan.grid_id, plan.community_id


def visible(user, plan):
    """A phone holds the active plans of the grids its user may see (the sync entity
    `patrol_plan`): a stopped plan is a tombstone."""
    return plan.active and people.can_view(user, plan.grid)


def get_visible(user, plan_id):
    plan = db.session.get(PatrolPlan, plan_id)
    if plan is None or not people.can_view(user, plan.grid):
        raise NotFound("No such patrol plan.", fields={"id": [plan_id]})
    return plan


SHOWN_WITH = (joinedload(PatrolPlan.grid),)


def _in_areas(user):
    """The plans of the user's areas, as SQL (a snapshot's page is cut in the database)."""
    if user.role == DISTRICT_ADMIN:
        return true()
    within = []
    for area in people.areas(user):
        if area.level == "grid":
            within.append(PatrolPlan.grid_id == area.id)
        elif area.level == "community":
            within.append(PatrolPlan.community_id == area.id)
        elif area.level == "street":
            within.append(
                PatrolPlan.community_id.in_(select(Unit.id).where(Unit.parent_id == area.id))
            )
        else:
            return true()
    return or_(*within) if within else PatrolPlan.id.is_(None)


def listing(user, grid_code=None):
    query = select(PatrolPlan).options(*SHOWN_WITH).where(PatrolPlan.active, _in_areas(user))
    if grid_code:
        query = query.join(Unit, Unit.id == PatrolPlan.grid_id).where(Unit.code == grid_code)
    found = db.session.execute(query.order_by(PatrolPlan.id)).scalars()
    return [p for p in found if visible(user, p)]


def snapshot(user, after_id, since, limit):
    """A first sync's plans: the active ones of the user's areas, in id order (`since` does
    not apply: a plan set a year ago is walked today)."""
    query = select(PatrolPlan).options(*SHOWN_WITH)
    query = query.where(PatrolPlan.active, _in_areas(user), PatrolPlan.id > int(after_id or 0))
    return db.session.execute(query.order_by(PatrolPlan.id).limit(limit)).scalars().all()


def present(user, plans):
    """Plans as PatrolPlanOut dumps them: a plan is shown as it is kept."""
    return list(plans)


# -- windows missed ----------------------------------------------------------------------------


def _met(plan, start, end):
    """Whether a patrol of the plan's grid started in [start, end) and met the plan: long
    enough and, for the plan's own patrols, past every checkpoint (in order if it asks)."""
    query = select(Patrol).where(
        Patrol.grid_id == plan.grid_id,
        Patrol.started_at >= start,
        Patrol.started_at < end,
        Patrol.duration_s >= plan.min_minutes * 60,
    )
    for patrol in db.session.execute(query).scalars():
        if not plan.checkpoints:
            return True
        if patrol.plan_id == plan.id and all(c["passed_at"] for c in patrol.checkpoints or ()):
            if not plan.ordered or patrol.in_order:
                return True
    return False


def _running(plan, start, end):
    """A patrol still running (or not yet ended) in the window may yet meet it."""
    return (
        db.session.execute(
            select(Patrol.id).where(
                Patrol.grid_id == plan.grid_id,
                Patrol.state != ENDED,
                Patrol.started_at >= start,
                Patrol.started_at < end,
            )
        ).first()
        is not None
    )


def check_missed(now=None):
    """Judge every plan's windows that closed since it was last judged: a window with no
    patrol that met it is a miss (once: unique by plan and window), told to the grid's
    members. The number of misses. The worker's job."""
    now = now or clock.now()
    calendar = catalogue.calendar()
    missed = 0
    for plan in db.session.execute(select(PatrolPlan).where(PatrolPlan.active)).scalars():
        step = timedelta(hours=plan.every_hours)
        since = max(plan.checked_until, now - LOOKBACK)
        # The first window ending after `since`.
        k = max(0, int((since - plan.anchor) / step))
        start = plan.anchor + k * step
        judged = plan.checked_until
        while start + step <= now:
            end = start + step
            if end > since:
                if _running(plan, start, end):
                    break  # judged when it ends
                working = not plan.working_days_only or calendar.is_working_day(
                    start.astimezone(clock.zone()).date()
                )
                if working and not _met(plan, start, end):
                    missed += _miss(plan, start, end)
            judged = end
            start = end
        plan.checked_until = max(judged, plan.checked_until)
    transaction.commit()
    return missed


def _miss(plan, start, end):
    exists = db.session.execute(
        select(PlanMiss.id).where(PlanMiss.plan_id == plan.id, PlanMiss.window_start == start)
    ).first()
    if exists:
        return 0
    db.session.add(
        PlanMiss(
            plan_id=plan.id,
            grid_id=plan.grid_id,
            community_id=plan.community_id,
            window_start=start,
            window_end=end,
        )
    )
    record(
        "patrol_plan",
        plan.id,
        "missed",
        None,
        scope=_scope(plan),
        data={"window_start": start.isoformat(), "window_end": end.isoformat()},
    )
    members = select(User.id).where(
        User.active,
        User.role.in_((GRID_MEMBER, TEAM_MEMBER)),
        User.id.in_(select(user_scope.c.user_id).where(user_scope.c.unit_id == plan.grid_id)),
    )
    grid = db.session.get(Unit, plan.grid_id)
    inbox.deliver(
        members,
        "patrol",
        f"{grid.name}未按计划巡查",
        f"{plan.title}：{clock.told(start)} 至 {clock.told(end)} 没有达标的巡查。",
        "patrol_plan",
        plan.id,
    )
    return 1


def misses(user, community_code=None, since=None):
    """The windows missed in the user's area (the secretary's desk), newest first."""
    query = select(PlanMiss).join(Unit, Unit.id == PlanMiss.grid_id)
    if since is not None:
        query = query.where(PlanMiss.window_end >= since)
    if community_code:
        query = query.where(Unit.code.startswith(community_code))
    query = query.order_by(PlanMiss.window_end.desc(), PlanMiss.id).limit(200)
    found = db.session.execute(query).scalars().all()
    return [m for m in found if people.can_view(user, db.session.get(Unit, m.grid_id))]


# -- emergencies -------------------------------------------------------------------------------


def for_emergency(user, switch, grids, level):
    """The patrols a switch of this kind adds in every grid it covers (e.g. every 2 hours
    along the river in a flood at level II), counted from its start, until it ends."""
    spec = EMERGENCY_PLANS.get(switch.kind)
    if not spec:
        return 0
    now = clock.now()
    plans = [
        PatrolPlan(
            grid_id=grid_id,
            community_id=community_id,
            title=spec["title"],
            every_hours=spec["every_hours"][level],
            min_minutes=spec["min_minutes"],
            checkpoints=[],
            ordered=False,
            working_days_only=False,
            emergency_id=switch.id,
            active=True,
            anchor=now,
            checked_until=now,
            created_by_id=user.id,
            updated_at=now,
        )
        for grid_id, _, community_id, _ in grids
    ]
    db.session.add_all(plans)
    db.session.flush()
    for plan in plans:
        record("patrol_plan", plan.id, "set", user, data=_summary(plan), scope=_scope(plan))
    return len(plans)


def end_emergency(user, switch_id):
    """The switch's plans stop with it."""
    ids = (
        db.session.execute(
            select(PatrolPlan.id).where(PatrolPlan.emergency_id == switch_id, PatrolPlan.active)
        )
        .scalars()
        .all()
    )
    if ids:
        db.session.execute(
            update(PatrolPlan)
            .where(PatrolPlan.id.in_(ids))
            .values(active=False, updated_at=clock.now())
        )
        for plan_id in ids:
            record("patrol_plan", plan_id, "stop", user)
    return len(ids)


register_scope("patrol_plan", lambda plan_id: _scope(db.session.get(PatrolPlan, int(plan_id))))
