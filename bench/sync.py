"""The sync scenario, one phone at a time: a push of 500 mixed commands, a member's pull of a
grid's last changes, a secretary's first sync of a community; next to health, same client.

Set-up work (tasks to claim, the history to pull, logins) stays out of the timed requests.
"""

import gzip
import json
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from bench import grids, members, writes
from bench.client import Client
from bench.common import ROOT, BenchError
from bench.database import demo_login, password_of, query

# The push: one device's queue of 500, in groups of 5: 3 reports, a comment on one of them,
# and a claim or a release: per round of 5 groups 3 claims of new tasks, then 2 releases of
# them. In all 300 reports, 100 comments, 60 claims and 40 releases.
GROUPS = 100
REPORTS_PER_GROUP = 3
CLAIMS_PER_ROUND, RELEASES_PER_ROUND = 3, 2
ROUND = CLAIMS_PER_ROUND + RELEASES_PER_ROUND
TASKS_PER_PUSH = GROUPS // ROUND * CLAIMS_PER_ROUND
PUSH_REPEATS = 3  # each with a fresh device and tasks of its own; the median is reported
TASK_CAPACITY = 3
# The pull: incidents reported by a member, each accepted by the secretary, most of them
# commented on: 700 + 700 + 600 = 2000 history rows in one grid, after the member's cursor.
PULL_INCIDENTS = 700
PULL_COMMENTS = 600
PULL_DAYS = 30  # day by day: an incident's rows are near each other, as over a real month
PULL_LIMITS = (500, 2000)  # the default page and the most the server allows
PULL_REPEATS = 3  # from the same cursor: a pull changes nothing
HEALTH_REPEATS = 20  # sequential GET /api/health, before and after the scenario
SINGLE_REPORTS = 20  # POST /api/incidents sent alone, to compare a command's cost with
MAX_PAGES = 200
COMPRESS_MIN_SIZE = 1024  # app/config.py: Flask-Compress leaves smaller bodies as they are
GZIP_LEVEL = 6
NOTE = "补充：现场有异味，已联系物业"
CST = timezone(timedelta(hours=8))  # phones in the district send their local time
GZIP = {"Accept-Encoding": "gzip"}  # on every request, as the phone sends it


def measure(server, env, url, logins, meters, seed):
    """Every sync figure for one backend, in the order: health, tasks for the pushes (set-up),
    the member's first sync (its cursor), the history to pull (set-up), the pulls, the
    pushes, the secretary's first sync, health again."""
    secretary = Client(server.port)
    member = Client(server.port)
    try:
        secretary_phone, password = demo_login(logins, "secretary")
        secretary.login(secretary_phone, password)
        grid, (member_phone,) = members.claim_team(url, secretary_phone, 1)
        member.login(member_phone, password_of(logins, member_phone))
        points = _points(member, grid, seed)
        health = _health(member)
        out = {"grid": grid, "community": _community(url, grid), "member": member_phone}
        task_ids, create_ms = writes.create_tasks(
            secretary, grid, PUSH_REPEATS * TASKS_PER_PUSH, TASK_CAPACITY
        )

        first = follow(member, None, PULL_LIMITS[0], meters)
        out["member_first_sync"] = first["figures"]
        people = {"member": member_phone, "secretary": secretary_phone}
        out["pull"] = _pull(member, env, url, grid, people, points, first["cursor"], meters)
        out["push"] = {**_push(member, points, task_ids, meters), "task_create_ms": create_ms}
        out["secretary_first_sync"] = {
            str(limit): follow(secretary, None, limit, meters)["figures"] for limit in PULL_LIMITS
        }
        health += _health(member)
        out["health_ms"] = statistics.median(health)
        out["health_requests"] = len(health)
        return out
    finally:
        secretary.close()
        member.close()


def _community(url, grid):
    return query(
        url,
        "SELECT c.code FROM unit g JOIN unit c ON c.id = g.parent_id WHERE g.code = :code",
        code=grid,
    )[0].code


def _points(client, grid, seed):
    """Random points inside the grid, from the served map (feature ids are grid codes)."""
    features = json.loads(client.get("/api/grids", GZIP).body)["features"]
    raw = json.dumps(
        {"type": "FeatureCollection", "features": [f for f in features if f["id"] == grid]}
    )
    geoms = grids.geometries(raw)
    if len(geoms) != 1:
        raise BenchError(f"grid {grid} is not in /api/grids")
    return grids.sample_points(geoms, GROUPS * REPORTS_PER_GROUP, seed)


def _health(client):
    """ms of sequential GET /api/health over the same client: the baseline of this scenario."""
    times = []
    for _ in range(HEALTH_REPEATS):
        reply = client.get("/api/health", GZIP)
        if reply.status != 200:
            raise BenchError(f"GET /api/health: {reply.status}")
        times.append(reply.seconds * 1000)
    return times


# -- requests ------------------------------------------------------------------------------------


