"""`python -m bench.profile`: where a request's time goes, sampled by py-spy in gunicorn's
workers under the bench's load, and summed by the part of the stack it is spent in.

It sets a backend up as `python -m bench` does, serves GridLink (and the bare app, for its
requests) with the same gunicorn settings, and for each request asked for runs the 16 clients'
load while `py-spy record --subprocesses --idle` samples the workers. The raw stacks are saved
in artifacts/profile-<backend>-<request>.txt (collapsed stacks: any flame graph tool reads
them); the summary gives each part's share of the samples of workers serving a connection (a
worker waiting for one is left out): by phase of the request (in wall time, and with the waits
for the database and the client left out), by layer, and the database's statements by the line
that sent them.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from collections import Counter

import shapely

from bench import bare, grids, load, members, writes
from bench.client import Client
from bench.common import BIN, ROOT, BenchError
from bench.database import (
    BACKENDS,
    app_env,
    database_url,
    demo_login,
    demo_logins,
    prepare,
    query,
    skip_reason,
)
from bench.server import gunicorn

REQUESTS = {  # name: (app, path it answers when ready)
    "health": ("wsgi:app", "/api/health"),
    "reports": ("wsgi:app", "/api/health"),
    "hello": ("bench.bare:app", "/hello"),
    "insert": ("bench.bare:app", "/hello"),
}
WAITS_FOR_CLIENT = "gunicorn: lingering close (waits for the client)"
WAITS_FOR_DATABASE = "database driver: psycopg, waiting for PostgreSQL"
# A sample's phase: the innermost frame of its stack matching one of these rules (module path
# part, function or None), from the leaf: user loading inside a route is user loading, the
# route inside flask-smorest's response decorator is the route.
PHASES = [
    ("gunicorn/util.py", "close_graceful", WAITS_FOR_CLIENT),
    ("gunicorn/http/wsgi.py", "write", "gunicorn: write the response"),
    ("gunicorn/http/wsgi.py", "close", "gunicorn: write the response"),
    ("flask/sessions.py", "open_session", "session cookie: read"),
    ("flask/sessions.py", "save_session", "session cookie: write"),
    ("flask_login/", None, "login: session and user loading"),
    ("flask_wtf/csrf.py", None, "CSRF"),
    ("flask_compress/", None, "compression"),
    ("app/security.py", None, "security: login required, headers"),
    ("webargs/", None, "validation (webargs, marshmallow load)"),
    ("flask_smorest/response.py", None, "response: schema dump, JSON"),
    ("flask/app.py", "do_teardown_appcontext", "teardown: ORM session closed"),
    ("/routes.py", None, "the route's own work"),
    ("bench/bare.py", None, "the route's own work"),
]
# Where no rule of PHASES matches: the plumbing around them, innermost first likewise.
PLUMBING = [
    ("gunicorn/", None, "gunicorn: read and parse the request"),
    ("flask/", None, "flask and werkzeug: request context, routing, hooks"),
    ("werkzeug/", None, "flask and werkzeug: request context, routing, hooks"),
]
# A sample's layer: the innermost frame matching one of these rules, as for PHASES. sqlite3
# runs in C under SQLAlchemy's frames: on SQLite the database is in the ORM's share.
LAYERS = [
    ("gunicorn/util.py", "close_graceful", WAITS_FOR_CLIENT),
    ("psycopg/", None, WAITS_FOR_DATABASE),
    ("sqlalchemy/", None, "ORM and SQL: SQLAlchemy (with sqlite3 on SQLite)"),
    ("geoalchemy2/", None, "ORM and SQL: SQLAlchemy (with sqlite3 on SQLite)"),
    ("marshmallow/", None, "schemas: marshmallow"),
    ("json/", None, "JSON"),
    ("gzip", None, "compression"),
    ("zlib", None, "compression"),
    ("hashlib", None, "hashing and signing"),
    ("hmac", None, "hashing and signing"),
    ("itsdangerous/", None, "hashing and signing"),
    ("app/", None, "GridLink's own code"),
    ("bench/bare.py", None, "the bare app's own code"),
    ("flask", None, "Flask and extensions"),
    ("werkzeug/", None, "werkzeug"),
    ("gunicorn/", None, "gunicorn: parse, write"),
    ("socket", None, "sockets"),
]
ROWS = 14  # per table
# A worker's frame while it serves a connection (sync and gthread workers).
SERVING = ("SyncWorker.handle ", "ThreadWorker.handle ")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--backend", choices=BACKENDS, default="postgis")
    parser.add_argument(
        "--requests",
        default="health,reports",
        help=f"comma-separated, any of {','.join(REQUESTS)} (default health,reports)",
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds sampled each")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--members", type=int, default=13000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default=str(ROOT / "artifacts"))
    args = parser.parse_args(argv)
    args.requests = [name.strip() for name in args.requests.split(",") if name.strip()]
    if not args.requests or set(args.requests) - set(REQUESTS):
        parser.error(f"choose --requests among {','.join(REQUESTS)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    reason = skip_reason(args.backend)
    if reason:
        raise SystemExit(f"{args.backend}: {reason}")
    os.makedirs(args.output, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="gridlink-profile-") as instance,
        load.Clients(args.clients) as pool,
    ):
        url = database_url(args.backend, instance)
        env = app_env(instance, url)
        prepare(args.backend, env, args.members)
        bare.create_table(url)
        logins = demo_logins(env)
        for name in args.requests:
            app, ready = REQUESTS[name]
            log = os.path.join(instance, f"gunicorn-{name}.log")
            with gunicorn(env, log, args.workers, args.threads, app=app, ready=ready) as server:
                jobs = _jobs(name, server.port, url, logins, args)
                path = os.path.join(args.output, f"profile-{args.backend}-{name}.txt")
                samples, rps = _record(server, pool, jobs, path, args)
            print(summary_text(f"{args.backend} {name}", samples, rps, path), flush=True)


def _jobs(name, port, url, logins, args):
    n = args.clients
    gzip_ok = {"Accept-Encoding": "gzip"}
    write = {"Content-Type": "application/json", **gzip_ok}
    client = Client(port)
    try:
        if name == "health":
            client.login(*demo_login(logins))
            return [load.Job({"Cookie": client.cookie_header(), **gzip_ok}, _paths("/api/health"))]
        if name == "hello":
            return [load.Job(gzip_ok, _paths("/hello"))] * n
        points = grids.sample_points(_grids(url), 1000, args.seed)
        if name == "insert":
            return [load.Job(write, writes.Reports(points[i::n], "/insert")) for i in range(n)]
        sessions = members.log_in(port, logins, members.grid_members(url, n))
        return [
            load.Job({**session, **write}, writes.Reports(points[i::n]))
            for i, session in enumerate(sessions)
        ]
    finally:
        client.close()


def _paths(path):
    return load.Paths([path])


def _grids(url):
    """The grids' geometries, from the database (the bare app serves no /api/grids)."""
    rows = query(url, "SELECT geom FROM unit WHERE level = 'grid' ORDER BY code")
    return shapely.from_wkb([row.geom for row in rows])  # WKB, or PostGIS's hex EWKB


