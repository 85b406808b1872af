"""Round trips to the database per request: `python -m bench.roundtrips [DATABASE_URL]`.

Unlike the bench's rates, these counts do not depend on what else the machine runs: each
request goes through the app in process (Flask's test client, a fresh app context each, as a
server runs it) and every message that waits for the database's answer is counted where the
driver sends it. On PostgreSQL that is psycopg's pure-Python libpq binding (PSYCOPG_IMPL is
set to `python` before psycopg is imported), counted at `PGconn.send_query*` / `exec*`: the
implicit BEGIN, the pool's pre-ping, the teardown's ROLLBACK each count, as each costs a wait;
on SQLite the statements sqlite3 runs (its trace callback; no wait, but each costs the
worker). Also the worker CPU per request in process (median of rounds, `time.process_time`).

The database is set up afresh (a PostgreSQL URL's schema `public` is dropped: give it a
database of its own), with a small generated district and a member, a secretary and tasks.
Prints a table, and JSON with `--json`.
"""

import os

os.environ.setdefault("PSYCOPG_IMPL", "python")  # noqa: E402  (before anything imports psycopg)

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import flask_migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.people.models import GRID_MEMBER, SECRETARY, User
from app.units.importer import import_units
from app.units.models import Unit
from bench import sync, writes
from bench.database import reset_postgis
from geo import demo as geo_demo

PASSWORD = "bench-roundtrips"
# Of each request, after a first one that warms caches; the counts are the last one's, by
# when psycopg has prepared the statements a server runs all day (prepare_threshold, 5).
ROUNDS = 7
PUSH = 50  # commands in the measured push (the bench's mix, cut short)


class Counter:
    """Messages that wait for the database, counted while `counting` is set."""

    def __init__(self):
        self.n = 0
        self.counting = False
        self.trace = None  # a list to note each statement in, with --trace
        self.prepared = {}

    def hit(self, statement, *args):
        if isinstance(statement, bytes) and statement.startswith(b"_pg3_"):
            if args and isinstance(args[0], bytes):  # send_prepare(name, command): remember it
                self.prepared[statement] = args[0]
                statement = b"PREPARE " + args[0]
            else:
                statement = b"EXECUTE " + self.prepared.get(statement, statement)
        if self.counting:
            self.n += 1
            if self.trace is not None:
                text = statement.decode() if isinstance(statement, bytes) else str(statement)
                self.trace.append(" ".join(text.split())[:160])


COUNTER = Counter()


