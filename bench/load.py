"""HTTP load: client processes on one fixed time window, counting outcomes and latency.

The processes are started once per bench run (a spawned process imports the bench, which
takes a while on two busy cores) and each run hands every one of them a Job.
"""

import gzip
import http.client
import json
import math
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import HOST, BenchError

REQUEST_TIMEOUT = 30  # seconds, per request
START_TIMEOUT = 120  # seconds for the client processes to start
STOP_TIMEOUT = 5  # seconds for an idle client process to exit when asked


@dataclass(frozen=True)
class Job:
    """What one client process sends in one run: `request(i)` for i = start, start + 1, ...
    returns (method, path, body or None), optionally followed by headers of that request and
    a tag that prefixes its outcome ("login 200"); or None when it has nothing more to send.
    If `request` has a method `answered(response, body)`, it is given every answer (e.g. to
    keep a cookie). 2xx answers are as intended, and so are the outcomes named in `expected`
    (e.g. "409 task_full"); anything else is an error."""

    headers: dict
    request: Callable
    start: int = 0
    expected: frozenset = field(default_factory=frozenset)


class Paths:
    """GET each path in turn."""

    def __init__(self, paths):
        self.paths = paths

    def __call__(self, i):
        return "GET", self.paths[i % len(self.paths)], None


class Idle:
    """Nothing to send: a load process left out of a run."""

    def __call__(self, i):
        return None


class Clients:
    """`count` load processes, each with one connection at a time: `count` concurrent clients.

    Use as a context manager: the processes are stopped (asked, then terminated by their
    handle) on the way out, whatever happens.
    """

    def __init__(self, count):
        self.count = count
        self._pipes, self._processes = [], []
        self._start()

    def _start(self):
        context = multiprocessing.get_context("spawn")
        try:
            for _ in range(self.count):
                mine, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(theirs,), daemon=True)
                process.start()
                theirs.close()
                self._pipes.append(mine)
                self._processes.append(process)
            for pipe in self._pipes:
                if _receive(pipe, START_TIMEOUT) != "ready":
                    raise BenchError("a load process did not start")
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, port, jobs, meters, *, warmup, duration):
        """Run one job per process for warmup + duration seconds.

        Returns one part per client and, per meter (name: a function giving CPU seconds used
        so far), the CPU seconds used in the window. Only requests started inside the timed
        window are counted.
        """
        if len(jobs) != self.count:
            raise BenchError(f"{len(jobs)} jobs for {self.count} load processes")
        if not self._processes:  # stopped after a broken run: start afresh
            self._start()
        try:
            parts, cpu = self._run(port, jobs, meters, warmup, duration)
        except BaseException:
            self.close()  # a process may still be busy: its late answer must not be read
            raise
        for part in parts:
            if "error" in part:
                raise BenchError(f"a load process failed: {part['error']}")
        return parts, cpu

    def _run(self, port, jobs, meters, warmup, duration):
        # CLOCK_MONOTONIC is system-wide on Linux, so every process shares one window.
        window_start = time.monotonic() + warmup
        window_end = window_start + duration
        for pipe, job in zip(self._pipes, jobs, strict=True):
            pipe.send((port, job, window_start, window_end))
        _sleep_until(window_start)
        cpu_start = {name: meter() for name, meter in meters.items()}
        _sleep_until(window_end)
        cpu = {name: meter() - cpu_start[name] for name, meter in meters.items()}
        # A request started just before the end may take up to its timeout to finish.
        return [_receive(pipe, REQUEST_TIMEOUT + 10) for pipe in self._pipes], cpu

    def close(self):
        """Stop every process: asked to, then terminated (by its handle) if it does not."""
        for pipe in self._pipes:
            try:
                pipe.send(None)
            except OSError:  # the process has gone
                pass
        for process in self._processes:
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.terminate()
                process.join()
        for pipe in self._pipes:
            pipe.close()
        self._pipes, self._processes = [], []


def _receive(pipe, timeout):
    if not pipe.poll(timeout):
        raise BenchError(f"no answer from a load process in {timeout} s")
    try:
        return pipe.recv()
    except EOFError:
        raise BenchError("a load process exited") from None


def _sleep_until(moment):
    time.sleep(max(0.0, moment - time.monotonic()))


def _serve(pipe):
    """A load process: one job after another until told to stop (None)."""
    pipe.send("ready")
    while (message := pipe.recv()) is not None:
        try:
            part = _client(*message)
        except Exception as error:  # reported by the parent as a broken run
            part = {"error": repr(error)}
        pipe.send(part)


def _client(port, job, window_start, window_end):
    """One client's run: outcomes as intended and errors (Counters of outcome labels),
    latencies in ms, CPU seconds in the window, and the next i its job would have sent."""
    # gunicorn's sync workers close every connection after one response: http.client then
    # reconnects on the next request, so each request pays one loopback TCP connect.
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    ok, errors, latencies = Counter(), Counter(), []
    cpu_start = None
    i = job.start
    answered = getattr(job.request, "answered", None)
    while (started := time.monotonic()) < window_end:
        step = job.request(i)
        if step is None:
            break
        method, path, body, headers, tag = (*step, {}, "")[:5]
        i += 1
        try:
            connection.request(method, path, body=body, headers={**job.headers, **headers})
            response = connection.getresponse()
            answer = response.read()
            outcome = _outcome(response, answer)
            if answered:
                answered(response, answer)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            outcome = type(error).__name__
        if started < window_start:
            continue
        if cpu_start is None:
            cpu_start = time.process_time()
        latencies.append((time.monotonic() - started) * 1000)
        intended = outcome.startswith("2") or outcome in job.expected
        (ok if intended else errors)[f"{tag} {outcome}" if tag else outcome] += 1
    connection.close()
    cpu = time.process_time() - cpu_start if cpu_start is not None else 0.0
    return {"ok": ok, "errors": errors, "latencies": latencies, "cpu": cpu, "next": i}


def _outcome(response, body):
    """ "200"; or for an error, the status and the API's error code: "409 task_full"."""
    if 200 <= response.status < 300:
        return str(response.status)
    try:
        return f"{response.status} {json_body(response, body)['error']['code']}"
    except (ValueError, KeyError, TypeError, OSError):  # not the API's error shape
        return str(response.status)


def json_body(response, body):
    """The JSON of an answer, decompressed if it came gzipped."""
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


def summary(parts, cpu, duration):
    """Figures of client parts from runs that lasted `duration` timed seconds in all, and of
    the CPU seconds each meter counted in them (e.g. "server": gunicorn's workers)."""
    outcomes = sum((part["ok"] for part in parts), Counter())
    errors = sum((part["errors"] for part in parts), Counter())
    latencies = sorted(ms for part in parts for ms in part["latencies"])
    ok = sum(outcomes.values())
    figures = {
        "requests": ok + sum(errors.values()),
        "ok": ok,
        "outcomes": dict(outcomes),
        "errors": dict(errors),
        "rps": ok / duration,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "client_cpu_cores": sum(part["cpu"] for part in parts) / duration,
    }
    for name, seconds in cpu.items():
        figures[f"{name}_cpu_cores"] = seconds / duration
        # Less noisy than req/s: what one request costs, whatever else runs.
        figures[f"{name}_cpu_ms_per_request"] = seconds * 1000 / ok if ok else None
    return figures


def percentile(ordered, q):
    """Nearest-rank percentile of an ascending list; None if it is empty."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(len(ordered) * q / 100)) - 1]
