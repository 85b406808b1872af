"""`python -m bench.first_sync DATABASE_URL`: where a first sync's time goes, in process.

Run it on a database the bench has set up and run (`python -m bench --scenario sync` leaves
the district of 13,000 members, the member's grid's month and the pushes' incidents in it): it
reads nothing but changes nothing. It serves GridLink in process (Flask's test client, the dev
settings as served, a fresh app context per request as a server runs it), logs in the demo
secretary and the member of the bench's grid, and for each follows a first sync to its end
(limit 500, as the phone asks) ROUNDS times after a first that warms caches. It prints the
worker CPU (`time.process_time`, which the load on the machine does not change), the round
trips to the database, the pages, changes and bytes; with `--profile` the cProfile of the last
round, on a CPU clock, by cumulative and by own time (saved in
artifacts/first-sync-<who>.prof for pstats or snakeviz). `gc` is the CPU the garbage
collector took, a round on average, and its full passes in all the rounds; the app's start-up
objects are frozen as wsgi.py freezes them (`--no-freeze`: as before it did).
"""

import os
import sys

# Round trips are counted in psycopg's pure-Python binding, which costs CPU itself: without
# --trips, the binary one the server runs (bench.roundtrips would choose Python).
os.environ["PSYCOPG_IMPL"] = "python" if "--trips" in sys.argv else "binary"

import argparse
import cProfile
import gc
import gzip
import io
import json
import pstats
import statistics
import time

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.people import sessions
from app.people.models import User
from bench import roundtrips
from bench.database import query
from bench.members import claim_team

ROUNDS = 5


def _people(url):
    """{who: phone}: the bench's demo secretary (of the community of the demo's first grid, as
    `flask demo load` prints it); the member of the bench's grid (bench.members.claim_team, as
    the bench picks it: after the bench, their grid holds its month of 700 incidents); and a
    neighbour, the grid member of the next grid of the community, whose first sync is as the
    bench's member's was before the month (tasks and the community's pool, little else)."""
    (secretary,) = query(
        url,
        """
        SELECT u.phone FROM user_account u JOIN user_scope s ON s.user_id = u.id
        WHERE u.role = 'secretary' AND u.active AND s.unit_id = (
            SELECT parent_id FROM unit WHERE level = 'grid' ORDER BY code LIMIT 1)
        ORDER BY u.id LIMIT 1
        """,
    )
    grid, (member,) = claim_team(url, secretary.phone, 1)
    (neighbour,) = query(
        url,
        """
        SELECT u.phone FROM user_account u JOIN user_scope s ON s.user_id = u.id
        JOIN unit g ON g.id = s.unit_id
        WHERE u.role = 'grid_member' AND u.active AND g.code > :grid
          AND g.parent_id = (SELECT parent_id FROM unit WHERE code = :grid)
        ORDER BY g.code, u.id LIMIT 1
        """,
        grid=grid,
    )
    return {"secretary": secretary.phone, "member": member, "neighbour": neighbour.phone}


def _client(app, phone):
    """A test client logged in as this phone's user: a server-side session started as a
    login starts one (app/people/sessions.py), without the password (the demo's are in the
    bench's instance folder, gone with it)."""
    client = app.test_client()
    with app.test_request_context():
        user = db.session.execute(select(User).where(User.phone == phone)).scalar_one()
        sessions.start(user, True, "127.0.0.1")
        token = user.get_id()
        db.session.commit()
    with client.session_transaction() as cookie:
        cookie.update(_user_id=token, _fresh=True)
    return client


class Collector:
    """The garbage collector's CPU and full passes while counting (gc.callbacks)."""

    def __init__(self):
        self.cpu, self.full, self._started = 0.0, 0, 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase, info):
        if phase == "start":
            self._started = time.process_time()
            return
        self.cpu += time.process_time() - self._started
        self.full += info["generation"] == 2

    def reset(self):
        self.cpu, self.full = 0.0, 0


def follow(app, client, limit=500):
    """A first sync to its end: (pages, changes, wire bytes, raw bytes, round trips)."""
    cursor, pages, changes, wire, raw = None, 0, 0, 0, 0
    trips = 0
    while True:
        path = f"/api/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        with roundtrips._counted() as counter, app.app_context():
            reply = client.get(path, headers={"Accept-Encoding": "gzip"})
        trips += counter.n
        assert reply.status_code == 200, reply.get_data()[:300]
        wire += len(reply.get_data())
        reply.direct_passthrough = False
        body = reply.get_data()
        if reply.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        raw += len(body)
        page = json.loads(body)
        pages += 1
        changes += len(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages, changes, wire, raw, trips


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--trips", action="store_true", help="count round trips (psycopg in pure Python: more CPU)"
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--who", default="secretary,member,neighbour")
    parser.add_argument("--no-freeze", action="store_true", help="leave the gc as it starts")
    args = parser.parse_args()
    if args.trips and args.url.startswith("postgresql"):
        roundtrips._count_postgresql()
    app = create_app("dev", {"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench"})
    people = _people(args.url)
    if not args.no_freeze:  # as wsgi.py does once the app is made
        gc.collect()
        gc.freeze()
    collector = Collector()
    for who in args.who.split(","):
        client = _client(app, people[who])
        cpu, collected = [], []
        for n in range(args.rounds + 1):
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            collector.reset()
            started = time.process_time()
            if profiler and n == args.rounds:
                profiler.enable()
            pages, changes, wire, raw, trips = follow(app, client, args.limit)
            if profiler and n == args.rounds:
                profiler.disable()
            if n:
                cpu.append((time.process_time() - started) * 1000)
                collected.append((collector.cpu * 1000, collector.full))
        gc_ms = statistics.mean(ms for ms, _ in collected)
        full = sum(passes for _, passes in collected)
        print(
            f"{who:10} {statistics.median(cpu):7.1f} ms CPU (median of {args.rounds}; "
            f"least {min(cpu):.1f}; gc {gc_ms:.1f} ms, {full} full), "
            f"{pages} pages, {changes} changes, {wire / 1000:.0f} kB sent, "
            f"{raw / 1000:.0f} kB raw" + (f", {trips} round trips" if args.trips else "")
        )
        if profiler:
            # What load does not change: the Python calls of the profiled round.
            print(f"{who:10} {pstats.Stats(profiler).total_calls} Python calls")
            profiler.dump_stats(f"artifacts/first-sync-{who}.prof")
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(45)
                print(out.getvalue())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
