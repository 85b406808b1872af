"""The emergency scenario: the district admin switches the whole district to a flood response
(514 grids, the flood template in each, a roll-call of everyone), a member's next pull sees
it, then every person asked acknowledges over HTTP from many clients at once, a tenth of
them twice (a phone resending after a lost answer).

Logging 13,000 people in would measure scrypt, not the roll-call: their sessions are signed
in this process with the server's secret key (the cookie and CSRF token a login would have
given) and that set-up stays out of the timings.
"""

import http.client
import multiprocessing
import os
import random
import time

from bench.client import Client
from bench.common import HOST, BenchError
from bench.database import demo_login, query
from bench.load import percentile

CLIENTS = 16
RESEND_SHARE = 0.1


def measure(server, env, url, logins, seed, meters=None):
    """`meters`: name -> function giving CPU seconds used so far (the workers', PostgreSQL's),
    read around the acknowledgements for their CPU per request."""
    admin, member = Client(server.port), Client(server.port)
    try:
        admin.login(*demo_login(logins, "district_admin"))
        member.login(*demo_login(logins, "grid_member"))
        cursor = _pull_to_end(member, None)
        body = {
            "kind": "flood",
            "level": "II",
            "drill": True,  # a drill: it behaves the same and stays out of statistics
            "reason": "性能测试：全区防汛演练",
            "scope": {"level": "district"},
        }
        switched = admin.post_json("/api/emergency/switches", body)
        if switched.status != 201:
            raise BenchError(f"the switch answered {switched.status}: {switched.body[:300]!r}")
        item = switched.json()
        started = time.perf_counter()
        page = member.get(f"/api/sync/pull?cursor={cursor}")
        pull_s = time.perf_counter() - started
        seen = any(
            change["entity"] == "emergency" and change["id"] == item["id"]
            for change in page.json()["changes"]
        )
    finally:
        admin.close()
        member.close()
    made = query(url, "SELECT count(*) AS n FROM task WHERE emergency_id = :id", id=item["id"])
    asked = query(
        url,
        "SELECT u.id FROM roll_call_person p "
        "JOIN user_account u ON u.id = p.user_id WHERE p.roll_call_id = :id ORDER BY u.id",
        id=item["roll_call"],
    )
    sessions = _sessions(env, [row.id for row in asked])
    figures = {
        "grids": len(item["grids"]),
        "tasks": made[0].n,
        "switch_s": switched.seconds,
        "pull_s": pull_s,
        "pull_sees_switch": seen,
        "asked": len(asked),
    }
    figures.update(_roll_call(server.port, item["roll_call"], sessions, seed, meters or {}))
    counted = query(
        url,
        "SELECT count(acknowledged_at) AS acked, "
        "(SELECT count(*) FROM history WHERE entity = 'rollcall' AND entity_id = :id "
        " AND action = 'acknowledge') AS logged "
        "FROM roll_call_person WHERE roll_call_id = :id",
        id=item["roll_call"],
    )[0]
    figures["acknowledged"], figures["history_rows"] = counted.acked, counted.logged
    return figures


def _pull_to_end(client, cursor):
    for _ in range(200):
        path = "/api/sync/pull" + (f"?cursor={cursor}" if cursor else "")
        reply = client.get(path)
        if reply.status != 200:
            raise BenchError(f"pull answered {reply.status}")
        page = reply.json()
        cursor = page["cursor"]
        if not page["has_more"]:
            return cursor
    raise BenchError("the first sync did not end")


def _sessions(env, people):
    """(cookie header, CSRF token) per person, as a login would have made them."""
    os.environ.update({k: v for k, v in env.items() if k in ("SECRET_KEY", "GRIDLINK_INSTANCE")})
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from app import create_app
    from app.extensions import db
    from app.people import sessions
    from app.people.models import User

    app = create_app("prod", {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
    signer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    made = []
    for user_id in people:
        with app.test_request_context():
            user = db.session.get(User, user_id)
            sessions.start(user, False, "127.0.0.1")
            db.session.commit()
            session["_user_id"] = user.get_id()
            session["_fresh"] = False
            token = generate_csrf()
            made.append((f"{name}={signer.dumps(dict(session))}", token))
    return made


def _ready():
    return True


def _roll_call(port, call_id, sessions, seed, meters):
    order = list(range(len(sessions)))
    rng = random.Random(seed)
    rng.shuffle(order)
    resends = rng.sample(order, int(len(order) * RESEND_SHARE))
    work = [(sessions[i], False) for i in order] + [(sessions[i], True) for i in resends]
    slices = [work[n::CLIENTS] for n in range(CLIENTS)]
    with multiprocessing.get_context("spawn").Pool(CLIENTS) as pool:
        # The clients started (a spawned process imports the bench: seconds on two busy
        # cores) before the clock starts, as the HTTP load's are: the server is measured.
        pool.starmap(_ready, [()] * CLIENTS, chunksize=1)
        cpu = {name: meter() for name, meter in meters.items()}
        started = time.perf_counter()
        parts = pool.starmap(_acknowledge, [(port, call_id, part) for part in slices], chunksize=1)
        wall = time.perf_counter() - started
        cpu = {name: meter() - cpu[name] for name, meter in meters.items()}
    latencies = sorted(ms for part in parts for ms in part["ms"])
    errors = sum(part["errors"] for part in parts)
    return {
        "requests": len(work),
        "resends": len(resends),
        "errors": errors,
        "error_samples": [s for part in parts for s in part["samples"]][:5],
        "wall_s": wall,
        "req_per_s": len(work) / wall,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        **{f"{name}_cpu_ms_per_req": seconds * 1000 / len(work) for name, seconds in cpu.items()},
    }


def _acknowledge(port, call_id, work):
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    found = {"ms": [], "errors": 0, "samples": []}
    path = f"/api/rollcalls/{call_id}/ack"
    for (cookie, token), _ in work:
        headers = {"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json"}
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=60)
            found["errors"] += 1
            found["samples"].append(repr(error))
            continue
        found["ms"].append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            found["errors"] += 1
            found["samples"].append(f"{response.status} {body[:200]!r}")
    connection.close()
    return found


def lines(f):
    bare = f.get("bare_insert_ratio")
    return [
        "",
        "emergency: whole district switched to a flood response (drill), then the roll-call",
        f"  switch: {f['grids']} grids, {f['tasks']} tasks, roll-call of {f['asked']}: "
        f"{f['switch_s']:.2f} s; next pull {f['pull_s'] * 1000:.0f} ms, sees it: "
        f"{f['pull_sees_switch']}",
        f"  acknowledgements: {f['requests']} requests ({f['resends']} resends) from {CLIENTS} "
        f"clients in {f['wall_s']:.1f} s, {f['req_per_s']:.0f} req/s"
        + (f" = {bare:.2f} x bare /insert" if bare is not None else "")
        + f", p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms, errors {f['errors']}",
        *(
            [
                "  CPU per acknowledgement: "
                + ", ".join(
                    f"{label} {f[f'{name}_cpu_ms_per_req']:.2f} ms"
                    for name, label in (("server", "workers"), ("database", "PostgreSQL"))
                    if f"{name}_cpu_ms_per_req" in f
                )
            ]
            if "server_cpu_ms_per_req" in f
            else []
        ),
        f"  counted: {f['acknowledged']} acknowledged of {f['asked']} asked, "
        f"{f['history_rows']} history rows (each exactly once)",
        *(f"  error: {sample}" for sample in f["error_samples"]),
    ]
