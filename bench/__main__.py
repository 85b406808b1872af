"""`python -m bench`: set up each backend, serve it with gunicorn, measure, report, save JSON."""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

from bench import grids, load, report
from bench.client import Client
from bench.common import ROOT, BenchError
from bench.database import (
    BACKENDS,
    app_env,
    database_url,
    demo_login,
    describe,
    prepare,
    skip_reason,
)
from bench.server import gunicorn


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="timed seconds of load per endpoint (in two halves)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each timed run")
    parser.add_argument("--clients", type=int, default=4, help="load generator processes")
    parser.add_argument("--members", type=int, default=1000, help="demo grid team size")
    parser.add_argument("--points", type=int, default=2000, help="random points for locate")
    parser.add_argument("--simplify", type=_tolerances, default=(5.0, 10.0, 20.0),
                        help="comma-separated simplify tolerances in metres (default 5,10,20)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default=str(ROOT / "artifacts" / "bench.json"))
    return parser.parse_args(argv)


def _tolerances(text):
    tolerances = tuple(float(part) for part in text.split(",") if part.strip())
    if not tolerances or min(tolerances) <= 0:
        raise argparse.ArgumentTypeError("give positive metres, e.g. 5,10,20")
    return tolerances


def main(argv=None):
    args = parse_args(argv)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results = {}
    for backend in BACKENDS if args.backend == "both" else (args.backend,):
        results[backend] = run_or_explain(backend, args)
        print(report.backend_text(backend, results[backend]), flush=True)
    found = report.verdicts(results)
    print(report.summary_text(results, found))
    report.write_json(args.output, {
        "started": started,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "args": {key: value for key, value in vars(args).items() if key != "output"},
        "backends": results,
        "targets": found,
    })
    print(f"\nfigures saved to {args.output}")
    # A MISS is a finding, not a failure: only a broken run exits non-zero.
    return 1 if any("error" in result for result in results.values()) else 0


def run_or_explain(backend, args):
    """The backend's figures, or {"skipped": why} / {"error": what broke}."""
    reason = skip_reason(backend)
    if reason:
        return {"skipped": reason}
    try:
        return run_backend(backend, args)
    except BenchError as error:
        return {"error": str(error)}


def run_backend(backend, args):
    with tempfile.TemporaryDirectory(prefix=f"gridlink-bench-{backend}-") as instance:
        url = database_url(backend, instance)
        env = app_env(instance, url)
        _progress(f"{backend}: setting up {describe(url)}")
        result = {"database": describe(url), "members": args.members}
        result["setup_s"] = prepare(backend, env, args.members)
        phone, password = demo_login(env)
        with gunicorn(env, os.path.join(instance, "gunicorn.log")) as server:
            client = Client(server.port)
            client.login(phone, password)
            _progress(f"{backend}: grid collections")
            result["grids"], full = measure_grids(client, args.simplify)
            points = grids.sample_points(full, args.points, args.seed)
            _progress(f"{backend}: HTTP load")
            result["http"] = measure_http(server, client.cookie_header(), points, args)
            client.close()
        # After gunicorn has stopped, so that the server does not compete for the CPU.
        _progress(f"{backend}: in-process locate")
        result["inprocess"] = measure_inprocess(env, points)
        return result


def measure_grids(client, tolerances):
    """Figures of the full collection and of each simplification; and the full geometries."""
    figures, raw = grids.measure(client)
    full = grids.geometries(raw)
    rows = [{**figures, **grids.shape(full, full)}]
    for tolerance in tolerances:
        figures, raw = grids.measure(client, tolerance)
        rows.append({**figures, **grids.shape(full, grids.geometries(raw))})
    return rows, full


def measure_http(server, cookie, points, args):
    """Health (the baseline) and locate under the same load, from the same logged-in client.

    Each gets two half-length runs in the order health, locate, locate, health: a drift in the
    machine's other load over the run then weighs on both alike.
    """
    headers = {"Cookie": cookie, "Accept-Encoding": "gzip"}
    paths = {
        "health": ["/api/health"],
        "locate": [f"/api/locate?lat={lat:.6f}&lng={lng:.6f}" for lng, lat in points],
    }
    parts, server_cpu = {"health": [], "locate": []}, {"health": 0.0, "locate": 0.0}
    for name in ("health", "locate", "locate", "health"):
        run_parts, run_cpu = load.run(server, paths[name], headers, clients=args.clients,
                                      warmup=args.warmup, duration=args.duration / 2)
        parts[name] += run_parts
        server_cpu[name] += run_cpu
    health, locate = (
        load.summary(parts[name], server_cpu[name], args.duration) for name in ("health", "locate")
    )
    return {"clients": args.clients, "warmup": args.warmup, "duration": args.duration,
            "health": health, "locate": locate,
            "ratio": locate["rps"] / health["rps"] if health["rps"] else 0.0,
            "cpu_ratio": _cpu_ratio(health, locate)}


def _cpu_ratio(health, locate):
    """Worker CPU of a health request over that of a locate request: the ratio without noise
    from other processes taking the CPU."""
    per_request = health["server_cpu_ms_per_request"], locate["server_cpu_ms_per_request"]
    return per_request[0] / per_request[1] if all(per_request) else None


def measure_inprocess(env, points):
    done = subprocess.run(
        [sys.executable, "-m", "bench.inprocess"],
        cwd=ROOT, env=env, input=json.dumps({"points": points}), capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise BenchError.of_process("bench.inprocess", done)
    return json.loads(done.stdout)


def _progress(message):
    print(f"... {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
