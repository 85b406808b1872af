"""gunicorn as a subprocess: started on a free port, waited for, always stopped by its PID."""
import contextlib
import http.client
import os
import socket
import subprocess
import time
from dataclasses import dataclass

from bench.common import BIN, HOST, ROOT, BenchError

START_TIMEOUT = 60
STOP_TIMEOUT = 15


@dataclass
class Server:
    port: int
    pid: int  # gunicorn's master

    def workers_cpu(self):
        """CPU seconds used so far by the master's worker processes (Linux /proc)."""
        ticks = 0
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                ticks += _child_ticks(entry.name, self.pid)
        return ticks / os.sysconf("SC_CLK_TCK")


def _child_ticks(pid, parent):
    """utime + stime of process `pid` if its parent is `parent`, else 0."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # The command name may hold spaces and parentheses: fields start after the last ')'.
            fields = f.read().rpartition(")")[2].split()
    except OSError:  # the process has gone meanwhile
        return 0
    return int(fields[11]) + int(fields[12]) if int(fields[1]) == parent else 0


@contextlib.contextmanager
def gunicorn(env, log_path, workers=2):
    """Serve wsgi:app with `workers` sync workers; yields a Server once /api/health answers."""
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"{HOST}:{port}",
               "wsgi:app"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, process, log_path)
        yield Server(port, process.pid)
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
