"""`python -m bench.live_cpu` (stdin: {"phone", "password"} of a leader; prints figures): the
live view's CPU in process, one thread, through the app's test client (the route, its JSON and
gzip; no socket): CPU ms per poll (process time) when the poll shares a reading of the figures
made by an earlier one (what most polls of many leaders are), and when each poll reads them
anew (the first poll of each SHARED_S, SHARED_S set to 0 here), each as p50 and p99.

Run by bench/live.py with the server's environment while the district switch is on, as its own
process because app.config reads the environment when it is imported.
"""

import gzip
import json
import sys
import time

from app import create_app
from app.emergency import live
from bench.load import percentile

POLLS = 200


def main():
    login = json.load(sys.stdin)
    client = create_app().test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    answer = client.post("/api/auth/login", json=login, headers={"X-CSRFToken": token})
    if answer.status_code != 200:
        sys.exit(f"login answered {answer.status_code}")
    figures = {"polls": POLLS, "shared_s": live.SHARED_S}
    for name, shared_s in (("shared", live.SHARED_S), ("read", 0)):
        live.SHARED_S = shared_s
        _poll(client)  # the reading the shared polls share
        ms = sorted(_cpu_ms(client) for _ in range(POLLS))
        figures[name] = {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)}
    json.dump(figures, sys.stdout)


def _poll(client):
    answer = client.get("/api/emergency/live", headers={"Accept-Encoding": "gzip"})
    body = answer.get_data()
    if answer.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    if answer.status_code != 200 or not json.loads(body)["switches"]:
        sys.exit(f"the live view answered {answer.status_code} with no switch")


def _cpu_ms(client):
    started = time.process_time()
    _poll(client)
    return (time.process_time() - started) * 1000


if __name__ == "__main__":
    main()
