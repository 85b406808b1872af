"""What a request costs the worker around its own work: `python -m bench.overhead [URL]`.

Each request goes through the app's WSGI callable in process, with an environ built as
gunicorn builds one (the member's session cookie, `Accept-Encoding: gzip`), on the small
district of `bench.roundtrips` (a PostgreSQL URL's schema `public` is dropped: give it a
database of its own). Two figures per request: the **Python function calls** it makes
(cProfile's count over 200 requests: it does not depend on what else the machine runs, so
two runs on a busy machine compare), and the **CPU** per request (`time.process_time`,
median of rounds: it does). `--profile NAME` prints cProfile's table of that request.
"""

import os

os.environ.setdefault("PSYCOPG_IMPL", "binary")  # noqa: E402  (as served, before psycopg loads)

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time

from werkzeug.test import EnvironBuilder

from bench import roundtrips, writes

WARM = 200
COUNTED = 200


def _requests(url, count):
    app, _, community, (lng, lat) = roundtrips._app(url)
    member = roundtrips._client(app, "13800000001")
    secretary = roundtrips._client(app, "13800000002")
    # An acknowledgement per roll-call: each request acknowledges, none is a resend.
    call = {"scope": {"level": "community", "codes": [community]}, "message": "叫应"}
    with app.app_context():
        calls = [
            roundtrips._json(secretary, "POST", "/api/rollcalls", call).get_json()["id"]
            for _ in range(count)
        ]
    cookie = "; ".join(f"{c.key}={c.value}" for c in member._cookies.values())
    headers = {
        "Cookie": cookie,
        "Accept-Encoding": "gzip",
        "Host": "127.0.0.1:8000",
        "User-Agent": member.environ_base["HTTP_USER_AGENT"],  # the login's: no re-sign
        "Connection": "keep-alive",
    }

    def environ(method, path, body=None, anonymous=False):
        sent = dict(headers)
        if anonymous:
            sent.pop("Cookie")
        if body is not None:
            sent["Content-Type"] = "application/json"
            sent["X-CSRFToken"] = member.token
        return EnvironBuilder(
            path=path,
            method=method,
            headers=sent,
            data=body,
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        ).get_environ()

    reports = writes.Reports([(lng, lat)])
    return app, {
        "health": lambda n: environ("GET", "/api/health"),
        "health (anonymous)": lambda n: environ("GET", "/api/health", anonymous=True),
        "locate": lambda n: environ("GET", f"/api/locate?lat={lat}&lng={lng}"),
        "GET /api/me": lambda n: environ("GET", "/api/me"),
        "report": lambda n: environ("POST", "/api/incidents", reports(n)[2]),
        "acknowledgement": lambda n: environ("POST", f"/api/rollcalls/{calls[n]}/ack", "{}"),
    }


def _send(app, environ):
    status = []
    body = app(environ, lambda s, h, e=None: status.append(s))
    for _ in body:
        pass
    getattr(body, "close", lambda: None)()
    assert status[0][:1] in "23", status[0]


def run(url, rounds, per_round, profile=None):
    count = WARM + COUNTED + rounds * per_round
    app, requests = _requests(url, count)
    out = {}
    for name, make in requests.items():
        environs = [make(n) for n in range(count)]
        for environ in environs[:WARM]:
            _send(app, environ)
        counter = cProfile.Profile(time.process_time)
        counter.enable()
        for environ in environs[WARM : WARM + COUNTED]:
            _send(app, environ)
        counter.disable()
        stats = pstats.Stats(counter)
        cpu, k = [], WARM + COUNTED
        for _ in range(rounds):
            started = time.process_time()
            for environ in environs[k : k + per_round]:
                _send(app, environ)
            cpu.append((time.process_time() - started) * 1000 / per_round)
            k += per_round
        out[name] = {
            "calls": round(stats.total_calls / COUNTED),
            "cpu_ms": round(statistics.median(cpu), 3),
        }
        if name == profile:
            text = io.StringIO()
            pstats.Stats(counter, stream=text).sort_stats("cumulative").print_stats(60)
            print(text.getvalue())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--profile", metavar="NAME", help="print cProfile's table of NAME")
    args = parser.parse_args()
    url = args.url or "sqlite:///" + tempfile.mkdtemp() + "/gridlink.db"
    out = run(url, args.rounds, args.per_round, args.profile)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; CPU is the median of {args.rounds} rounds")
    for name, figures in out.items():
        print(f"{name:20} {figures['calls']:6} Python calls  {figures['cpu_ms']:7.3f} ms CPU")


if __name__ == "__main__":
    sys.exit(main())
