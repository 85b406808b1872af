"""The live scenario: the district admin switches the whole district (a drill of kind "other",
so the emergency scenario's flood switch keeps its own tasks) and watches the live view while
most people are still silent: a poll's bytes on the wire (gzip), its time over N sequential
polls, that a repeat with the ETag answers 304, that a poll after some acknowledgements sees
them under a new tag, and a page of one community's silent names. The switch is ended after.
"""

import json
import statistics
import time

from bench import emergency
from bench.client import Client
from bench.common import BenchError, module_figures
from bench.database import demo_login, query
from bench.load import percentile

POLLS = 50
READS = 8  # polls each after SHARED_S: each reads the figures anew
ACK_SHARE = 0.05  # most stay silent: a twentieth answer before the last poll
GZIP = {"Accept-Encoding": "gzip"}


def measure(server, env, url, logins):
    admin = Client(server.port)
    try:
        admin.login(*demo_login(logins, "district_admin"))
        body = {
            "kind": "other",
            "level": "II",
            "drill": True,
            "reason": "性能测试：全区应急看板",
            "scope": {"level": "district"},
        }
        switched = admin.post_json("/api/emergency/switches", body)
        if switched.status != 201:
            raise BenchError(f"the switch answered {switched.status}: {switched.body[:300]!r}")
        item = switched.json()
        polls = [_poll(admin) for _ in range(POLLS)]
        cpu = _cpu(env, demo_login(logins, "district_admin"))
        # SHARED_S as the server has it (app.config, imported here, would read this process's
        # environment instead of the server's).
        shared_s = cpu["shared_s"]
        reads = []
        for _ in range(READS):
            time.sleep(shared_s + 0.1)
            reads.append(_poll(admin))
        first = polls[-1]
        tag = first.headers.get("ETag")
        repeat = admin.get("/api/emergency/live", {**GZIP, "If-None-Match": tag or ""})
        asked = query(
            url,
            "SELECT user_id FROM roll_call_person WHERE roll_call_id = :id ORDER BY user_id",
            id=item["roll_call"],
        )
        answering = [row.user_id for row in asked][:: int(1 / ACK_SHARE)]
        sessions = emergency._sessions(env, answering)
        acks = emergency._acknowledge(
            server.port, item["roll_call"], [(s, False) for s in sessions]
        )
        time.sleep(shared_s)  # past the reading the polls before the acknowledgements shared
        after = admin.get("/api/emergency/live", {**GZIP, "If-None-Match": tag or ""})
        seen = _figures(after, item["id"])
        community = seen["streets"][0]["communities"][-1]["code"]
        silent = admin.get(
            f"/api/rollcalls/{item['roll_call']}/silent?unit={community}&limit=50", GZIP
        )
        ended = admin.post_json(f"/api/emergency/switches/{item['id']}/end", {"note": "测完"})
        if ended.status != 200:
            raise BenchError(f"ending the switch answered {ended.status}")
    finally:
        admin.close()
    ms = sorted(reply.seconds * 1000 for reply in polls)
    read_ms = sorted(reply.seconds * 1000 for reply in reads)
    return {
        "asked": len(asked),
        "polls": POLLS,
        "wire_bytes": len(first.wire),
        "body_bytes": len(first.body),
        "encoding": first.headers.get("Content-Encoding") or "identity",
        "median_ms": statistics.median(ms),
        "p99_ms": percentile(ms, 99),
        "reads": READS,
        "read_median_ms": statistics.median(read_ms),
        "read_max_ms": read_ms[-1],
        "cpu": cpu,
        "repeat_status": repeat.status,
        "repeat_wire_bytes": len(repeat.wire),
        "acknowledged": len(answering) - acks["errors"],
        "after_status": after.status,
        "after_sees": seen["acknowledged"],
        "silent_wire_bytes": len(silent.wire),
        "silent_ms": silent.seconds * 1000,
        "silent_people": sum(len(g["people"]) for g in silent.json()["groups"]),
    }


def _cpu(env, login):
    """bench.live_cpu's figures: CPU ms per poll in process, shared and read anew."""
    phone, password = login
    return module_figures(
        "bench.live_cpu", env=env, stdin=json.dumps({"phone": phone, "password": password})
    )


def _poll(client):
    reply = client.get("/api/emergency/live", GZIP)
    if reply.status != 200:
        raise BenchError(f"the live view answered {reply.status}: {reply.body[:300]!r}")
    return reply


def _figures(reply, switch_id):
    if reply.status != 200:
        raise BenchError(f"the live view after acknowledgements answered {reply.status}")
    for row in reply.json()["switches"]:
        if row["switch"]["id"] == switch_id:
            return row["roll_call"]
    raise BenchError("the live view does not show the switch")


def lines(f):
    cpu = f["cpu"]
    return [
        "",
        f"live view: the district admin polling a district roll-call of {f['asked']}",
        f"  a poll: {f['wire_bytes'] / 1000:.1f} kB on the wire ({f['encoding']}; "
        f"{f['body_bytes'] / 1000:.1f} kB of JSON), median {f['median_ms']:.1f} ms, "
        f"p99 {f['p99_ms']:.1f} ms over {f['polls']} polls (sharing a reading of the figures); "
        f"reading them anew: median {f['read_median_ms']:.1f} ms, max {f['read_max_ms']:.1f} ms "
        f"over {f['reads']} polls",
        f"  in process, CPU per poll over {cpu['polls']}: shared "
        f"p50 {cpu['shared']['p50_ms']:.1f} ms, p99 {cpu['shared']['p99_ms']:.1f} ms; "
        f"read anew p50 {cpu['read']['p50_ms']:.1f} ms, p99 {cpu['read']['p99_ms']:.1f} ms",
        f"  a repeat with its ETag: {f['repeat_status']} ({f['repeat_wire_bytes']} bytes); "
        f"after {f['acknowledged']} acknowledgements: {f['after_status']}, "
        f"{f['after_sees']} seen",
        f"  a community's first page of silent names: {f['silent_people']} people, "
        f"{f['silent_wire_bytes'] / 1000:.1f} kB, {f['silent_ms']:.0f} ms",
    ]
