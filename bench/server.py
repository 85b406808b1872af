"""gunicorn as a subprocess: started on a free port, waited for, always stopped by its PID."""
import contextlib
import http.client
import socket
import subprocess
import time

from bench.common import BIN, HOST, ROOT, BenchError

START_TIMEOUT = 60
STOP_TIMEOUT = 15


@contextlib.contextmanager
def gunicorn(env, log_path, workers=2):
    """Serve wsgi:app with `workers` sync workers; yields the port once /api/health answers."""
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"{HOST}:{port}",
               "wsgi:app"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, process, log_path)
        yield port
    finally:
        _stop(process)


def _free_port():
    # The port may be taken again between here and gunicorn's bind: unlikely on loopback,
    # and a failed bind shows up as gunicorn exiting during the wait.
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_healthy(port, process, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        if _health_status(port) == 200:
            return
        time.sleep(0.2)
    raise BenchError(f"no answer from /api/health in {START_TIMEOUT} s:\n{_tail(log_path)}")


def _health_status(port):
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/api/health")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def _stop(process):
    # SIGTERM lets the master stop its workers; SIGKILL only if it does not within the timeout.
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path, lines=30):
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(f.readlines()[-lines:])
