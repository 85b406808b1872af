"""`flask worker run`: one round runs every job in an app context of its own, a failing job
is logged and the others run, the real jobs push and escalate, SIGTERM stops it cleanly."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import select

from app.extensions import db as _db
from app.notify import cli
from app.notify.models import Message
from app.notify.services import deliver
from tests.notify.conftest import person

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def jobs(monkeypatch):
    """A registry of the test's own, in place of the real one."""
    registry = {}
    monkeypatch.setattr(cli, "JOBS", registry)
    return registry


def test_one_round_runs_every_job_and_a_failure_stops_none(runner, jobs, caplog):
    ran = []

    def failing():
        user = person()
        deliver([user.id], "dispatch", "写了一半")
        _db.session.flush()
        g.marker = "failing"
        raise RuntimeError("boom")

    def after():
        # Its own context (no `g` left from the job before) and a clean transaction: the
        # failing job's writes were rolled back.
        ran.append((getattr(g, "marker", None), _db.session.execute(select(Message)).all()))

    cli.register_job("first", 0, lambda: ran.append("first"))
    cli.register_job("failing", 0, failing)
    cli.register_job("after", 60, after)

    result = runner.invoke(args=["worker", "run", "--once"])

    assert result.exit_code == 0, result.output
    assert "one round done" in result.output
    assert ran == ["first", (None, [])]
    assert "job failing failed" in caplog.text and "boom" in caplog.text


def test_jobs_run_when_due(app, db, jobs, frozen, monkeypatch):
    ran = []
    cli.register_job("often", 0, lambda: ran.append("often"))
    cli.register_job("minutely", 60, lambda: ran.append("minutely"))
    # Rounds at 0, 10, 61 and 70 seconds: the minutely job is due at the first and the third.
    steps = iter([10, 51, 9])

    def wait(seconds):
        step = next(steps, None)
        if step is None:
            cli.STOP.set()
        else:
            frozen.move(seconds=step)

    monkeypatch.setattr(cli.STOP, "wait", wait)
    cli.STOP.clear()
    try:
        cli.run(app, interval=0)
    finally:
        cli.STOP.clear()
    assert ran == ["often", "minutely", "often", "often", "minutely", "often"]


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_racing_run_a_periodic_job_once_per_period(app, db, jobs, frozen, workers):
    """Workers on several nodes share one claim per period: started together, one of them
    runs the job; in the next period one runs it again; a job of every round runs in all."""
    hourly, rounds = [], []
    start = threading.Barrier(workers)

    def job():
        hourly.append(threading.current_thread().name)
        time.sleep(0.05)  # still running while the others ask

    cli.register_job("hourly", 3600, job)
    cli.register_job("always", 0, lambda: rounds.append(1))

    def worker():
        start.wait()
        cli.run(app, interval=0, once=True)

    for period in (1, 2):
        threads = [threading.Thread(target=worker, name=f"w{i}") for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(hourly) == period
        assert len(rounds) == workers * period
        frozen.move(minutes=59)
        cli.run(app, interval=0, once=True)  # 59 minutes on: not due for anyone
        assert len(hourly) == period
        del rounds[-1]
        frozen.move(minutes=1)


def test_the_real_jobs_push_and_escalate(runner, sender, monkeypatch):
    user, (phone,) = sender()
    deliver([user.id], "rollcall", "叫应：请回复")
    _db.session.commit()
    called = []
    monkeypatch.setattr(
        "app.incidents.services.escalate_overdue", lambda: called.append("incidents") or 0
    )
    monkeypatch.setattr("app.uploads.tus.prune", lambda: called.append("uploads") or 0)
    monkeypatch.setattr(
        "app.emergency.rollcalls.escalate_roll_calls", lambda: called.append("rollcalls") or 0
    )

    result = runner.invoke(args=["worker", "run", "--once"])

    assert result.exit_code == 0, result.output
    assert [shown["title"] for shown in phone.shown()] == ["叫应：请回复"]
    assert called == ["incidents", "uploads", "rollcalls"]


def test_sigterm_stops_the_worker_cleanly(app, db, tmp_path):
    env = dict(
        os.environ,
        GRIDLINK_ENV="test",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        GRIDLINK_INSTANCE=str(tmp_path),
        FLASK_APP="wsgi",
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", "run", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Started once it has logged its jobs; then let it go a few rounds.
        deadline = time.monotonic() + 60
        started = ""
        while "worker: jobs" not in started and time.monotonic() < deadline:
            started += process.stderr.readline()
        assert "worker: jobs" in started, started
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "worker stopped" in out
    assert "Traceback" not in err
