"""HTTP load: client processes on one fixed time window, counting requests, errors and latency."""
import http.client
import math
import multiprocessing
import time
from collections import Counter

from bench.common import HOST


def run(server, paths, headers, *, clients, warmup, duration):
    """Hit `paths` from `clients` processes for warmup + duration seconds.

    Returns one part per client and the CPU seconds the server's workers used in the window.
    Each process cycles through its own slice of the paths so that clients do not ask for the
    same point in lockstep. Only requests started inside the timed window are counted.
    """
    # CLOCK_MONOTONIC is system-wide on Linux, so every process shares one window; spawned
    # processes start within the warm-up.
    window_start = time.monotonic() + warmup
    window_end = window_start + duration
    jobs = [
        (server.port, paths[i::clients] or paths, headers, window_start, window_end)
        for i in range(clients)
    ]
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        pending = pool.starmap_async(_client, jobs)
        _sleep_until(window_start)
        cpu_start = server.workers_cpu()
        _sleep_until(window_end)
        server_cpu = server.workers_cpu() - cpu_start
        return pending.get(), server_cpu


def _sleep_until(moment):
    time.sleep(max(0.0, moment - time.monotonic()))


def _client(port, paths, headers, window_start, window_end):
    """One client process: (ok count, error Counter, latencies in ms, CPU seconds in window)."""
    # gunicorn's sync workers close every connection after one response: http.client then
    # reconnects on the next request, so each request pays one loopback TCP connect.
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    ok, errors, latencies = 0, Counter(), []
    cpu_start = None
    i = 0
    while (started := time.monotonic()) < window_end:
        path = paths[i % len(paths)]
        i += 1
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            outcome = response.status
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            outcome = type(error).__name__
        if started < window_start:
            continue
        if cpu_start is None:
            cpu_start = time.process_time()
        latencies.append((time.monotonic() - started) * 1000)
        if isinstance(outcome, int) and 200 <= outcome < 300:
            ok += 1
        else:
            errors[str(outcome)] += 1
    connection.close()
    cpu = time.process_time() - cpu_start if cpu_start is not None else 0.0
    return ok, errors, latencies, cpu


def summary(parts, server_cpu, duration):
    """Figures of client parts from runs that lasted `duration` timed seconds in all."""
    errors = sum((part[1] for part in parts), Counter())
    latencies = sorted(ms for part in parts for ms in part[2])
    ok = sum(part[0] for part in parts)
    return {
        "requests": ok + sum(errors.values()),
        "ok": ok,
        "errors": dict(errors),
        "rps": ok / duration,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "client_cpu_cores": sum(part[3] for part in parts) / duration,
        "server_cpu_cores": server_cpu / duration,
        # Less noisy than req/s: what one request costs the workers, whatever else runs.
        "server_cpu_ms_per_request": server_cpu * 1000 / ok if ok else None,
    }


def percentile(ordered, q):
    """Nearest-rank percentile of an ascending list; None if it is empty."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(len(ordered) * q / 100)) - 1]
