"""Generated history for the assessment: cases through their whole flow (most closed, some
rejected, reworked, extended, supervised, visited or still open), tasks and monthly
roll-calls, written straight into the tables (COPY on PostgreSQL). The demo's months of
考核 (`seed`) and the bench's year (bench/assessment.py) are made by it."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

TZ = ZoneInfo("Asia/Shanghai")
SOURCES = (
    ("member", 60),
    ("patrol", 10),
    ("resident", 15),
    ("hotline_12345", 10),
    ("department", 5),
)


def working_moment(rng, day):
    """A moment of a working day's hours (8:30-12:00, 14:30-18:00), on the district's clock."""
    minute = rng.randrange(7 * 60)
    start = (8, 30) if minute < 210 else (14, 30)
    minute = minute if minute < 210 else minute - 210
    local = datetime(day.year, day.month, day.day, *start, tzinfo=TZ) + timedelta(minutes=minute)
    return local.astimezone(UTC)


def bulk(connection, table, rows):
    """Rows (dicts of one table) into the database: COPY on PostgreSQL, executemany else."""
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(v) if isinstance(v, dict) else v for v in (row[c] for c in columns)]
                )


def _flow(rng, at, reporter, manager, handler):
    """One case's history, [(action, actor, from state, to state, data, at)], and its state:
    most are closed, some rejected, reworked, extended, supervised, visited or still open."""
    entries, state = [("report", reporter, None, "reported", None, at)], "reported"

    def step(action, actor, to_state=None, data=None, hours=1.0):
        nonlocal at, state
        at = at + timedelta(hours=hours * rng.uniform(0.5, 2))
        entries.append((action, actor, state if to_state else None, to_state, data, at))
        state = to_state or state

    roll = rng.random()
    if roll < 0.05:
        step("reject", manager, "rejected")
    elif roll < 0.97:  # 3% wait to be accepted or dispatched at the year's end
        step("accept", manager, "accepted")
        given = {"deadline": (at + timedelta(days=3)).isoformat()} if rng.random() < 0.5 else {}
        step("dispatch", manager, "dispatched", {"assignee": handler, **given})
        if rng.random() < 0.05:
            later = {"from": at.isoformat(), "to": (at + timedelta(days=7)).isoformat()}
            step("extend", manager, None, later)
        if rng.random() < 0.03:
            step("supervise", manager)
        if rng.random() < 0.94:
            step("handle", handler, "handled", hours=rng.choice((2, 6, 12, 30)))
            if rng.random() < 0.1:
                step("rework", manager, "dispatched")
                step("handle", handler, "handled", hours=8)
            if rng.random() < 0.97:
                step("check", manager, "closed")
                if rng.random() < 0.3:
                    verdict = rng.choices(
                        ("satisfied", "basically_satisfied", "dissatisfied"), (70, 22, 8)
                    )[0]
                    step("return_visit", manager, None, {"reached": True, "verdict": verdict})
    return entries, state


def generate(incidents, days, seed=7, within=""):
    """The district's work over these days (datetimes, the district's), in the app
    context's database: `incidents` cases reported on their working days with their history
    (about 5 entries each), a task per ten cases, a roll-call on the 10th of each month.
    With `within`, only the grids whose codes begin so. Returns what was made, counted."""
    from app.catalogue import services as catalogue
    from app.emergency.models import RollCall, RollCallPerson
    from app.extensions import db
    from app.history.models import HistoryEntry
    from app.incidents.models import Incident
    from app.people.models import User, user_scope
    from app.tasks.models import Task
    from app.units.models import Unit

    rng = random.Random(seed)
    calendar = catalogue.calendar()
    grids = db.session.execute(
        select(Unit.id, Unit.parent_id)
        .where(Unit.level == "grid", Unit.code.startswith(within))
        .order_by(Unit.code)
    ).all()
    streets = dict(
        db.session.execute(select(Unit.id, Unit.parent_id).where(Unit.level == "community")).all()
    )
    people = db.session.execute(select(User.id, User.role)).all()
    members = [p.id for p in people if p.role in ("grid_member", "team_member")]
    if within:  # those who serve these grids
        members = (
            db.session.execute(
                select(user_scope.c.user_id)
                .join(Unit, Unit.id == user_scope.c.unit_id)
                .where(Unit.code.startswith(within), user_scope.c.user_id.in_(members))
                .distinct()
            )
            .scalars()
            .all()
        )
    members = sorted(members) or [people[0].id]
    manager = next(p.id for p in people if p.role in ("secretary", "district_admin"))
    working = [d for d in days if calendar.is_working_day(d.date())]
    weights = [w for _, w in SOURCES]
    cases, history, tasks = [], [], []
    connection = db.session.connection()
    for _ in range(incidents):
        grid = rng.choice(grids)
        community = grid.parent_id
        case = str(uuid.uuid4())
        reporter, handler = rng.choice(members), rng.choice(members)
        at = working_moment(rng, rng.choice(working))
        entries, state = _flow(rng, at, reporter, manager, handler)
        at = entries[-1][5]
        cases.append(
            {
                "id": case,
                "category_code": "clutter_piling",
                "urgent": False,
                "description": "生成的案件",
                "lat": 27.7,
                "lng": 109.2,
                "grid_id": grid.id,
                "community_id": community,
                "street_id": streets.get(community, community),
                "reporter_id": reporter,
                "assignee_id": handler
                if state not in ("reported", "rejected", "accepted")
                else None,
                "state": state,
                "source": rng.choices([s for s, _ in SOURCES], weights)[0],
                "self_handled": False,
                "escalation": 0,
                "rework_count": sum(1 for e in entries if e[0] == "rework"),
                "supervised": any(e[0] == "supervise" for e in entries),
                "reported_at": entries[0][5],
                "updated_at": at,
            }
        )
        for action, actor, from_state, to_state, data, when in entries:
            history.append(
                {
                    "entity": "incident",
                    "entity_id": case,
                    "action": action,
                    "actor_id": actor,
                    "actor_role": "secretary" if actor == manager else "grid_member",
                    "from_state": from_state,
                    "to_state": to_state,
                    "note": None,
                    "data": data,
                    "at": when,
                    "grid_id": grid.id,
                    "community_id": community,
                }
            )
        if len(cases) % 10 == 0:
            deadline = entries[0][5] + timedelta(days=3)
            done = rng.random() < 0.85
            task = str(uuid.uuid4())
            tasks.append(
                {
                    "id": task,
                    "title": "生成的任务",
                    "kind": "routine",
                    "community_id": community,
                    "grid_id": grid.id,
                    "target": "完成",
                    "capacity": 1,
                    "claimed": 0,
                    "responsible_id": manager,
                    "deadline": deadline,
                    "state": "verified" if done else "open",
                    "created_by_id": manager,
                    "created_at": entries[0][5],
                    "updated_at": deadline,
                }
            )
            if done:
                finished = entries[0][5] + timedelta(days=rng.uniform(0.5, 4))
                for action, when in (
                    ("complete", finished),
                    ("verify", finished + timedelta(hours=2)),
                ):
                    history.append(
                        {**history[-1], "entity": "task", "entity_id": task, "action": action,
                         "actor_id": handler, "from_state": None, "to_state": None, "data": None,
                         "at": when}
                    )  # fmt: skip
    bulk(connection, Incident.__table__, cases)
    bulk(connection, Task.__table__, tasks)
    bulk(connection, HistoryEntry.__table__, history)
    calls = persons = 0
    for year, month in sorted({(d.year, d.month) for d in days}):
        call = str(uuid.uuid4())
        at = working_moment(rng, datetime(year, month, 10))
        connection.execute(
            insert(RollCall.__table__),
            [{"id": call, "message": "月度叫应", "drill": False, "created_by_id": manager,
              "created_at": at, "escalate_after_min": 10, "issues": 1, "last_issued_at": at}],
        )  # fmt: skip
        asked = [
            {"roll_call_id": call, "user_id": m, "grid_id": g.id, "community_id": g.parent_id,
             "street_id": streets.get(g.parent_id),
             "acknowledged_at": at + timedelta(minutes=rng.expovariate(1 / 6))
             if rng.random() < 0.93 else None}
            for m, g in zip(members, (rng.choice(grids) for _ in members), strict=False)
        ]  # fmt: skip
        bulk(connection, RollCallPerson.__table__, asked)
        connection.execute(
            insert(HistoryEntry.__table__),
            [{"entity": "rollcall", "entity_id": call, "action": "issue", "actor_id": manager,
              "actor_role": "district_admin", "at": at}],
        )  # fmt: skip
        calls, persons = calls + 1, persons + len(asked)
    db.session.commit()
    return {
        "incidents": len(cases),
        "history": len(history) + calls,
        "tasks": len(tasks),
        "roll_calls": calls,
        "asked": persons,
    }


def seed(months=3, incidents=600, seed=42):
    """考核 with numbers, into the demo district just loaded (app/demo.py): `incidents` cases
    of the first community's grids (the demo secretary's: enough for them to be ranked; the
    rest of the district shows 样本不足) over the last `months` whole months and this one up
    to a week ago, their facts built; the month before last published, last month open for
    appeal with one appeal filed by the community's secretary. Returns the periods' keys."""
    from app import clock
    from app.assessment import facts, ranking
    from app.assessment.models import Period
    from app.extensions import db
    from app.people.models import DISTRICT_ADMIN, SECRETARY, User, user_scope
    from app.units.models import Unit

    now = clock.now().astimezone(TZ)
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    index = this_month.year * 12 + this_month.month - 1 - months
    first = datetime(index // 12, index % 12 + 1, 1)
    last = now.replace(tzinfo=None) - timedelta(days=7)
    community = db.session.execute(
        select(Unit.code).where(Unit.level == "community").order_by(Unit.code)
    ).scalar()
    days = [first + timedelta(n) for n in range((last - first).days)]
    generate(incidents, days, seed, within=community)
    facts.refresh()

    def month_key(back):
        n = this_month.year * 12 + this_month.month - 1 - back
        return f"{n // 12}-{n % 12 + 1:02d}"

    published, open_key = month_key(2), month_key(1)
    district = db.session.execute(
        select(User).where(User.role == DISTRICT_ADMIN).order_by(User.id)
    ).scalar()
    ranking.open_appeals(district, published)
    db.session.execute(
        select(Period).where(Period.key == published)
    ).scalar().appeal_until = clock.now()  # the demo's window has closed
    ranking.publish(district, published)
    opened = ranking.open_appeals(district, open_key)
    grid = next(
        r
        for r in opened.result["levels"]["grid"]
        if r["ranked"] and r["indicators"]["overdue_rate"]
    )
    secretary = db.session.execute(
        select(User)
        .join(user_scope, user_scope.c.user_id == User.id)
        .join(Unit, Unit.id == user_scope.c.unit_id)
        .where(User.role == SECRETARY, Unit.code == grid["parent"])
        .order_by(User.id)
    ).scalar()
    overdue = ranking.drill(district, open_key, "grid", grid["id"], "overdue_rate")
    ranking.file_appeal(
        secretary,
        open_key,
        "grid",
        grid["id"],
        "on_time_close_rate",
        [o["id"] for o in overdue[:2]],
        "两件超期系暴雨期间道路中断所致，申请剔除",
    )
    return {"published": published, "appeal": open_key}