def _count_postgresql():
    from psycopg.pq import pq_ctypes

    for name in (
        "send_query",
        "send_query_params",
        "send_query_prepared",
        "send_prepare",
        "exec_",
        "exec_params",
        "exec_prepared",
        "prepare",
    ):
        original = getattr(pq_ctypes.PGconn, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            COUNTER.hit(*(args[:2] or (_name,)))
            return _original(self, *args, **kwargs)

        setattr(pq_ctypes.PGconn, name, counted)


@event.listens_for(Engine, "connect")
def _trace_sqlite(dbapi_connection, record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.set_trace_callback(COUNTER.hit)


def _app(url):
    if url.startswith("postgresql"):
        reset_postgis(url)
    # The dev settings, as served (not "test", whose settings differ for tests' sake).
    app = create_app("dev", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
        out = tempfile.mkdtemp()
        paths = geo_demo.generate(out, seed=7, streets=7, communities=7, grids=35)
        for level in ("district", "street", "community", "grid"):
            import_units(str(paths[level]), level, crs="gcj02" if level == "district" else "wgs84")
        grid = db.session.query(Unit).filter_by(level="grid").order_by(Unit.code).first()
        cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        member = User(phone="13800000001", name="网格员", password_hash=cheap, role=GRID_MEMBER)
        member.units = [grid]
        secretary = User(phone="13800000002", name="书记", password_hash=cheap, role=SECRETARY)
        secretary.units = [grid.parent]
        db.session.add_all([member, secretary])
        db.session.commit()
        centre = grid.geom.representative_point()
        return app, grid.code, grid.parent.code, (centre.x, centre.y)


def _client(app, phone):
    client = app.test_client()
    with app.app_context():
        token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    with app.app_context():
        reply = client.post(
            "/api/auth/login",
            json={"phone": phone, "password": PASSWORD, "remember": True},
            headers={"X-CSRFToken": token},
        )
    assert reply.status_code == 200, reply.get_json()
    client.token = reply.headers["X-CSRFToken"]
    return client


@contextmanager
def _counted():
    COUNTER.n, COUNTER.counting = 0, True
    try:
        yield COUNTER
    finally:
        COUNTER.counting = False


def _measure(app, send, prepare=lambda n: None):
    """(round trips of the last request, median CPU ms) over ROUNDS requests after a first;
    `prepare(n)` makes what request n needs, uncounted."""
    cpu, trips = [], None
    for n in range(ROUNDS + 1):
        ready = prepare(n)
        with _counted() as counter, app.app_context():  # its teardown counts too
            started = time.process_time()
            reply = send(ready)
            elapsed = time.process_time() - started
        assert reply.status_code < 300, (reply.status_code, reply.get_data()[:300])
        if n:
            cpu.append(elapsed * 1000)
            trips = counter.n
        if COUNTER.trace is not None and n < ROUNDS:
            COUNTER.trace.clear()
    return trips, statistics.median(cpu)


def _json(client, method, path, body):
    return client.open(
        path,
        method=method,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRFToken": client.token},
    )


def run(url):
    if url.startswith("postgresql"):
        _count_postgresql()
    app, grid, community, (lng, lat) = _app(url)
    member, secretary = _client(app, "13800000001"), _client(app, "13800000002")
    anonymous = app.test_client()
    deadline = (datetime.now(UTC) + timedelta(days=7)).isoformat(timespec="seconds")

    def task_body(n):
        return {
            "id": str(uuid.uuid4()),
            "title": f"任务 {n}",
            "grid": grid,
            "target": "完成",
            "capacity": 3,
            "deadline": deadline,
        }

    def new_tasks(count):
        with app.app_context():
            return [
                _json(secretary, "POST", "/api/tasks", task_body(k)).get_json()["id"]
                for k in range(count)
            ]

    def new_call():  # a roll-call over the member's community, for them to acknowledge
        body = {"scope": {"level": "community", "codes": [community]}, "message": "叫应"}
        with app.app_context():
            return _json(secretary, "POST", "/api/rollcalls", body).get_json()["id"]

    def report(n):  # the bench's report body: a fresh id and photo reference each
        return json.loads(writes.Reports([(lng, lat)])(n)[2])

    def push(n):
        commands = sync.batch([(lng, lat)], new_tasks(sync.TASKS_PER_PUSH))[:PUSH]
        return {"device_id": str(uuid.uuid4()), "commands": commands}

    requests = {
        "health (anonymous)": (lambda _: anonymous.get("/api/health"), None),
        "health (logged in)": (lambda _: member.get("/api/health"), None),
        "GET /api/me": (lambda _: member.get("/api/me"), None),
        "locate": (lambda _: member.get(f"/api/locate?lat={lat}&lng={lng}"), None),
        "report": (lambda body: _json(member, "POST", "/api/incidents", body), report),
        "task creation": (lambda body: _json(secretary, "POST", "/api/tasks", body), task_body),
        "claim": (
            lambda task: _json(member, "POST", f"/api/tasks/{task}/claim", {}),
            lambda n: new_tasks(1)[0],
        ),
        "acknowledgement": (
            lambda call: _json(member, "POST", f"/api/rollcalls/{call}/ack", {}),
            lambda n: new_call(),
        ),
        f"push of {PUSH}": (lambda body: _json(member, "POST", "/api/sync/push", body), push),
        "pull (first sync)": (lambda _: member.get("/api/sync/pull"), None),
    }
    out = {}
    for name, (send, prepare) in requests.items():
        trips, cpu = _measure(app, send, prepare or (lambda n: None))
        out[name] = {"round_trips": trips, "cpu_ms": round(cpu, 2)}
        if COUNTER.trace is not None:
            out[name]["statements"] = COUNTER.trace[:]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trace", action="store_true", help="list each request's statements")
    args = parser.parse_args()
    if args.trace:
        COUNTER.trace = []
    url = args.url or "sqlite:///" + tempfile.mkdtemp() + "/gridlink.db"
    out = run(url)
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        return
    for name, figures in out.items():
        print(f"{name:24} {figures['round_trips']:5} round trips  {figures['cpu_ms']:7.2f} ms CPU")
        for statement in figures.get("statements", ()):
            print("    ", statement)


if __name__ == "__main__":
    main()
