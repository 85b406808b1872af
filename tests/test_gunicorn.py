"""gunicorn's own answers (a request it cannot read) keep the API's JSON error shape."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _exchange(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw)
        connection.shutdown(socket.SHUT_WR)  # nothing more: gunicorn answers and closes
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port, tmp = _free_port(), tmp_path_factory.mktemp("gunicorn")
    env = {**os.environ, "GRIDLINK_ENV": "dev", "GRIDLINK_INSTANCE": str(tmp)}
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py", "--workers", "1"]
        + ["--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # up once its worker answers (the app takes seconds to import)
            assert process.poll() is None, "gunicorn exited"
            try:
                if _exchange(port, b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")[0]:
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /api/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET /api/health HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 9000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"GET /api/health HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(60))
            + b"\r\n",
            431,
            "headers_too_large",
        ),
        (b"GET /api/health HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"),
    ],
)
def test_what_gunicorn_refuses_is_answered_in_json(server, request_bytes, status, code):
    got, headers, body = _exchange(server, request_bytes)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code and error["fields"] == {} and error["message"]
