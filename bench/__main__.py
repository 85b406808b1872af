"""`python -m bench`: set up each backend, serve it with gunicorn, measure, report, save JSON."""

import argparse
import contextlib
import functools
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

from sqlalchemy import make_url

from bench import emergency, grids, load, members, report, sync, writes
from bench.client import Client
from bench.common import ROOT, BenchError
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

SCENARIOS = ("locate", "reports", "claims", "grids", "sync", "emergency")
LOAD_SCENARIOS = ("locate", "reports", "claims")  # each measured against health, in this order


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument(
        "--scenario",
        type=_scenarios,
        default=SCENARIOS,
        help=f"comma-separated, any of {','.join(SCENARIOS)} (default all); the health "
        "baseline runs with any of the first three",
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
        default=1,
        help="threads per gunicorn worker; above 1 gunicorn uses gthread workers (make run: 1)",
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
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default=str(ROOT / "artifacts" / "bench.json"))
    args = parser.parse_args(argv)
    if min(args.clients, args.workers, args.threads, args.tasks, args.capacity) < 1:
        parser.error("--clients, --workers, --threads, --tasks and --capacity must be >= 1")
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
    with _load_processes(args) as pool:
        for backend in BACKENDS if args.backend == "both" else (args.backend,):
            results[backend] = run_or_explain(backend, args, pool)
            print(report.backend_text(backend, results[backend]), flush=True)
    found = report.verdicts(results)
    print(report.summary_text(results, found))
    report.write_json(
        args.output,
        {
            "started": started,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "args": {key: value for key, value in vars(args).items() if key != "output"},
            "backends": results,
            "targets": found,
        },
    )
    print(f"\nfigures saved to {args.output}")
    # A MISS is a finding, not a failure: only a broken run exits non-zero.
    return 1 if any("error" in result for result in results.values()) else 0


def _load_processes(args):
    """The load processes, started once for every backend; none if no load is asked for."""
    if not set(args.scenario) & set(LOAD_SCENARIOS):
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
        log_path = os.path.join(instance, "gunicorn.log")
        with gunicorn(env, log_path, workers=args.workers, threads=args.threads) as server:
            client = Client(server.port)
            try:
                client.login(*demo_login(logins))
                points = measure_reads(backend, client, args, result)
                if pool is not None:
                    measure_load(backend, server, client, pool, url, logins, points, args, result)
                if "sync" in args.scenario:
                    # After the load, one request at a time: nothing else is sent meanwhile.
                    _progress(f"{backend}: sync (push, pull, first sync)")
                    meters = server_meters(backend, server, url)
                    result["sync"] = sync.measure(server, env, url, logins, meters, args.seed)
                if "emergency" in args.scenario:
                    # Last: it switches the whole district to emergency mode.
                    _progress(f"{backend}: emergency (district switch, roll-call of everyone)")
                    result["emergency"] = emergency.measure(server, env, url, logins, args.seed)
            finally:
                client.close()
        if "locate" in args.scenario:
            # After gunicorn has stopped, so that the server does not compete for the CPU.
            _progress(f"{backend}: in-process locate")
            result["inprocess"] = measure_inprocess(env, points)
        return result


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


def measure_load(backend, server, client, pool, url, logins, points, args, result):
    """The HTTP load figures in result["http"], and what the claims did in result["claims"]."""
    _progress(f"{backend}: sessions and tasks for the load")
    scenarios = http_scenarios(server, client, url, logins, points, args, result)
    _progress(f"{backend}: HTTP load")
    meters = server_meters(backend, server, url)
    result["http"] = measure_http(server, pool, scenarios, meters, args)
    if "claims" in scenarios:
        result["claims"].update(_claims_after(url, result))


def server_meters(backend, server, url):
    """name: function giving CPU seconds used so far, for the server's processes."""
    meters = {"server": server.workers_cpu}
    if backend == "postgis":  # the app's queries run in PostgreSQL's backends
        meters["database"] = functools.partial(database_cpu, make_url(url).database)
    return meters


