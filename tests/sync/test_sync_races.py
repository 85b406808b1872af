"""The same command from twenty connections at the same moment is applied once: one receipt
says "applied", the nineteen others "duplicate" with the same outcome and result."""

import threading
import time
import uuid
from collections import Counter

from sqlalchemy import create_engine, func, select, text

from app.history.models import HistoryEntry
from app.incidents.models import Incident
from app.sync import services
from app.sync.models import Command
from app.tasks.models import Claim, Task
from tests.builders import report_body
from tests.sync.conftest import command, logged_in
from tests.tasks.conftest import jsonable, task_body

THREADS = 20


def push_at_once(clients, device, batch):
    """Every client sends the same batch, released together by a barrier."""
    barrier, answers, errors = threading.Barrier(len(clients)), [None] * len(clients), []

    def send(i, client):
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/sync/push", json={"device_id": device, "commands": batch})
            assert response.status_code == 200, (response.status_code, response.get_json())
            answers[i] = response.get_json()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a push hung"
    if errors:
        raise errors[0]
    return answers


def applied_once(answers, seq):
    """Exactly one connection applied command `seq`; the others got the same as duplicates."""
    receipts = [next(r for r in answer["results"] if r["seq"] == seq) for answer in answers]
    assert Counter(r["status"] for r in receipts) == {"applied": 1, "duplicate": THREADS - 1}
    assert {r["outcome"] for r in receipts} == {"applied"}
    assert len({repr(r["result"]) for r in receipts}) == 1
    return receipts[0]["result"]


def count(db, *where, of=HistoryEntry):
    return db.session.execute(select(func.count()).select_from(of).where(*where)).scalar()


def test_same_command_from_20_threads_applies_once(app, cast, db, postgis_only, monkeypatch):
    # Two commands per transaction: the batch of three below is two transactions, and a copy
    # may take the device between them; each command still applies once.
    monkeypatch.setattr(services, "BATCH", 2)
    member = cast.member.id
    clients = [logged_in(app, cast.member) for _ in range(THREADS)]
    secretary = logged_in(app, cast.secretary)
    created = secretary.post("/api/tasks", json=jsonable(task_body(grid=cast.grid, capacity=1)))
    task = created.get_json()["id"]
    device = str(uuid.uuid4())  # new: twenty connections also race to register it
    report = report_body(cast.grid)

    # One command at a time: a report, a claim of the task's only place, a comment.
    rounds = [
        command(1, "incident.report", report),
        command(2, "task.claim", {"id": task}),
        command(3, "comment", {"entity": "incident", "id": report["id"], "note": "补充：有异味"}),
    ]
    for cmd in rounds:
        answers = push_at_once(clients, device, [cmd])
        assert applied_once(answers, cmd["seq"])["id"] in (report["id"], task)
        assert {answer["last_seq"] for answer in answers} == {cmd["seq"]}

    # Then a batch of three, the same from everyone: each command still applies once.
    second = report_body(cast.grid)
    batch = [
        command(4, "incident.report", second),
        command(5, "comment", {"entity": "task", "id": task, "note": "已到现场"}),
        command(6, "task.claim", {"id": task}),  # already held: harmless, applied
    ]
    answers = push_at_once(clients, device, batch)
    for cmd in batch:
        applied_once(answers, cmd["seq"])

    db.session.expire_all()
    assert count(db, of=Incident) == 2
    for incident in (report["id"], second["id"]):
        assert count(db, HistoryEntry.entity_id == incident, HistoryEntry.action == "report") == 1
    assert count(db, HistoryEntry.action == "comment", HistoryEntry.note == "补充：有异味") == 1
    assert count(db, HistoryEntry.action == "comment", HistoryEntry.note == "已到现场") == 1
    assert count(db, HistoryEntry.entity_id == task, HistoryEntry.action == "claim") == 1
    assert db.session.get(Task, task).claimed == 1
    assert count(db, Claim.task_id == task, Claim.user_id == member, Claim.live, of=Claim) == 1
    seqs = db.session.execute(
        select(Command.seq).where(Command.device_id == device).order_by(Command.seq)
    ).scalars()
    assert list(seqs) == [1, 2, 3, 4, 5, 6]


def test_a_claim_that_loses_a_race_to_the_members_own_claim_still_moves_the_device_on(
    app, cast, db, postgis_only
):
    """The member claims a one-place task at a web tab while the phone's queued claim of the
    same task is being applied. The phone's claim finds the task full, looks, finds the
    member's own claim and succeeds, with nothing of the push undone: had it rolled back, the
    device's step would be gone and its next command wait for it (a gap, forever)."""
    phone = logged_in(app, cast.member)
    secretary = logged_in(app, cast.secretary)
    created = secretary.post("/api/tasks", json=jsonable(task_body(grid=cast.grid, capacity=1)))
    task = created.get_json()["id"]
    device = str(uuid.uuid4())
    claim = command(1, "task.claim", {"id": task})
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    tab = engine.connect()
    try:
        # The web tab's claim holds the task's row...
        tab.begin()
        tab.execute(text("SELECT id FROM task WHERE id = :t FOR UPDATE"), {"t": task})
        answers = {}
        pushing = threading.Thread(
            target=lambda: answers.update(
                push=phone.post("/api/sync/push", json={"device_id": device, "commands": [claim]})
            )
        )
        pushing.start()
        waiting_for_a_lock(engine, pushing)  # ...while the phone's claim waits for it
        tab.execute(text("UPDATE task SET claimed = claimed + 1 WHERE id = :t"), {"t": task})
        tab.execute(
            text(
                "INSERT INTO task_claim (task_id, user_id, claimed_at, live) "
                "VALUES (:t, :u, now(), true)"
            ),
            {"t": task, "u": cast.member.id},
        )
        tab.commit()
        pushing.join(timeout=30)
        assert not pushing.is_alive()
    finally:
        tab.close()
        engine.dispose()

    response = answers["push"]
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["results"][0]["status"] == "applied"  # the member holds it
    assert response.get_json()["last_seq"] == 1
    following = command(2, "comment", {"entity": "task", "id": task, "note": "已认领"})
    answer = phone.post("/api/sync/push", json={"device_id": device, "commands": [following]})
    assert answer.get_json()["results"][0]["status"] == "applied", answer.get_json()


def waiting_for_a_lock(engine, thread, timeout=10):
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while True:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return
            assert thread.is_alive() and time.monotonic() < deadline, "nobody waits for the lock"
            time.sleep(0.01)
