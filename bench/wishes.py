"""The wishes scenario (微心愿): fifty party members claim one wish at once over HTTP, run after
run (exactly one may hold it, every run: the rest are told it is claimed), and the wall of a
community holding 500 open wishes, in bytes on the wire (the target is under 100 kB).

The claimants' sessions are signed in this process (bench/emergency.py's way: a login would
measure scrypt) and the wishes are written here through the app's models, outside the timings.

    .venv/bin/python -m bench.wishes [--backend sqlite|postgis] [--runs 5]   # alone, ~1 min
"""

import argparse
import gzip
import http.client
import json
import os
import tempfile
import threading
import time
import uuid

from bench.common import HOST
from bench.database import (
    app_env,
    database_url,
    demo_login,
    demo_logins,
    describe,
    prepare,
    query,
)
from bench.emergency import _sessions
from bench.server import gunicorn

CLAIMANTS = 50
WALL = 500


def _app(env):
    os.environ.update({k: v for k, v in env.items() if k in ("SECRET_KEY", "GRIDLINK_INSTANCE")})
    from app import create_app

    return create_app("prod", {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})


def _set_up(env, logins, runs):
    """The demo secretary's community: 50 party members reported to it, one published wish
    per run and 500 more on its wall (with the demo's own few). Returns (community code,
    claimant ids, race wish ids)."""
    app = _app(env)  # first: the app's settings are read from the environment at import
    from sqlalchemy import select

    from app import clock
    from app.extensions import db
    from app.people.models import PARTY_MEMBER, User
    from app.units.models import Unit
    from app.wishes.models import PUBLISHED, Wish

    with app.app_context():
        member = db.session.execute(
            select(User).where(User.phone == demo_login(logins, "grid_member")[0])
        ).scalar()
        grid = db.session.execute(
            select(Unit).where(Unit.id.in_([u.id for u in member.units]))
        ).scalar()
        community = grid.parent
        claimants = [
            User(phone=f"135{n:08d}", name=f"党员{n}", password_hash="!", role=PARTY_MEMBER)
            for n in range(CLAIMANTS)
        ]
        for claimant in claimants:
            claimant.units = [community]
        db.session.add_all(claimants)
        now = clock.now()

        def wish(need):
            return Wish(
                id=str(uuid.uuid4()),
                community_id=community.id,
                grid_id=grid.id,
                category="daily_needs",
                need=need,
                place="锦江路3栋附近",
                beneficiary_name="杨秀英",
                beneficiary_phone="13800001111",
                address="锦江路12号3栋2单元401",
                state=PUBLISHED,
                recorded_by_id=member.id,
                created_at=now,
                updated_at=now,
                published_at=now,
            )

        races = [wish(f"性能测试：第{run + 1}轮认领") for run in range(runs)]
        wall = [wish(f"给独居老人送一台电饭煲（{n + 1}）") for n in range(WALL)]
        db.session.add_all([*races, *wall])
        db.session.commit()
        return community.code, [c.id for c in claimants], [w.id for w in races]


def _race(port, wish_id, sessions):
    """Every claimant's POST released at once by a barrier, each on its own connection."""
    barrier = threading.Barrier(len(sessions))
    statuses = [None] * len(sessions)

    def claim(index, cookie, token):
        connection = http.client.HTTPConnection(HOST, port, timeout=120)
        headers = {"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json"}
        try:
            connection.connect()
            barrier.wait(timeout=60)
            connection.request("POST", f"/api/wishes/{wish_id}/claim", body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            code = json.loads(body).get("error", {}).get("code") if response.status != 200 else None
            statuses[index] = response.status if code in (None, "wish_claimed") else code
        except (OSError, http.client.HTTPException, ValueError) as error:
            statuses[index] = repr(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(i, *session)) for i, session in enumerate(sessions)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, time.perf_counter() - started


def measure(server, env, url, logins, runs=5):
    community, claimants, races = _set_up(env, logins, runs)
    sessions = _sessions(env, claimants)
    rounds = []
    for wish_id in races:
        statuses, wall_s = _race(server.port, wish_id, sessions)
        live = query(
            url, "SELECT count(*) AS n FROM wish_claim WHERE wish_id = :w AND live", w=wish_id
        )[0].n
        rounds.append(
            {
                "ok": statuses.count(200),
                "refused": statuses.count(409),
                "other": [s for s in statuses if s not in (200, 409)][:3],
                "live_claims": live,
                "wall_s": wall_s,
            }
        )
    cookie, token = sessions[0]
    connection = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request(
            "GET",
            f"/api/wishes/wall?community={community}",
            headers={"Cookie": cookie, "Accept-Encoding": "gzip"},
        )
        response = connection.getresponse()
        wire = response.read()
        wall_ms = (time.perf_counter() - started) * 1000
        encoding = response.headers.get("Content-Encoding") or "identity"
    finally:
        connection.close()
    body = gzip.decompress(wire) if encoding == "gzip" else wire
    shown = json.loads(body)
    return {
        "claimants": CLAIMANTS,
        "runs": rounds,
        "exactly_one": all(r["ok"] == 1 and r["live_claims"] == 1 for r in rounds),
        "wall_status": response.status,
        "wall_wishes": len(shown) if isinstance(shown, list) else None,
        "wall_wire_bytes": len(wire),
        "wall_raw_bytes": len(body),
        "wall_encoding": encoding,
        "wall_ms": wall_ms,
        "masked": "杨秀英" not in body.decode() and "13800001111" not in body.decode(),
    }


def lines(f):
    races = ", ".join(f"{r['ok']}/{r['refused']}" for r in f["runs"])
    return [
        "",
        f"wishes: {f['claimants']} party members claim one wish at once, {len(f['runs'])} runs",
        f"  held/told claimed per run: {races}; exactly one every run: {f['exactly_one']}"
        + "".join(f"; other: {r['other']}" for r in f["runs"] if r["other"]),
        f"  the wall of {f['wall_wishes']} open wishes: {f['wall_wire_bytes'] / 1000:.1f} kB on "
        f"the wire ({f['wall_encoding']}; {f['wall_raw_bytes'] / 1000:.1f} kB of JSON) in "
        f"{f['wall_ms']:.0f} ms; beneficiary masked: {f['masked']}",
    ]


def _race_target(result):
    f = result.get("wishes")
    if f is not None:
        winners = [r["ok"] for r in f["runs"]]
        yield max(winners), f["exactly_one"], f"winners per run {winners}"


def _wall_target(result):
    f = result.get("wishes")
    if f is not None:
        yield (
            f["wall_wire_bytes"],
            f["wall_status"] == 200 and f["wall_wishes"] >= WALL and f["masked"],
            f"{f['wall_wishes']} wishes, {f['wall_wire_bytes'] / 1000:.1f} kB {f['wall_encoding']}",
        )


# bench/targets.json's ids measured here.
TARGETS = {"wish_race": _race_target, "wish_wall_wire": _wall_target}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.wishes", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgis"), default="postgis")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--members", type=int, default=700)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gridlink-bench-wishes-") as instance:
        url = database_url(args.backend, instance)
        env = app_env(instance, url)
        print(f"setting up {describe(url)}", flush=True)
        prepare(args.backend, env, args.members)
        logins = demo_logins(env)
        log = os.path.join(instance, "gunicorn.log")
        with gunicorn(env, log, 2, 1, app="wsgi:app", ready="/api/health") as server:
            figures = measure(server, env, url, logins, args.runs)
    print("\n".join(lines(figures)))
    return 0 if figures["exactly_one"] and figures["wall_wire_bytes"] < 100_000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