def _record(server, pool, jobs, path, args):
    """Samples (stack: count) of the workers during the load, and the load's req/s."""
    jobs = jobs * args.clients if len(jobs) == 1 else jobs
    warmup = 2.0
    command = [
        str(BIN / "py-spy"),
        "record",
        "--pid",
        str(server.pid),
        "--subprocesses",
        "--idle",
        "--nonblocking",
        "--format",
        "raw",
        "--rate",
        str(args.rate),
        "--duration",
        str(int(args.duration + warmup)),
        "--output",
        path,
    ]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        parts, _ = pool.run(server.port, jobs, {}, warmup=warmup, duration=args.duration)
        _, errors = spy.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            spy.kill()
    if spy.returncode != 0 or not os.path.exists(path):
        raise BenchError(f"py-spy failed ({spy.returncode}): {errors.strip()[-500:]}")
    figures = load.summary(parts, {}, args.duration)
    return read_samples(path), figures["rps"]


def read_samples(path):
    """{tuple of frames, root first: count} from py-spy's raw (collapsed) output."""
    samples = Counter()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack and count.isdigit():
                samples[tuple(stack.split(";"))] += int(count)
    return samples


def _frames(stack):
    """(function, location) of each frame; py-spy's process names left out."""
    return [frame.partition(" (") for frame in stack if not frame.startswith("process ")]