def http_scenarios(server, client, url, logins, points, args, result):
    """For health and each scenario asked for: a function of the index to start from that
    gives one load.Job per load process. Claims note their set-up in result["claims"]."""
    n = args.clients
    gzip_ok = {"Accept-Encoding": "gzip"}
    # Reads as the demo grid member, whose cookie health carries too: the same headers.
    read = {"Cookie": client.cookie_header(), **gzip_ok}
    write = {"Content-Type": "application/json", **gzip_ok}
    scenarios = {"health": lambda start: [load.Job(read, load.Paths(["/api/health"]))] * n}
    if "locate" in args.scenario:
        paths = [f"/api/locate?lat={lat:.6f}&lng={lng:.6f}" for lng, lat in points]
        # Each process its own slice, so that clients do not ask for the same point in lockstep.
        scenarios["locate"] = lambda start: [
            load.Job(read, load.Paths(paths[i::n] or paths)) for i in range(n)
        ]
    if "reports" in args.scenario:
        # Each process a different grid member, reporting at points all over the district.
        reporters = members.log_in(server.port, logins, members.grid_members(url, n))
        scenarios["reports"] = lambda start: [
            load.Job({**session, **write}, writes.Reports(points[i::n] or points))
            for i, session in enumerate(reporters)
        ]
    if "claims" in args.scenario:
        scenarios["claims"] = _claims(server, url, logins, args, write, result)
    return scenarios


def _claims(server, url, logins, args, headers, result):
    """Tasks the demo secretary makes for a grid of the community, and a job per member
    serving that grid.

    Every member goes through the tasks in the same shuffled order: each task gets a rush of
    claims, of which `capacity` take a place and the rest are told task_full (409). The next
    run carries on where the last one stopped.
    """
    secretary = Client(server.port)
    try:
        phone, password = demo_login(logins, "secretary")
        secretary.login(phone, password)
        grid, phones = members.claim_team(url, phone, args.clients)
        task_ids, create_ms = writes.create_tasks(secretary, grid, args.tasks, args.capacity)
    finally:
        secretary.close()
    random.Random(args.seed).shuffle(task_ids)
    claimants = members.log_in(server.port, logins, phones)
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


def measure_http(server, pool, scenarios, meters, args):
    """Health (the baseline) and each scenario under the same load of `--clients` processes.

    Each gets two half-length runs in the order health, locate, reports, claims, claims,
    reports, locate, health: a drift in the machine's other load over the run then weighs on
    all alike. A scenario's second run starts its jobs where the first left off.
    """
    names = [name for name in LOAD_SCENARIOS if name in scenarios]
    parts = {name: [] for name in ["health", *names]}
    cpu = {name: dict.fromkeys(meters, 0.0) for name in parts}
    start = dict.fromkeys(parts, 0)
    for name in ["health", *names, *reversed(names), "health"]:
        run_parts, run_cpu = pool.run(
            server.port,
            scenarios[name](start[name]),
            meters,
            warmup=args.warmup,
            duration=args.duration / 2,
        )
        parts[name] += run_parts
        for meter, seconds in run_cpu.items():
            cpu[name][meter] += seconds
        start[name] = max(part["next"] for part in run_parts)
    figures = {
        name: {**load.summary(parts[name], cpu[name], args.duration), "next": start[name]}
        for name in parts
    }
    health = figures["health"]
    for name in names:
        f = figures[name]
        f["ratio"] = f["rps"] / health["rps"] if health["rps"] else 0.0
        f["cpu_ratio"] = _cpu_ratio(health, f, meters)
    return {
        "clients": args.clients,
        "server": setup_text(args.workers, args.threads),
        "meters": list(meters),
        "warmup": args.warmup,
        "duration": args.duration,
        **figures,
    }


def _cpu_ratio(health, other, meters):
    """Server CPU (gunicorn's workers, and PostgreSQL's backends if metered) of a health
    request over that of another request: the ratio without noise from other processes
    taking the CPU."""
    costs = [
        sum(f[f"{meter}_cpu_ms_per_request"] or 0.0 for meter in meters) for f in (health, other)
    ]
    return costs[0] / costs[1] if all(costs) else None


def measure_inprocess(env, points):
    done = subprocess.run(
        [sys.executable, "-m", "bench.inprocess"],
        cwd=ROOT,
        env=env,
        input=json.dumps({"points": points}),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError.of_process("bench.inprocess", done)
    return json.loads(done.stdout)


_STARTED = time.monotonic()


def _progress(message):
    print(f"... [{time.monotonic() - _STARTED:3.0f} s] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
