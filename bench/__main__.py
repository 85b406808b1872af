"""`python -m bench`: set up each backend, serve it with gunicorn, measure, report, save JSON."""

import argparse
import contextlib
import functools
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime

from sqlalchemy import make_url

from bench import (
    assessment,
    bare,
    emergency,
    grids,
    households,
    live,
    load,
    members,
    open311,
    patrols,
    report,
    sync,
    targets,
    wishes,
    writes,
)
from bench import logins as logins_scenario
from bench.client import Client
from bench.common import ROOT, BenchError, module_figures
from bench.database import (
    BACKENDS,
    app_env,
    database_url,
    demo_login,
    demo_logins,
    describe,
    prepare,
    skip_reason,
)
from bench.server import database_cpu, gunicorn, setup_text

SCENARIOS = (
    "locate",
    "reports",
    "claims",
    "logins",
    "grids",
    "sync",
    "live",
    "wishes",
    "open311",
    "emergency",
    "patrols",
    "households",
    "assessment",
)
LOAD_SCENARIOS = ("locate", "reports", "claims")  # each measured against health, in this order
POOL_SCENARIOS = (*LOAD_SCENARIOS, "logins")  # those that need the load processes
# The bare stack's equivalent of each (bench/bare.py): the same work without GridLink around it.
BARE = {"health": "hello", "locate": "bare_locate", "reports": "insert", "claims": "insert"}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument(
        "--scenario",
        type=_scenarios,
        default=SCENARIOS,
        help=f"comma-separated, any of {','.join(SCENARIOS)} (default all); health and the "
        "bare app's equivalents run with any of the first three",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=8.0,
        help="timed seconds of load per endpoint (in two halves)",
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each timed run")
    parser.add_argument(
        "--clients", type=int, default=16, help="concurrent clients: load processes"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (make run: 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per gunicorn worker; above 1 gunicorn uses gthread workers (make run: 4)",
    )
    parser.add_argument("--members", type=int, default=13000, help="demo grid team size")
    parser.add_argument("--points", type=int, default=2000, help="random points in the grids")
    parser.add_argument("--tasks", type=int, default=200, help="tasks made for the claims")
    parser.add_argument("--capacity", type=int, default=3, help="places per task")
    parser.add_argument(
        "--simplify",
        type=_tolerances,
        default=(5.0, 10.0, 20.0),
        help="comma-separated simplify tolerances in metres (default 5,10,20)",
    )
    parser.add_argument(
        "--login-clients",
        type=int,
        default=8,
        help="of the --clients, how many log people in during the mass login (default 8)",
    )
    parser.add_argument(
        "--login-duration",
        type=float,
        default=20.0,
        help="timed seconds of the mass login (the others alone: a quarter of it)",
    )
    parser.add_argument(
        "--logins", type=int, default=0, help="at most this many logins (default: all that fit)"
    )
    parser.add_argument(
        "--assessment-incidents",
        type=int,
        default=25_000,
        help="cases in the assessment's generated year (PostGIS; the issue's year: 250000)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default=str(ROOT / "artifacts" / "bench.json"))
    args = parser.parse_args(argv)
    if min(args.clients, args.workers, args.threads, args.tasks, args.capacity) < 1:
        parser.error("--clients, --workers, --threads, --tasks and --capacity must be >= 1")
    if "logins" in args.scenario and not 1 <= args.login_clients < args.clients:
        parser.error("--login-clients must be between 1 and --clients - 1")
    return args


def _scenarios(text):
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(f"choose among {','.join(SCENARIOS)}")
    return tuple(name for name in SCENARIOS if name in chosen)


def _tolerances(text):
    tolerances = tuple(float(part) for part in text.split(",") if part.strip())
    if not tolerances or min(tolerances) <= 0:
        raise argparse.ArgumentTypeError("give positive metres, e.g. 5,10,20")
    return tolerances


def main(argv=None):
    args = parse_args(argv)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results = {}
    saved = {
        "started": started,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average": os.getloadavg(),
        "args": {key: value for key, value in vars(args).items() if key != "output"},
        "backends": results,
    }
    with _load_processes(args) as pool:
        for backend in BACKENDS if args.backend == "both" else (args.backend,):
            results[backend] = run_or_explain(backend, args, pool)
            report.write_json(args.output, saved)  # a backend's figures kept whatever follows
            print(report.backend_text(backend, results[backend]), flush=True)
    saved["load_average_after"] = os.getloadavg()
    saved["targets"] = found = targets.verdicts(results)
    report.write_json(args.output, saved)
    print(report.summary_text(results, found, targets.elsewhere()))
    loads = "; ".join(
        f"{when} {' / '.join(f'{n:.1f}' for n in saved[key])}"
        for when, key in (("before", "load_average"), ("after", "load_average_after"))
    )
    print(f"\nload average (1, 5, 15 min) on {os.cpu_count()} CPUs: {loads}")
    print(f"\nfigures saved to {args.output}")
    # A MISS is a finding, not a failure: only a broken run exits non-zero.
    return 1 if any("error" in result for result in results.values()) else 0


def _load_processes(args):
    """The load processes, started once for every backend; none if no load is asked for."""
    if not set(args.scenario) & set(POOL_SCENARIOS):
        return contextlib.nullcontext()
    _progress(f"starting {args.clients} load processes")
    return load.Clients(args.clients)


def run_or_explain(backend, args, pool):
    """The backend's figures, or {"skipped": why} / {"error": what broke}."""
    reason = skip_reason(backend)
    if reason:
        return {"skipped": reason}
    try:
        return run_backend(backend, args, pool)
    except BenchError as error:
        return {"error": str(error)}


def run_backend(backend, args, pool):
    with tempfile.TemporaryDirectory(prefix=f"gridlink-bench-{backend}-") as instance:
        url = database_url(backend, instance)
        env = app_env(instance, url)
        _progress(f"{backend}: setting up {describe(url)}")
        result = {"database": describe(url), "members": args.members}
        result["setup_s"] = prepare(backend, env, args.members)
        logins = demo_logins(env)
        with _serve(env, "wsgi:app", "/api/health", args) as server:
            client = Client(server.port)
            try:
                client.login(*demo_login(logins))
                points = measure_reads(backend, client, args, result)
                if pool is not None:
                    measure_pool(backend, server, env, client, pool, logins, points, args, result)
                if "sync" in args.scenario:
                    # After the load, one request at a time: nothing else is sent meanwhile.
                    _progress(f"{backend}: sync (push, pull, first sync)")
                    meters = server_meters(backend, server, url)
                    result["sync"] = sync.measure(server, env, url, logins, meters, args.seed)
                if "live" in args.scenario:
                    _progress(f"{backend}: live view (polls of a district roll-call)")
                    result["live"] = live.measure(server, env, url, logins)
                if "wishes" in args.scenario:
                    _progress(f"{backend}: wishes (a 50-way claim race, a wall of 500)")
                    result["wishes"] = wishes.measure(server, env, url, logins)
                if "open311" in args.scenario:
                    _progress(f"{backend}: Open311 (90 days of cases, pages of 1,000)")
                    result["open311"] = open311.measure(server, url, args.seed)
                if "emergency" in args.scenario:
                    # Last: it switches the whole district to emergency mode.
                    _progress(f"{backend}: emergency (district switch, roll-call of everyone)")
                    meters = server_meters(backend, server, url)
                    result["emergency"] = emergency.measure(
                        server, env, url, logins, args.seed, meters
                    )
                    _acks_to_bare(result)
            finally:
                client.close()
        if "locate" in args.scenario:
            # After gunicorn has stopped, so that the server does not compete for the CPU.
            _progress(f"{backend}: in-process locate")
            result["inprocess"] = measure_inprocess(env, points)
        if "patrols" in args.scenario:
            _progress(f"{backend}: patrols (a day's track in 10 batches, coverage)")
            result["patrols"] = patrols.measure(env, logins)
        if "households" in args.scenario:
            # Last: on PostGIS it empties the database for a community of its own.
            _progress(f"{backend}: households (a secretary's first sync of 3,000)")
            result["households"] = households.measure(url)
        if "assessment" in args.scenario and backend == "postgis":
            # Last: it wipes the database for a generated year of its own.
            n = args.assessment_incidents
            _progress(f"{backend}: assessment (a year of {n:,} cases: a month, the page, Excel)")
            result["assessment"] = assessment.run(url, n)
        return result


def measure_pool(backend, server, env, client, pool, logins, points, args, result):
    """The HTTP load next to the bare app (served meanwhile), then the mass login."""
    url = env["DATABASE_URL"]
    if set(args.scenario) & set(LOAD_SCENARIOS):
        bare.create_table(url)
        with _serve(env, "bench.bare:app", "/hello", args) as bare_server:
            servers = {"gridlink": server, "bare": bare_server}
            measure_load(backend, servers, client, pool, url, logins, points, args, result)
    if "logins" in args.scenario:
        _progress(f"{backend}: mass login")
        meters = server_meters(backend, server, url)
        result["logins"] = logins_scenario.measure(server, pool, meters, url, logins, points, args)


def _acks_to_bare(result):
    """The roll-call's acknowledgements per second against bare /insert's, if it ran."""
    rate = result.get("http", {}).get("insert", {}).get("rps")
    if rate:
        result["emergency"]["bare_insert_ratio"] = result["emergency"]["req_per_s"] / rate


def _serve(env, app, ready, args):
    """gunicorn serving `app` with the run's settings, its log in the instance folder."""
    log_path = os.path.join(env["GRIDLINK_INSTANCE"], f"gunicorn-{app.partition(':')[0]}.log")
    return gunicorn(env, log_path, args.workers, args.threads, app=app, ready=ready)


def measure_reads(backend, client, args, result):
    """The grid collections' figures if asked for; random points in the grids in any case."""
    if "grids" in args.scenario:
        _progress(f"{backend}: grid collections")
        result["grids"], full = measure_grids(client, args.simplify)
    else:
        full = grids.geometries(client.get("/api/grids").body)
    return grids.sample_points(full, args.points, args.seed)


def measure_grids(client, tolerances):
    """Figures of the full collection and of each simplification; and the full geometries."""
    figures, raw = grids.measure(client)
    full = grids.geometries(raw)
    rows = [{**figures, **grids.shape(full, full)}]
    for tolerance in tolerances:
        figures, raw = grids.measure(client, tolerance)
        rows.append({**figures, **grids.shape(full, grids.geometries(raw))})
    return rows, full


def measure_load(backend, servers, client, pool, url, logins, points, args, result):
    """The HTTP load figures in result["http"], and what the claims did in result["claims"]."""
    _progress(f"{backend}: sessions and tasks for the load")
    scenarios = http_scenarios(servers, client, url, logins, points, args, result)
    _progress(f"{backend}: HTTP load, each endpoint next to its bare equivalent")
    meters = {name: server_meters(backend, server, url) for name, server in servers.items()}
    result["http"] = measure_http(servers, pool, scenarios, meters, args)
    if "claims" in scenarios:
        result["claims"].update(_claims_after(url, result))


def server_meters(backend, server, url):
    """name: function giving CPU seconds used so far, for the server's processes."""
    meters = {"server": server.workers_cpu}
    if backend == "postgis":  # the app's queries run in PostgreSQL's backends
        meters["database"] = functools.partial(database_cpu, make_url(url).database)
    return meters


def http_scenarios(servers, client, url, logins, points, args, result):
    """For health, each scenario asked for and their bare equivalents: (the server it is sent
    to, a function of the index to start from that gives one load.Job per load process).
    Claims note their set-up in result["claims"]."""
    n = args.clients
    port = servers["gridlink"].port
    gzip_ok = {"Accept-Encoding": "gzip"}
    # Reads as the demo grid member, whose cookie health carries too: the same headers.
    read = {"Cookie": client.cookie_header(), **gzip_ok}
    write = {"Content-Type": "application/json", **gzip_ok}
    scenarios = {
        "health": ("gridlink", lambda start: [load.Job(read, load.Paths(["/api/health"]))] * n),
        "hello": ("bare", lambda start: [load.Job(read, load.Paths(["/hello"]))] * n),
    }
    if "locate" in args.scenario:
        # Each process its own slice, so that clients do not ask for the same point in lockstep.
        for name, prefix, server in (("locate", "/api", "gridlink"), ("bare_locate", "", "bare")):
            paths = [f"{prefix}/locate?lat={lat:.6f}&lng={lng:.6f}" for lng, lat in points]
            scenarios[name] = (server, _sliced(read, paths, n, load.Paths))
    if {"reports", "claims"} & set(args.scenario):
        # The same bodies as the reports, each written as one row and committed.
        scenarios["insert"] = (
            "bare",
            _sliced(write, points, n, lambda part: writes.Reports(part, "/insert")),
        )
    if "reports" in args.scenario:
        # Each process a different grid member, reporting at points all over the district.
        reporters = members.log_in(port, logins, members.grid_members(url, n))
        scenarios["reports"] = (
            "gridlink",
            lambda start: [
                load.Job({**session, **write}, writes.Reports(points[i::n] or points))
                for i, session in enumerate(reporters)
            ],
        )
    if "claims" in args.scenario:
        scenarios["claims"] = ("gridlink", _claims(port, url, logins, args, write, result))
    return scenarios


def _sliced(headers, items, n, request):
    """Jobs that each go through their own slice of `items` with the same headers."""
    return lambda start: [load.Job(headers, request(items[i::n] or items)) for i in range(n)]


def _claims(port, url, logins, args, headers, result):
    """Tasks the demo secretary makes for a grid of the community, and a job per member
    serving that grid.

    Every member goes through the tasks in the same shuffled order: each task gets a rush of
    claims, of which `capacity` take a place and the rest are told task_full (409). The next
    run carries on where the last one stopped.
    """
    secretary = Client(port)
    try:
        phone, password = demo_login(logins, "secretary")
        secretary.login(phone, password)
        grid, phones = members.claim_team(url, phone, args.clients)
        task_ids, create_ms = writes.create_tasks(secretary, grid, args.tasks, args.capacity)
    finally:
        secretary.close()
    random.Random(args.seed).shuffle(task_ids)
    claimants = members.log_in(port, logins, phones)
    result["claims"] = {
        "grid": grid,
        "members": len(phones),
        "tasks": len(task_ids),
        "capacity": args.capacity,
        "create_ms": create_ms,
    }
    claims = writes.Claims(task_ids)
    expected = frozenset({writes.TASK_FULL})
    return lambda start: [
        load.Job({**session, **headers}, claims, start, expected) for session in claimants
    ]


def _claims_after(url, result):
    """How far the claims went through the tasks, and what they left in the database."""
    attempted = result["http"]["claims"]["next"]
    return {
        "tasks_reached": min(attempted, result["claims"]["tasks"]),
        "wrapped": attempted > result["claims"]["tasks"],
        **writes.claims_state(url),
    }


def measure_http(servers, pool, scenarios, meters, args):
    """Health, each scenario and their bare equivalents under the same load of `--clients`
    processes.

    Each gets two half-length runs, every endpoint right after its bare equivalent, in the
    order hello, health, bare locate, locate, insert, reports, claims and back again: a drift
    in the machine's other load over the run then weighs on all alike. A scenario's second
    run starts its jobs where the first left off.
    """
    order = []
    for name in ["health", *LOAD_SCENARIOS]:
        if name in scenarios:
            order += [n for n in (BARE[name], name) if n not in order]
    parts = {name: [] for name in order}
    cpu = {name: dict.fromkeys(meters[scenarios[name][0]], 0.0) for name in order}
    start = dict.fromkeys(order, 0)
    for name in order + order[::-1]:
        server, jobs = scenarios[name]
        run_parts, run_cpu = pool.run(
            servers[server].port,
            jobs(start[name]),
            meters[server],
            warmup=args.warmup,
            duration=args.duration / 2,
        )
        parts[name] += run_parts
        for meter, seconds in run_cpu.items():
            cpu[name][meter] += seconds
        start[name] = max(part["next"] for part in run_parts)
    figures = {
        name: {**load.summary(parts[name], cpu[name], args.duration), "next": start[name]}
        for name in order
    }
    for name in ["health", *LOAD_SCENARIOS]:
        if name not in figures:
            continue
        f = figures[name]
        f["bare"] = BARE[name]
        f.update(_ratios(figures[BARE[name]], f, "bare"))
        if name != "health":
            f.update(_ratios(figures["health"], f, "health"))
    return {
        "clients": args.clients,
        "server": setup_text(args.workers, args.threads),
        "meters": list(meters["gridlink"]),
        "warmup": args.warmup,
        "duration": args.duration,
        "order": order,
        **figures,
    }


def _ratios(baseline, other, name):
    """`other` against a baseline: by req/s, and by server CPU per request."""
    return {
        f"{name}_ratio": other["rps"] / baseline["rps"] if baseline["rps"] else 0.0,
        f"{name}_cpu_ratio": _cpu_ratio(baseline, other),
    }


def _cpu_ratio(baseline, other):
    """Server CPU (gunicorn's workers, and PostgreSQL's backends if metered) of a baseline
    request over that of another request: the ratio without noise from other processes
    taking the CPU."""
    costs = [
        sum(f.get(f"{meter}_cpu_ms_per_request") or 0.0 for meter in ("server", "database"))
        for f in (baseline, other)
    ]
    return costs[0] / costs[1] if all(costs) else None


def measure_inprocess(env, points):
    return module_figures("bench.inprocess", env=env, stdin=json.dumps({"points": points}))


_STARTED = time.monotonic()


def _progress(message):
    print(f"... [{time.monotonic() - _STARTED:3.0f} s] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
