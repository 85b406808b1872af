"""Facts of the field's work beside the cases: patrols (time, coverage, plans met, windows
missed), household visits against their plans, 民情日志 days, 微心愿 fulfilled and volunteers'
confirmed hours. Each is read from its domain's rows when its history grows, like the cases
(app/assessment/facts.py), and counts on its own day:

- a patrol on the day it started, once it has ended; for its grid and its member;
- a window of a patrol plan that passed without a patrol meeting it, on the day it began;
- a visit on the day it was made, for its grid and its visitor; on plan when it came within
  its plans' days of the visit before it (the household's plan, and each tagged person met:
  the most frequent of their tags' plans); a first visit is on plan;
- a 民情日志 entry on its day, for its grid and its member;
- a wish on the day it was fulfilled (as the district counts "8,000余件"), for its grid and
  its claimant;
- a volunteer's confirmed hours on the day the activity started, for its community and the
  volunteer."""

from datetime import timedelta

from sqlalchemy import select

from app.assessment.facts import Record, loader, measures
from app.assessment.models import PERSON, UNIT
from app.assessment.periods import day_of, zone
from app.extensions import db
from app.households.models import HouseholdMember
from app.journal.models import JournalEntry
from app.party import models as _party  # noqa: F401 (a wish's claim names its joint unit)
from app.patrols.models import ENDED, Patrol, PatrolPlan, PlanMiss
from app.visits.models import Visit
from app.visits.plans import HOUSEHOLD, plans
from app.volunteering.models import Activity, SignUp
from app.wishes.models import FULFILLED, Wish, WishClaim

# -- patrols ---------------------------------------------------------------------------------


@loader("patrol", "patrol")
def _patrols(ids, now):
    tz = zone()
    rows = db.session.execute(
        select(Patrol, PatrolPlan)
        .outerjoin(PatrolPlan, PatrolPlan.id == Patrol.plan_id)
        .where(Patrol.id.in_(ids), Patrol.state == ENDED)
    )
    for patrol, plan in rows:
        subjects = [(UNIT, patrol.grid_id), (PERSON, patrol.member_id)]
        found = {"patrol": patrol, "plan": plan}
        yield Record("patrol", patrol.id, day_of(patrol.started_at, tz), subjects, found)


def met_plan(patrol, plan):
    """A patrol of a plan met it: long enough and past every checkpoint (in order if the
    plan asks), as the plan's windows are judged (app/patrols/plans.py)."""
    if patrol.duration_s < plan.min_minutes * 60:
        return False
    if not plan.checkpoints:
        return True
    passed = all(c.get("passed_at") for c in patrol.checkpoints or ())
    return passed and (not plan.ordered or bool(patrol.in_order))


@measures("patrol")
def patrol_work(record):
    patrol, plan = record.facts["patrol"], record.facts["plan"]
    out = {"patrols": 1, "patrol_h": patrol.duration_s / 3600}
    if patrol.coverage is not None:
        out["coverage_sum"], out["coverage_n"] = patrol.coverage, 1
    if plan is not None:
        out["plan_patrols"], out["plan_met"] = 1, met_plan(patrol, plan)
    return out


# A window missed: entity "plan_miss", id "<plan id, 9 digits>:<miss id>", rebuilt with its
# plan whenever the plan's history grows (a miss is written with an entry of its plan).
PLAN_DIGITS = 9


@loader("plan_miss", "patrol_plan", prefix=lambda plan_id: f"{int(plan_id):0{PLAN_DIGITS}d}")
def _plan_misses(plan_ids, now):
    tz = zone()
    ids = [int(i) for i in plan_ids]
    for miss in db.session.execute(select(PlanMiss).where(PlanMiss.plan_id.in_(ids))).scalars():
        yield Record(
            "plan_miss",
            f"{miss.plan_id:0{PLAN_DIGITS}d}:{miss.id}",
            day_of(miss.window_start, tz),
            [(UNIT, miss.grid_id)],
            {},
        )


