"""`flask worker run`: the background worker. It sends pending Web Push messages and runs
the periodic jobs that would otherwise need cron, each in its own app context."""

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.extensions import db
from app.notify.models import JobRun

log = logging.getLogger("gridlink.worker")

worker_cli = AppGroup("worker", help="The background worker: pushes and periodic jobs.")

# Set by SIGTERM / SIGINT: the worker finishes the job in hand and stops.
STOP = threading.Event()


@dataclass
class Job:
    name: str
    every_s: float  # 0: every round
    fn: object


JOBS: dict[str, Job] = {}


def register_job(name, every_s, fn):
    """Run fn() about every `every_s` seconds in the worker (0: every round), in an app
    context of its own; it commits its own work. Registering a name again replaces it."""
    JOBS[name] = Job(name, every_s, fn)


def send_pushes():
    """Push everything that may go now, a batch of people at a time."""
    from app.notify.push import send_pending

    limit = current_app.config["PUSH_BATCH_PEOPLE"]
    while not STOP.is_set():
        result = send_pending(limit=limit)
        if result.people or result.none:
            log.info("push: %s", result)
        if result.people < limit:
            return


def escalate_incidents():
    from app.incidents.services import escalate_overdue

    moved = escalate_overdue()
    if moved:
        log.info("incidents: %s case(s) moved up", moved)


def prune_uploads():
    from app.uploads import tus

    removed = tus.prune()
    if removed:
        log.info("uploads: %s abandoned upload(s) removed", removed)


def prune_logins():
    from app.people.prune import prune

    sessions, attempts = prune()
    if sessions or attempts:
        log.info("logins: %s ended session(s), %s old login attempt(s) removed", sessions, attempts)


def escalate_roll_calls():
    from app.emergency.rollcalls import escalate_roll_calls

    escalated = escalate_roll_calls()
    if escalated:
        log.info("roll-calls: %s silent person(s) escalated", escalated)


def patrol_jobs():
    from app.patrols import plans, services

    # Patrols left running first: they hold back the judging of their grids' windows.
    ended = services.end_left_running()
    missed, reduced = plans.check_missed(), services.reduce_old()
    if ended or missed or reduced:
        log.info(
            "patrols: %s left running ended, %s plan window(s) missed, %s track(s) reduced",
            ended,
            missed,
            reduced,
        )


register_job("push", 0, send_pushes)
register_job("incidents.escalate", 60, escalate_incidents)
register_job("uploads.prune", 24 * 3600, prune_uploads)
register_job("logins.prune", 24 * 3600, prune_logins)
register_job("rollcalls.escalate", 60, escalate_roll_calls)
register_job("patrols", 300, patrol_jobs)


def assessment():
    from app.assessment import exports, facts

    rebuilt = facts.refresh()
    made = exports.run_pending()
    if rebuilt or made:
        log.info("assessment: %s entities' facts rebuilt, %s export(s) made", rebuilt, made)


register_job("assessment", 60, assessment)


def claim_period(name, every_s):
    """Whether this worker runs periodic job `name` now: True for exactly one of the workers
    asking (on any node) once `every_s` seconds have passed since it last started. The claim
    is a conditional UPDATE of the job's row, committed at once: a second worker's UPDATE
    waits for the first and then finds the row no longer due. A worker that dies after its
    claim leaves that period's run undone; the jobs catch up on what is due at their next."""
    now = clock.now()
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(JobRun).values(name=name).on_conflict_do_nothing())
    claimed = db.session.execute(
        update(JobRun)
        .where(
            JobRun.name == name,
            or_(JobRun.started_at.is_(None), JobRun.started_at <= now - timedelta(seconds=every_s)),
        )
        .values(started_at=now)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _run_job(app, job):
    with app.app_context():
        try:
            # Jobs of every round (the pushes) claim their own work, row by row.
            if job.every_s and not claim_period(job.name, job.every_s):
                return
            job.fn()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed; the worker carries on", job.name)
        finally:
            db.session.remove()


def run(app, interval, once=False, jobs=None):
    """Round after round until STOP: every job that is due (by its claim in the database,
    whichever worker last ran it), then a wait of `interval`."""
    jobs = list((jobs or JOBS).values())
    while not STOP.is_set():
        for job in jobs:
            if STOP.is_set():
                break
            _run_job(app, job)
        if once:
            break
        STOP.wait(interval)


@worker_cli.command("run")
@click.option("--once", is_flag=True, help="one round of every job, then exit")
@click.option(
    "--interval", type=float, default=None, help="seconds between rounds [PUSH_WORKER_INTERVAL_S]"
)
def run_command(once, interval):
    """Send pending pushes and run the periodic jobs until SIGTERM."""
    app = current_app._get_current_object()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    interval = app.config["PUSH_WORKER_INTERVAL_S"] if interval is None else interval

    def stop(signum, frame):
        log.info("signal %s: stopping after the job in hand", signum)
        STOP.set()

    STOP.clear()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("worker: jobs %s, a round every %ss", ", ".join(JOBS), interval)
    try:
        run(app, interval, once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("worker stopped" if STOP.is_set() else "worker: one round done")
