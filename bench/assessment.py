"""The assessment bench (PostGIS): a generated year of the demo district (by default 250,000
incidents with their whole history, tasks and roll-calls, written with COPY), then

- the facts of the whole year built from the history (the worker's first run);
- a month's indicators and ranking for every unit from the history: that month's entities'
  facts rebuilt, then its ranking (target < 10 s);
- the ranking page from the facts: GET /api/assessment/periods/2026-03?level=grid (target < 300 ms);
- the year's Excel export, every case counted on its own line (target < 60 s).

    .venv/bin/python -m bench.assessment [--url URL] [--incidents N] [--members N]

The URL (default BENCH_DATABASE_URL, else TEST_DATABASE_URL) is wiped. Not part of `make
bench`'s default run, nor of `make test` (tests/bench/test_assessment_bench.py runs the
generator and the measures at a tiny size)."""

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
TARGETS = {"month_s": 10.0, "ranking_ms": 300.0, "year_xlsx_s": 60.0}
HISTORY_COLUMNS = (
    "entity",
    "entity_id",
    "action",
    "actor_id",
    "actor_role",
    "from_state",
    "to_state",
    "note",
    "data",
    "at",
    "grid_id",
    "community_id",
)
SOURCES = (
    ("member", 60),
    ("patrol", 10),
    ("resident", 15),
    ("hotline_12345", 10),
    ("department", 5),
)


def _working_moment(rng, day):
    """A moment of a working day's hours (8:30-12:00, 14:30-18:00), on the district's clock."""
    minute = rng.randrange(7 * 60)
    start = (8, 30) if minute < 210 else (14, 30)
    minute = minute if minute < 210 else minute - 210
    local = datetime(day.year, day.month, day.day, *start, tzinfo=TZ) + timedelta(minutes=minute)
    return local.astimezone(UTC)


def _bulk(connection, table, rows):
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


def generate(incidents, seed=7, year=YEAR):
    """A year of the district's work, in the app context's database: `incidents` cases with
    their history (about 5 entries each), a task per ten cases, a roll-call a month. Returns
    what was made, counted."""
    from app.catalogue import services as catalogue
    from app.emergency.models import RollCall, RollCallPerson
    from app.extensions import db
    from app.history.models import HistoryEntry
    from app.incidents.models import Incident
    from app.people.models import User
    from app.tasks.models import Task
    from app.units.models import Unit

    rng = random.Random(seed)
    calendar = catalogue.calendar()
    grids = db.session.execute(
        select(Unit.id, Unit.parent_id).where(Unit.level == "grid").order_by(Unit.code)
    ).all()
    streets = dict(
        db.session.execute(select(Unit.id, Unit.parent_id).where(Unit.level == "community")).all()
    )
    people = db.session.execute(select(User.id, User.role)).all()
    members = [p.id for p in people if p.role in ("grid_member", "team_member")] or [people[0].id]
    manager = next(p.id for p in people if p.role in ("secretary", "district_admin"))
    days = [d for d in (datetime(year, 1, 1) + timedelta(n) for n in range(365))]
    working = [d for d in days if calendar.is_working_day(d.date())]
    weights = [w for _, w in SOURCES]
    cases, history, tasks = [], [], []
    connection = db.session.connection()
    for _ in range(incidents):
        grid = rng.choice(grids)
        community = grid.parent_id
        case = str(uuid.uuid4())
        reporter, handler = rng.choice(members), rng.choice(members)
        at = _working_moment(rng, rng.choice(working))
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
    _bulk(connection, Incident.__table__, cases)
    _bulk(connection, Task.__table__, tasks)
    _bulk(connection, HistoryEntry.__table__, history)
    calls = persons = 0
    for month in range(1, 13):
        call = str(uuid.uuid4())
        at = _working_moment(rng, datetime(year, month, 10))
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
        _bulk(connection, RollCallPerson.__table__, asked)
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


def _existing():
    from app.extensions import db
    from app.history.models import HistoryEntry
    from app.incidents.models import Incident

    return {
        "incidents": db.session.query(Incident).count(),
        "history": db.session.query(HistoryEntry).count(),
    }


def _month_entities(key):
    """The entities a month's facts are made of, found from the history's own tables: cases
    reported in the month or the one before (a case counts by its handling deadline), the
    tasks due in it, its roll-calls."""
    from app.assessment.periods import parse
    from app.emergency.models import RollCall
    from app.extensions import db
    from app.incidents.models import Incident
    from app.tasks.models import Task

    period = parse(key)
    start = datetime.combine(period.previous().start, datetime.min.time(), TZ)
    end = datetime.combine(period.end, datetime.min.time(), TZ)
    first = datetime.combine(period.start, datetime.min.time(), TZ)
    return {
        "incident": db.session.execute(
            select(Incident.id).where(Incident.reported_at >= start, Incident.reported_at < end)
        )
        .scalars()
        .all(),
        "task": db.session.execute(
            select(Task.id).where(Task.deadline >= first, Task.deadline < end)
        )
        .scalars()
        .all(),
        "ack": db.session.execute(
            select(RollCall.id).where(RollCall.created_at >= first, RollCall.created_at < end)
        )
        .scalars()
        .all(),
    }