def _matches(rule, frame):
    """Whether a frame is in the rule's module (where py-spy's path starts with it; anywhere
    for a rule starting with "/") and, if it names one, its function."""
    module, name, _ = rule
    function, _, location = frame
    where = module in location if module.startswith("/") else location.startswith(module)
    return where and (name is None or function.rpartition(".")[2] == name)


def _innermost(frames, rules):
    for frame in reversed(frames):
        for rule in rules:
            if _matches(rule, frame):
                return rule[2]
    return None


def phase(stack):
    frames = _frames(stack)
    return _innermost(frames, PHASES) or _innermost(frames, PLUMBING) or "other"


def layer(stack):
    return _innermost(_frames(stack), LAYERS) or "other (Python, the interpreter)"


def statement(stack):
    """Who waits for the database in this sample: the innermost GridLink (or bare app) frame
    that sent the statement, the pool's pre-ping or the teardown; "" if nobody does."""
    frames = _frames(stack)
    if not any(
        location.startswith(("psycopg/", "sqlalchemy/engine/default.py")) for *_, location in frames
    ):
        return ""
    if any(function.endswith("_do_ping_w_event") for function, *_ in frames):
        return "the pool's pre-ping (SELECT 1 at checkout)"
    if any(function.endswith("do_teardown_appcontext") for function, *_ in frames):
        return "teardown: the ORM session's rollback"
    ours = [
        f"{function} ({location}"
        for function, _, location in frames
        if location.startswith(("app/", "bench/"))
    ]
    return ours[-1] if ours else "other"


def _waits(stack):
    return layer(stack) in (WAITS_FOR_DATABASE, WAITS_FOR_CLIENT)


def shares(samples, classify):
    """[(label, share of the samples of workers serving a connection)], largest first; the
    samples counted; and the share of the workers' samples spent serving."""
    serving, waiting = Counter(), 0
    for stack, count in samples.items():
        if any(frame.startswith(SERVING) for frame in stack):
            serving[classify(stack)] += count
        elif any("gunicorn/workers/" in frame for frame in stack):
            waiting += count  # a worker waiting for a connection
    total = sum(serving.values())
    rows = [(label, n / total) for label, n in serving.most_common()] if total else []
    return rows, total, total / (total + waiting) if total else 0.0


def summary_text(title, samples, rps, path):
    _, _, busy = shares(samples, phase)
    lines = [
        f"\n== {title}: {rps:.0f} req/s under the load, the workers serving a connection "
        f"{busy * 100:.0f} % of the time; samples in {path} =="
    ]
    # py-spy cannot tell psycopg's wait from work (it waits in C): the waits are left out by
    # their frames, for the share of the worker's own CPU.
    working = Counter({stack: n for stack, n in samples.items() if not _waits(stack)})
    for heading, classify, counted in (
        ("by phase, wall time", phase, samples),
        ("by phase, waits for the database and the client left out", phase, working),
        ("by layer, wall time", layer, samples),
        ("database statements by who sent them, wall time", statement, samples),
    ):
        rows, total, _ = shares(counted, classify)
        lines.append(f"  {heading} ({total} samples):")
        lines += [f"    {share * 100:5.1f} %  {label}" for label, share in rows if label][:ROWS]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
