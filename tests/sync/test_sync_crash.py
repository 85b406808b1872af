"""A real server killed with SIGKILL in the middle of a push loses nothing it committed (whole
transactions of the push's commands, in order) and, when the phone resends the whole batch,
applies nothing twice.

gunicorn runs as its own process group against the test PostgreSQL database; the phone
speaks plain HTTP to it (cookie and CSRF token, as the PWA does).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.sync.services import BATCH as COMMANDS_PER_TRANSACTION
from tests.builders import report_body
from tests.conftest import PASSWORD
from tests.sync.conftest import command

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
BATCH = 300
KILL_AFTER = 100  # commands committed before the kill: well inside the batch


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn in its own process group, so one killpg takes the master and its worker."""

    def __init__(self, app, tmp_path):
        self.env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],  # sessions signed here stay valid there
            "COOKIE_SECURE": "0",
            "GRIDLINK_ENV": "dev",
            "GRIDLINK_INSTANCE": str(tmp_path / "instance"),
            "PHOTO_ROOT": str(tmp_path / "photos"),
        }
        self.log = tmp_path / "gunicorn.log"
        self.process = None
        self.port = None

    def start(self):
        self.port = free_port()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{self.port}"]
                + ["--timeout", "120", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                status, _, _ = self.request("GET", "/api/health")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not come up:\n{self.log.read_text()}")

    def kill(self):
        """SIGKILL to master and worker at once: no shutdown, no cleanup."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def request(self, method, path, body=None, headers=None, timeout=10):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            sent = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


class Phone:
    """A logged-in phone: the session cookie and the CSRF token it sends with every push."""

    def __init__(self):
        self.cookies, self.token = {}, None

    def call(self, server, method, path, body=None, timeout=10):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.token:
            headers["X-CSRFToken"] = self.token
        status, answer, data = server.request(method, path, body, headers, timeout)
        for header in answer.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        self.token = answer.get("X-CSRFToken") or self.token
        return status, json.loads(data) if data else None

    def login(self, server, user):
        status, body = self.call(server, "GET", "/api/auth/csrf")
        assert status == 200, body
        self.token = body["csrf_token"]
        status, body = self.call(
            server, "POST", "/api/auth/login", {"phone": user.phone, "password": PASSWORD}
        )
        assert status == 200, body


def rows(engine, sql, **params):
    with engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def test_a_server_killed_mid_push_loses_nothing_and_duplicates_nothing(
    app, cast, tmp_path, postgis_only
):
    user = cast.member
    device = str(uuid.uuid4())
    batch = [command(i, "incident.report", report_body(cast.grid)) for i in range(1, BATCH + 1)]
    body = {"device_id": device, "commands": batch}
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    server = Server(app, tmp_path)

    def applied():
        sql = "SELECT count(*) FROM sync_command WHERE device_id = :device"
        return rows(engine, sql, device=device)[0][0]

    try:
        server.start()
        phone = Phone()
        phone.login(server, user)

        outcome = {}

        def push():
            try:
                outcome["answer"] = phone.call(server, "POST", "/api/sync/push", body, 120)
            except (OSError, http.client.HTTPException) as error:  # the server died
                outcome["error"] = error

        pushing = threading.Thread(target=push)
        pushing.start()
        deadline = time.monotonic() + 60
        while applied() < KILL_AFTER:
            assert time.monotonic() < deadline, "the push never got going"
            assert pushing.is_alive(), f"the push ended before the kill: {outcome}"
            time.sleep(0.005)
        server.kill()
        pushing.join(timeout=30)
        assert not pushing.is_alive()
        # The answer is one JSON document at the end: the phone got no receipt at all.
        assert "error" in outcome, outcome

        time.sleep(0.5)  # the database notices the dead connection and rolls it back
        committed = applied()
        assert KILL_AFTER <= committed < BATCH
        assert committed % COMMANDS_PER_TRANSACTION == 0  # the one under way was lost whole
        seqs = rows(
            engine, "SELECT seq FROM sync_command WHERE device_id = :d ORDER BY seq", d=device
        )
        assert [seq for (seq,) in seqs] == list(range(1, committed + 1))  # a prefix, in order
        assert rows(engine, "SELECT count(*) FROM incident")[0][0] == committed

        # The phone resends its whole outbox to a new server.
        server.start()
        status, answer = phone.call(server, "POST", "/api/sync/push", body, 120)
        assert status == 200, answer
        receipts = answer["results"]
        assert [r["seq"] for r in receipts] == list(range(1, BATCH + 1))
        assert {r["status"] for r in receipts[:committed]} == {"duplicate"}
        assert {r["status"] for r in receipts[committed:]} == {"applied"}
        assert {r["outcome"] for r in receipts} == {"applied"}
        assert [r["result"]["id"] for r in receipts] == [c["args"]["id"] for c in batch]
        assert answer["last_seq"] == BATCH
    finally:
        server.kill()

    try:
        seqs = rows(
            engine, "SELECT seq FROM sync_command WHERE device_id = :d ORDER BY seq", d=device
        )
        assert [seq for (seq,) in seqs] == list(range(1, BATCH + 1))
        incidents = {i for (i,) in rows(engine, "SELECT id FROM incident")}
        assert incidents == {c["args"]["id"] for c in batch}
        reports = rows(
            engine,
            "SELECT entity_id, count(*) FROM history WHERE action = 'report' GROUP BY entity_id",
        )
        assert len(reports) == BATCH and {n for _, n in reports} == {1}
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _gunicorn_installed():
    if not GUNICORN.exists():
        # gunicorn is pinned in requirements.txt: without it the crash proof would vanish.
        pytest.fail(f"gunicorn not installed next to {sys.executable}")