@measures("plan_miss")
def plan_missed(record):
    return {"plan_missed": 1}


# -- visits ----------------------------------------------------------------------------------


@loader("visit", "visit")
def _visits(ids, now):
    tz = zone()
    current = plans()
    every_household = current.by_tag.get(HOUSEHOLD)
    visits = db.session.execute(select(Visit).where(Visit.id.in_(ids))).scalars().all()
    households = {v.household_id for v in visits}
    before = {}  # household → [(at, met)], every visit of it
    for household_id, at, met in db.session.execute(
        select(Visit.household_id, Visit.at, Visit.met).where(Visit.household_id.in_(households))
    ):
        before.setdefault(household_id, []).append((at, set(met or ())))
    met_ids = {m for v in visits for m in v.met or ()}
    tags = dict(
        db.session.execute(
            select(HouseholdMember.id, HouseholdMember.tags).where(HouseholdMember.id.in_(met_ids))
        ).all()
    )
    for visit in visits:
        earlier = [(at, met) for at, met in before.get(visit.household_id, ()) if at < visit.at]
        on_plan = True
        if every_household and earlier:
            last = max(at for at, _ in earlier)
            on_plan = visit.at <= last + timedelta(days=every_household.every_days)
        for member in visit.met or ():
            tagged = current.of(tags.get(member) or ())
            seen = [at for at, met in earlier if member in met]
            if tagged and seen:
                days = min(plan.every_days for plan in tagged)
                on_plan = on_plan and visit.at <= max(seen) + timedelta(days=days)
        subjects = [(UNIT, visit.grid_id), (PERSON, visit.visitor_id)]
        yield Record("visit", visit.id, day_of(visit.at, tz), subjects, {"on_plan": on_plan})


@measures("visit")
def visit_work(record):
    return {"visits": 1, "visit_on_plan": record.facts["on_plan"]}


# -- 民情日志 ------------------------------------------------------------------------------------


@loader("journal", "journal")
def _journal(ids, now):
    for entry in db.session.execute(select(JournalEntry).where(JournalEntry.id.in_(ids))).scalars():
        subjects = [(PERSON, entry.member_id)]
        if entry.grid_id:
            subjects.append((UNIT, entry.grid_id))
        yield Record("journal", entry.id, entry.day, subjects, {})


@measures("journal")
def journal_day(record):
    return {"journal_days": 1}


# -- 微心愿 --------------------------------------------------------------------------------------


@loader("wish", "wish")
def _wishes(ids, now):
    tz = zone()
    for wish, claimant in db.session.execute(
        select(Wish, WishClaim.user_id)
        .outerjoin(WishClaim, (WishClaim.wish_id == Wish.id) & WishClaim.live)
        .where(Wish.id.in_(ids), Wish.state == FULFILLED, Wish.fulfilled_at.is_not(None))
    ):
        subjects = [(UNIT, wish.grid_id)] + ([(PERSON, claimant)] if claimant else [])
        yield Record("wish", wish.id, day_of(wish.fulfilled_at, tz), subjects, {})


@measures("wish")
def wish_fulfilled(record):
    return {"wishes_fulfilled": 1}


# -- volunteering: each person's sign-up, "<activity id>:<person id>" --------------------------


@loader("signup", "activity", prefix=str)
def _sign_ups(activity_ids, now):
    tz = zone()
    for person, activity in db.session.execute(
        select(SignUp, Activity)
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(
            SignUp.activity_id.in_(activity_ids),
            SignUp.live,
            SignUp.confirmed_at.is_not(None),
            SignUp.hours.is_not(None),
        )
    ):
        yield Record(
            "signup",
            f"{activity.id}:{person.user_id}",
            day_of(activity.starts_at, tz),
            [(PERSON, person.user_id), (UNIT, activity.community_id)],
            {"hours": person.hours},
        )


@measures("signup")
def volunteer_hours(record):
    return {"volunteer_h": record.facts["hours"]}