class _Figures(dict):
    """The figures, each printed as soon as it is measured (a loaded machine is slow)."""

    def __setitem__(self, key, value):
        print(f"{key}: {value}", flush=True)
        super().__setitem__(key, value)


def measure(client, month="2026-03", year=str(YEAR), rounds=5):
    """The figures, in an app context over the generated year; `client` is logged in as a
    reader of rankings."""
    from app.assessment import exports, facts, ranking
    from app.assessment.models import Cursor, EntityFact, Fact
    from app.extensions import db

    out = _Figures()
    # A month from the history: its entities' facts made (none are there yet), then ranked.
    entities = _month_entities(month)
    started = time.perf_counter()
    for entity, ids in entities.items():
        facts.rebuild(entity, ids)
    db.session.commit()
    result = ranking.compute(month)
    out["month_s"] = round(time.perf_counter() - started, 2)
    out["month_units"] = sum(len(rows) for rows in result["levels"].values())
    out["month_cases"] = sum(r["sample"] for r in result["levels"]["street"])
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(f"/api/assessment/periods/{month}?level=grid")  # as the page asks
        assert response.status_code == 200, response.get_json()
        times.append(1000 * (time.perf_counter() - started))
    out["ranking_ms"] = round(statistics.median(times), 1)
    out["ranking_kb"] = round(len(response.data) / 1024, 1)
    # The rest of the year, as the worker's first run makes it.
    db.session.execute(delete(EntityFact))
    db.session.execute(delete(Cursor))
    db.session.commit()
    started = time.perf_counter()
    out["year_entities"] = facts.refresh()
    out["year_facts_s"] = round(time.perf_counter() - started, 2)
    out["facts_rows"] = db.session.query(Fact).count()
    started = time.perf_counter()
    data = exports.ranking_xlsx(year)
    out["year_xlsx_s"] = round(time.perf_counter() - started, 2)
    out["year_xlsx_mb"] = round(len(data) / 2**20, 2)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    out["year_xlsx_case_rows"] = sum(1 for _ in book["案件明细"].iter_rows(min_row=2))
    return out


def _district_admin(app):
    """A client logged in as the district's admin (given a password of the bench's own)."""
    import secrets

    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.people.models import DISTRICT_ADMIN, User

    admin = db.session.execute(select(User).where(User.role == DISTRICT_ADMIN).limit(1)).scalar()
    password = secrets.token_urlsafe(16)
    admin.password_hash = generate_password_hash(password)
    db.session.commit()
    client = app.test_client()
    csrf = client.get("/api/auth/csrf").get_json()["csrf_token"]
    answer = client.post(
        "/api/auth/login",
        json={"phone": admin.phone, "password": password},
        headers={"X-CSRFToken": csrf},
    )
    assert answer.status_code == 200, answer.get_json()
    client.environ_base["HTTP_X_CSRFTOKEN"] = answer.headers.get("X-CSRFToken", csrf)
    return client


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.assessment", description=__doc__)
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    )
    parser.add_argument("--incidents", type=int, default=250_000)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure the year already generated")
    args = parser.parse_args(argv)
    if not args.url or not args.url.startswith("postgresql"):
        sys.exit("a PostgreSQL URL: --url or BENCH_DATABASE_URL (it is wiped)")
    from bench.database import app_env, prepare

    with tempfile.TemporaryDirectory(prefix="gridlink-bench-assessment-") as instance:
        env = app_env(instance, args.url)
        started = time.perf_counter()
        if not args.reuse:
            prepare("postgis", env, args.members)
            print(f"district loaded in {time.perf_counter() - started:.1f} s", flush=True)
        os.environ["GRIDLINK_INSTANCE"] = instance  # its secret key and exports, not the repo's
        from app import create_app

        app = create_app("dev", {"SQLALCHEMY_DATABASE_URI": args.url})
        app.config["EXPORT_ROOT"] = instance
        with app.app_context():
            started = time.perf_counter()
            made = _existing() if args.reuse else generate(args.incidents, args.seed)
            made["generate_s"] = round(time.perf_counter() - started, 1)
            print(json.dumps(made), flush=True)
            figures = measure(_district_admin(app))
    figures.update(made)
    for name, bound in TARGETS.items():
        verdict = "PASS" if figures[name] < bound else "MISS"
        print(f"{name:14} {figures[name]:>10} (< {bound}) {verdict}")
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    os.makedirs("artifacts", exist_ok=True)
    with open("artifacts/bench_assessment.json", "w", encoding="utf-8") as out:
        json.dump(figures, out, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
