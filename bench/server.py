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
        ticks = sum(_ticks(pid) for pid in _pids() if _parent(pid) == self.pid)
        return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu(database):
    """CPU seconds used so far by the PostgreSQL backends connected to `database` on this
    machine: those whose process title reads "postgres: ... <user> <database> <host>(...)"."""
    ticks = sum(_ticks(pid) for pid in _pids() if _database_of(pid) == database)
    return ticks / os.sysconf("SC_CLK_TCK")


def _pids():
    return [entry.name for entry in os.scandir("/proc") if entry.name.isdigit()]


def _stat(pid):
    """The fields of /proc/<pid>/stat after the command name; [] if the process has gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # The command name may hold spaces and parentheses: fields start after the last ')'.
            return f.read().rpartition(")")[2].split()
    except OSError:
        return []


def _parent(pid):
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _ticks(pid):
    """utime + stime of a process, 0 if it has gone."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def _database_of(pid):
    """The database a PostgreSQL backend serves, from its process title
    "postgres: [cluster:] <user> <database> <host>(<port>) <state>"; None for other processes."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().decode(errors="replace").replace("\0", " ").split()
    except OSError:
        return None
    if not words or words[0] != "postgres:":
        return None
    words = words[1:]
    if words and words[0].endswith(":"):  # the cluster's name, e.g. "15/main:"
        words = words[1:]
    return words[1] if len(words) >= 3 else None


def setup_text(workers, threads):
    """The worker set-up in words: `make run` serves with 2 sync workers."""
    if threads > 1:  # gunicorn switches to its gthread worker, which keeps connections alive
        return f"gunicorn {workers} gthread workers x {threads} threads"
    return f"gunicorn {workers} sync workers"


@contextlib.contextmanager
def gunicorn(env, log_path, workers=2, threads=1, app="wsgi:app", ready="/api/health"):
    """Serve `app` as `make run` serves wsgi:app (2 sync workers, unless told otherwise);
    yields a Server once `ready` answers 200."""
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"{HOST}:{port}"]
    if threads > 1:
        command += ["--threads", str(threads)]
    command.append(app)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, ready, process, log_path)
        yield Server(port, process.pid)
    finally:
        _stop(process)


def _free_port():
    # The port may be taken again between here and gunicorn's bind: unlikely on loopback,
    # and a failed bind shows up as gunicorn exiting during the wait.
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_healthy(port, path, process, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        if _status(port, path) == 200:
            return
        time.sleep(0.2)
    raise BenchError(f"no answer from {path} in {START_TIMEOUT} s:\n{_tail(log_path)}")


def _status(port, path):
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
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
