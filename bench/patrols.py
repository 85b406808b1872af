"""The patrols scenario: the demo grid member walks a day's patrol (2,900 points, one every
10 s: 8 hours) sent through sync in 10 batches of `patrol.track`, and ends it. Figures: each
batch's time in the server process (a push request through the app, in process: no network,
no gunicorn), its size on the wire gzipped, the end (which computes coverage), and coverage
alone (median of repeats). `python -m bench.patrols` reads the demo logins (JSON, stdin) and
prints figures; it runs with gunicorn's environment, after gunicorn has stopped.
"""

import gzip
import json
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from sqlalchemy import select

from bench.common import ROOT, BenchError

POINTS, BATCHES, REPEATS = 2900, 10, 7


def measure(env, logins):
    done = subprocess.run(
        [sys.executable, "-m", "bench.patrols"],
        cwd=ROOT,
        env=env,
        input=json.dumps(logins),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError.of_process("bench.patrols", done)
    return json.loads(done.stdout)


def _push(client, token, device, commands):
    body = json.dumps({"device_id": device, "commands": commands})
    cpu, started = time.process_time(), time.perf_counter()
    response = client.post(
        "/api/sync/push",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if response.status_code != 200:
        raise BenchError(f"push answered {response.status_code}: {response.get_data()[:300]!r}")
    statuses = {r["status"] for r in response.get_json()["results"]}
    if statuses != {"applied"}:
        raise BenchError(f"push receipts {statuses}: {response.get_json()['results'][:2]}")
    return seconds * 1000, len(gzip.compress(body.encode())), cpu * 1000


def run(logins):
    # Imported here: app.config reads the environment, which is gunicorn's in this process.
    from app import clock, create_app
    from app.extensions import db
    from app.patrols import demo, track
    from app.patrols.models import Patrol
    from app.people.models import GRID_MEMBER, User
    from app.units import spatial

    login = next(row for row in logins if row["role"] == GRID_MEMBER)
    app = create_app()
    client = app.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    answer = client.post(
        "/api/auth/login",
        json={"phone": login["phone"], "password": login["password"]},
        headers={"X-CSRFToken": token},
    )
    if answer.status_code != 200:
        raise BenchError(f"login answered {answer.status_code}")
    token = answer.headers.get("X-CSRFToken") or token
    with app.app_context():
        member = db.session.execute(select(User).where(User.phone == login["phone"])).scalar()
        grid = next(u for u in member.units if u.level == "grid")
        grid_id, code, shape = grid.id, grid.code, grid.geom
    started = clock.now() - timedelta(seconds=10 * POINTS)
    points = demo.walk(shape, POINTS)
    patrol_id, device = str(uuid.uuid4()), str(uuid.uuid4())
    start = {"id": patrol_id, "grid": code, "device_time": started.isoformat()}
    _push(client, token, device, [_command(1, "patrol.start", start)])
    size = POINTS // BATCHES
    batches = []
    for n in range(BATCHES):
        args = demo.batch(points[: (n + 1) * size], n * size + 1, started)
        args = {"id": patrol_id, **args, "start": started.isoformat()}
        batches.append(_push(client, token, device, [_command(n + 2, "patrol.track", args)]))
    end_ms, _, _ = _push(
        client, token, device, [_command(BATCHES + 2, "patrol.end", {"id": patrol_id})]
    )
    with app.app_context():
        patrol = db.session.get(Patrol, patrol_id)
        counted = track.Points.stored(patrol.track, patrol.samples).counted(
            app.config["PATROL_ACCURACY_M"]
        )
        line = counted.shape()
        timings, cpu = [], []
        for _ in range(REPEATS):
            began, cpu_began = time.perf_counter(), time.process_time()
            share = spatial.coverage(grid_id, line, app.config["PATROL_COVERAGE_M"])
            timings.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - cpu_began) * 1000)
        figures = {
            "points": patrol.points,
            "batches": BATCHES,
            "batch_ms": [ms for ms, _, _ in batches],
            "max_batch_ms": max(ms for ms, _, _ in batches),
            "median_batch_ms": statistics.median(ms for ms, _, _ in batches),
            # The server process's own CPU: what a loaded machine's waiting leaves out.
            "max_batch_cpu_ms": max(cpu for _, _, cpu in batches),
            "batch_gzip_bytes": statistics.median(b for _, b, _ in batches),
            "end_ms": end_ms,
            "coverage_ms": statistics.median(timings),
            "coverage_cpu_ms": statistics.median(cpu),
            "coverage": share,
            "length_m": patrol.length_m,
        }
    return figures


def _command(seq, kind, args):
    return {"command_id": str(uuid.uuid4()), "seq": seq, "type": kind, "args": args}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