def encode(payload):
    """JSON as a browser's JSON.stringify sends it: UTF-8, no spaces."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def post(client, path, body, headers=None):
    """An unsafe request with the session's CSRF token; the body already encoded."""
    headers = {
        "Content-Type": "application/json",
        "X-CSRFToken": client.csrf_token,
        **GZIP,
        **(headers or {}),
    }
    return client.request("POST", path, headers, body)


def _cpu(meters):
    return {name: meter() for name, meter in meters.items()}


def _cpu_ms(meters, before):
    return {f"{name}_cpu_ms": (meter() - before[name]) * 1000 for name, meter in meters.items()}


def follow(client, cursor, limit, meters):
    """Pull from `cursor` (None: a first sync) following has_more to the end.

    Figures: wall ms of the whole loop (requests, and reading each answer for its cursor),
    pages, changes and distinct entities, bytes as sent and decompressed, how each was sent.
    """
    pages = changes = deletes = wire = raw = small = 0
    encodings, entities = Counter(), {"incident": set(), "task": set()}
    snapshot_pages = 0
    cpu = _cpu(meters)
    started = time.perf_counter()
    while True:
        path = f"/api/sync/pull?limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        reply = client.get(path, GZIP)
        if reply.status != 200:
            raise BenchError(f"GET /api/sync/pull: {reply.status} {reply.body[:300]!r}")
        body = reply.body
        page = json.loads(body)
        pages += 1
        wire += len(reply.wire)
        raw += len(body)
        encoding = reply.headers.get("Content-Encoding", "identity")
        encodings[encoding] += 1
        small += encoding != "gzip" and len(body) < COMPRESS_MIN_SIZE
        snapshot_pages += page["snapshot"]
        for change in page["changes"]:
            changes += 1
            deletes += change["op"] == "del"
            entities.setdefault(change["entity"], set()).add(change["id"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
        if pages >= MAX_PAGES:
            raise BenchError(f"a pull did not end in {MAX_PAGES} pages")
    seconds = time.perf_counter() - started
    figures = {
        "limit": limit,
        "ms": seconds * 1000,
        "pages": pages,
        "snapshot_pages": snapshot_pages,
        "changes": changes,
        "deletes": deletes,
        "incidents": len(entities["incident"]),
        "tasks": len(entities["task"]),
        "wire_bytes": wire,
        "raw_bytes": raw,
        "encodings": dict(encodings),
        # Every answer gzipped but those under Flask-Compress's minimum size.
        "compressed": encodings.get("gzip", 0) + small == pages,
        "uncompressed_small": small,
        **_cpu_ms(meters, cpu),
    }
    return {"figures": figures, "cursor": cursor}


# -- the pull ------------------------------------------------------------------------------------


def _pull(member, env, url, grid, people, points, cursor, meters):
    """~2000 history rows in the grid after the member's cursor (set-up, by bench.history),
    then the member's pull from that cursor, PULL_REPEATS times per page size."""
    before = _history_rows(url, grid)
    made = _history(env, people, points)
    rows = _history_rows(url, grid) - before
    by_limit = {}
    for limit in PULL_LIMITS:
        runs = [follow(member, cursor, limit, meters)["figures"] for _ in range(PULL_REPEATS)]
        by_limit[str(limit)] = {**_median_run(runs), "runs_ms": [run["ms"] for run in runs]}
    return {
        "rows": rows,
        "incidents_made": len(made["incidents"]),
        "comments_made": PULL_COMMENTS,
        "days": PULL_DAYS,
        "setup_s": made["seconds"],
        "by_limit": by_limit,
    }


def _history_rows(url, grid):
    return query(
        url,
        "SELECT count(*) AS n FROM history h JOIN unit g ON g.id = h.grid_id WHERE g.code = :code",
        code=grid,
    )[0].n


def _history(env, people, points):
    """The grid's month, made by the services in a process of its own (bench.history)."""
    spec = {
        **people,
        "points": points,
        "counts": {"incidents": PULL_INCIDENTS, "comments": PULL_COMMENTS, "days": PULL_DAYS},
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.history"],
        cwd=ROOT,
        env=env,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError.of_process("bench.history", done)
    return json.loads(done.stdout)


def history_plan(points, incidents, comments, days):
    """("report" | "accept" | "comment", body) in the order they happen: day by day, the
    day's reports, then the secretary accepting them, then comments on `comments` of all
    `incidents`, spread evenly."""
    for day in range(days):
        first, last = day * incidents // days, (day + 1) * incidents // days
        reports = [_report(points[i % len(points)]) for i in range(first, last)]
        yield from (("report", report) for report in reports)
        yield from (("accept", {"id": report["id"]}) for report in reports)
        for i, report in zip(range(first, last), reports, strict=True):
            if i * comments // incidents != (i + 1) * comments // incidents:
                yield "comment", _comment(report["id"])


def _median_run(runs):
    """The run of median wall time (its other figures go with it)."""
    return sorted(runs, key=lambda run: run["ms"])[len(runs) // 2]


# -- the push ------------------------------------------------------------------------------------


def _push(member, points, task_ids, meters):
    """PUSH_REPEATS pushes of 500 mixed commands, each from a fresh device with tasks of its
    own, each sent again at once (all duplicates); reports sent alone; a gzipped body."""
    runs, resends = [], []
    for repeat in range(PUSH_REPEATS):
        device = str(uuid.uuid4())
        own = task_ids[repeat * TASKS_PER_PUSH : (repeat + 1) * TASKS_PER_PUSH]
        commands = batch(points[repeat::PUSH_REPEATS] or points, own)
        runs.append(_timed_push(member, device, commands, meters))
        resends.append(_timed_push(member, device, commands, meters))
    first = runs[0]
    return {
        "commands": len(commands),
        "mix": dict(Counter(command["type"] for command in commands)),
        "repeats": PUSH_REPEATS,
        "median": _median_run(runs),
        "runs_ms": [run["ms"] for run in runs],
        "resend": _median_run(resends),
        "resend_runs_ms": [run["ms"] for run in resends],
        "request_bytes": first["request_bytes"],
        "request_gzip_bytes": first["request_gzip_bytes"],
        "gzip_request": _gzip_request(member, points[0]),
        "single_report_ms": _single_reports(member, points),
    }


def batch(points, task_ids):
    """The 500 commands of one push, numbered from 1: see GROUPS."""
    commands = []
    for group in range(GROUPS):
        reports = [
            _report(points[(group * REPORTS_PER_GROUP + k) % len(points)])
            for k in range(REPORTS_PER_GROUP)
        ]
        commands += [("incident.report", report) for report in reports]
        commands.append(("comment", _comment(reports[group % REPORTS_PER_GROUP]["id"])))
        # Per round, claims of new tasks, then releases of the first of them.
        round_, slot = divmod(group, ROUND)
        if slot < CLAIMS_PER_ROUND:
            kind, task = "task.claim", task_ids[round_ * CLAIMS_PER_ROUND + slot]
        else:
            kind, task = (
                "task.release",
                task_ids[round_ * CLAIMS_PER_ROUND + slot - CLAIMS_PER_ROUND],
            )
        commands.append((kind, {"id": task}))
    return [_command(seq, kind, args) for seq, (kind, args) in enumerate(commands, 1)]


def _report(point):
    lng, lat = point
    return {
        "id": str(uuid.uuid4()),
        "category": writes.CATEGORY,
        "description": writes.DESCRIPTION,
        "lat": lat,
        "lng": lng,
        "photos": [{"sha256": secrets.token_hex(32), "kind": "close_up"}],
        "device_time": _now(),
    }


def _comment(incident_id):
    return {"entity": "incident", "id": incident_id, "note": NOTE, "device_time": _now()}


def _command(seq, kind, args):
    return {
        "command_id": str(uuid.uuid4()),
        "seq": seq,
        "type": kind,
        "args": args,
        "device_time": _now(),
    }


def _now():
    return datetime.now(UTC).astimezone(CST).isoformat(timespec="seconds")


def _timed_push(client, device, commands, meters):
    body = encode({"device_id": device, "commands": commands})
    cpu = _cpu(meters)
    reply = post(client, "/api/sync/push", body)
    cpu_ms = _cpu_ms(meters, cpu)
    if reply.status != 200:
        raise BenchError(f"POST /api/sync/push: {reply.status} {reply.body[:300]!r}")
    answer = reply.json()
    return {
        "ms": reply.seconds * 1000,
        "request_bytes": len(body),
        "request_gzip_bytes": len(gzip.compress(body, GZIP_LEVEL)),
        "response_wire_bytes": len(reply.wire),
        "response_raw_bytes": len(reply.body),
        "encoding": reply.headers.get("Content-Encoding", "identity"),
        "statuses": dict(Counter(r["status"] for r in answer["results"])),
        "errors": dict(Counter(r["error"]["code"] for r in answer["results"] if "error" in r)),
        "last_seq": answer["last_seq"],
        **cpu_ms,
    }


def _gzip_request(client, point):
    """Whether the server reads a gzipped request body: one report, Content-Encoding: gzip."""
    body = encode(
        {
            "device_id": str(uuid.uuid4()),
            "commands": [_command(1, "incident.report", _report(point))],
        }
    )
    reply = post(client, "/api/sync/push", gzip.compress(body), {"Content-Encoding": "gzip"})
    applied = reply.status == 200 and reply.json()["results"][0]["status"] == "applied"
    return {"status": reply.status, "accepted": applied, "answer": reply.body[:200].decode()}


def _single_reports(client, points):
    """Median ms of POST /api/incidents sent alone, one after another: what a command costs
    when it is a request of its own."""
    times = []
    for point in points[:SINGLE_REPORTS]:
        reply = post(client, "/api/incidents", encode(_report(point)))
        if reply.status != 201:
            raise BenchError(f"POST /api/incidents: {reply.status} {reply.body[:300]!r}")
        times.append(reply.seconds * 1000)
    return statistics.median(times)
