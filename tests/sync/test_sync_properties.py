"""Several phones against the real server code, over a faulty network, with restarts.

A `Phone` here is the client of docs/sync.md, written from the document: an outbox numbered
1, 2, 3…, receipts that empty it, a resend from `expected_seq` after a gap, a pull loop that
follows `has_more`, applies puts and tombstones and stores them with the cursor per page, and
overlays dropped once a pull has caught up with them. Hypothesis interleaves what three
phones do (two members of one grid, the community's secretary) with what the network does to
them: offline and online, requests dropped, answers dropped after the server committed, a
batch sent twice in a row or from two connections at once, a batch arriving ahead of the one
before it, and server restarts; the secretary's desk changes things under them meanwhile.

After every step the server keeps its promises: everything acknowledged is stored once, as
acknowledged; each device's commands are 1..last_seq with no gap, applied in that order; no
incident and no comment twice; no task over capacity. After every completed pull, and at the
end once every phone is back online and flushed, each phone holds what a fresh snapshot of
its user's area holds.
"""

import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text

from app import clock
from app.extensions import db as _db
from app.history.models import HistoryEntry
from app.incidents.models import Incident
from app.sync.models import Command, Device
from app.tasks.models import Claim, Task
from tests.builders import report_body
from tests.sync.conftest import command, empty_written, logged_in, restart_server
from tests.sync.test_pull import pull_all, state
from tests.tasks.conftest import jsonable, task_body

APPLIED, REJECTED, DUPLICATE, GAP = "applied", "rejected", "duplicate", "gap"
# Derived from the clock when presented, not stored: they change with no history entry, so
# no pull brings their change (by design), and a long run could see one flip.
TIME_DERIVED = {"due", "overdue"}
FAULTS = (
    "normal",
    "drop_request",  # the request never reaches the server
    "drop_response",  # the server commits, the answer is lost
    "twice",  # the batch sent again at once (a retry that raced a slow answer)
    "concurrent",  # the same batch from two connections at the same moment
    "ahead",  # a later batch arrives first: the server answers with a gap
    "restart_between",  # the answer is lost, the server restarts, the phone resends
)


def comparable(held):
    return {
        key: {k: v for k, v in data.items() if k not in TIME_DERIVED} for key, data in held.items()
    }


def fresh_snapshot(client):
    """The oracle: what a phone of this user would hold after a first sync now."""
    changes, _, pages = pull_all(client, limit=2000)
    assert pages[0]["snapshot"] is True
    return state(changes)


class Phone:
    """One install of one user: the client side of docs/sync.md."""

    def __init__(self, name, user_id, client, twin):
        self.name, self.user_id = name, user_id
        self.client, self.twin = client, twin  # twin: a second connection, same user
        self.device = None

    def reset(self):
        """A fresh install (a new example)."""
        self.device = str(uuid.uuid4())
        self.next_seq = 1
        self.outbox = []  # commands not answered yet, in seq order
        self.sent = {}  # command_id -> every command the user made
        self.receipts = {}  # command_id -> the first final receipt
        self.processed = set()  # command_ids answered "applied" or "rejected" (not duplicate)
        self.overlay = {}  # command_id -> result, applied but not yet caught up by a pull
        self.held = {}  # (entity, id) -> data, as pulled
        self.cursor = None
        self.online = True

    # -- commands up ---------------------------------------------------------------------------

    def act(self, type_, args):
        cmd = command(self.next_seq, type_, args)
        cmd["device_time"] = clock.now().isoformat()
        self.next_seq += 1
        self.outbox.append(cmd)
        self.sent[cmd["command_id"]] = cmd
        return cmd

    def mark(self):
        """A note naming the next command, to find its history entry."""
        return f"{self.name} #{self.next_seq}"

    def _post(self, client, batch):
        response = client.post("/api/sync/push", json={"device_id": self.device, "commands": batch})
        assert response.status_code == 200, (response.status_code, response.get_json())
        return response.get_json()

    def _at_once(self, batch):
        barrier, answers, errors = threading.Barrier(2), [None, None], []

        def send(i, client):
            try:
                barrier.wait(timeout=10)
                answers[i] = self._post(client, batch)
            except BaseException as error:  # re-raised below, in the test's thread
                errors.append(error)

        threads = [
            threading.Thread(target=send, args=(i, client))
            for i, client in enumerate((self.client, self.twin))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a push hung"
        if errors:
            raise errors[0]
        return answers

    def take(self, answer, batch):
        """Apply an answer's receipts; the seq to resend from after a gap, else None."""
        results = answer["results"]
        ordered = sorted(batch, key=lambda c: c["seq"])
        assert [r["seq"] for r in results] == [c["seq"] for c in ordered[: len(results)]]
        assert GAP not in [r["status"] for r in results[:-1]], "the batch goes on after a gap"
        if not results or results[-1]["status"] != GAP:
            assert len(results) == len(batch), "a receipt is missing"
        for receipt in results:
            event(f"receipt: {receipt['status']}")
            if receipt["status"] == REJECTED:
                event(f"rejected: {receipt['error']['code']}")
            cmd = self.sent[receipt["command_id"]]
            assert cmd["seq"] == receipt["seq"]
            if receipt["status"] == GAP:
                expected = receipt["expected_seq"]
                assert expected < receipt["seq"]
                assert expected in [c["seq"] for c in self.outbox], (
                    f"the server expects {expected}, which the phone no longer holds"
                )
                return expected
            self._final(cmd, receipt)
        assert answer["last_seq"] >= max((self.sent[c]["seq"] for c in self.receipts), default=0)
        return None

    def _final(self, cmd, receipt):
        status, outcome = receipt["status"], receipt["outcome"]
        assert status in (APPLIED, REJECTED, DUPLICATE), receipt
        assert outcome in (APPLIED, REJECTED) and status in (outcome, DUPLICATE), receipt
        if outcome == REJECTED:
            assert receipt["error"]["code"] not in ("id_taken", "gap"), receipt
        else:
            assert receipt["result"]["id"] == cmd["args"]["id"], receipt
        if status != DUPLICATE:  # processed once: every other copy is a duplicate
            assert cmd["command_id"] not in self.processed, receipt
            self.processed.add(cmd["command_id"])
        first = self.receipts.setdefault(cmd["command_id"], receipt)
        same = ("outcome", "result", "error")
        assert {k: first.get(k) for k in same} == {k: receipt.get(k) for k in same}
        if first is receipt and outcome == APPLIED:
            self.overlay[cmd["command_id"]] = receipt["result"]
        self.outbox = [c for c in self.outbox if c["command_id"] != cmd["command_id"]]

    def flush(self, app, fault="normal", size=50):
        """Push the outbox in seq order, in batches, until it is empty or the network fails."""
        if not self.online:
            return
        resend_from = None
        for attempt in range(200):
            if not self.outbox:
                return
            start = resend_from or self.outbox[0]["seq"]
            batch = [c for c in self.outbox if c["seq"] >= start][:size]
            now = fault if attempt == 0 else "normal"
            event(f"push: {now}")
            if now == "drop_request":
                return
            if now == "drop_response":
                self._post(self.client, batch)
                return
            if now == "ahead" and len(self.outbox) > 1:
                batch = self.outbox[1 : 1 + size]
            if now == "twice":
                answers = [self._post(self.client, batch), self._post(self.client, batch)]
            elif now == "concurrent":
                answers = self._at_once(batch)
            elif now == "restart_between":
                self._post(self.client, batch)
                restart_server(app)
                answers = [self._post(self.client, batch)]
            else:
                answers = [self._post(self.client, batch)]
            resend_from = None
            for answer in answers:
                resend_from = self.take(answer, batch) or resend_from
        raise AssertionError("the outbox does not drain")

    # -- changes down --------------------------------------------------------------------------

    def pull(self, limit=500, lose_page=None):
        """Pull until has_more is false; True if it got there. The answer to page `lose_page`
        is lost: the phone keeps what it stored, with the cursor stored with it."""
        if not self.online:
            return False
        acknowledged = set(self.overlay)
        page_number = 0
        while True:
            query = f"/api/sync/pull?limit={limit}"
            if self.cursor:
                query += f"&cursor={self.cursor}"
            response = self.client.get(query)
            if response.status_code == 410:  # resync: drop pulled data, keep the outbox
                self.held, self.cursor = {}, None
                continue
            assert response.status_code == 200, response.get_json()
            if page_number == lose_page:
                return False
            page = response.get_json()
            held = dict(self.held)
            for code in page["drop_scopes"]:
                held = {key: data for key, data in held.items() if not _within(data, code)}
            for change in page["changes"]:
                key = (change["entity"], change["id"])
                if change["op"] == "put":
                    held[key] = change["data"]
                else:
                    assert change["op"] == "del", change
                    held.pop(key, None)
            self.held, self.cursor = held, page["cursor"]  # one local transaction
            page_number += 1
            if not page["has_more"]:
                break
        # An overlay goes once a pull that began after its receipt holds its entity.
        for command_id in acknowledged:
            result = self.overlay[command_id]
            if (result["entity"], result["id"]) in self.held:
                del self.overlay[command_id]
        return True

    def converge(self, app, seconds=30):
        """Pull until the phone holds what a fresh snapshot of its user's area holds.

        On PostgreSQL a pull holds back rows newer than the oldest transaction still running
        anywhere on the server (an autovacuum, another database's tests): delivered late,
        never skipped. So while rows are held back the phone pulls again a moment later;
        once none are, one more pull must agree.
        """
        deadline = time.monotonic() + seconds
        while True:
            if self.pull() and comparable(self.held) == comparable(fresh_snapshot(self.client)):
                return
            if not held_back(app):
                assert self.pull()
                assert comparable(self.held) == comparable(fresh_snapshot(self.client))
                return
            event("converge: rows held back, pull again")
            assert time.monotonic() < deadline, "rows held back for too long"
            time.sleep(0.05)


def held_back(app):
    """Whether a pull holds back history rows now (transactions still running)."""
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            return False
        return _db.session.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM history "
                "WHERE xid >= pg_snapshot_xmin(pg_current_snapshot()))"
            )
        ).scalar()


def _within(data, code):
    units = [data.get("grid"), data.get("community")]
    return any(unit and unit["code"].startswith(code) for unit in units)


def check_server(phones):
    """What the server promised, checked against what it stores."""
    session = _db.session
    stored = defaultdict(list)
    for row in session.execute(select(Command)).scalars():
        stored[row.device_id].append(row)
    last_seq = dict(session.execute(select(Device.id, Device.last_seq)).all())
    applied = []
    for phone in phones:
        rows = sorted(stored.pop(phone.device, []), key=lambda c: c.seq)
        # In order, with no gap: 1..last_seq.
        assert [c.seq for c in rows] == list(range(1, len(rows) + 1)), phone.name
        assert last_seq.get(phone.device, 0) == len(rows)
        for row in rows:
            sent = phone.sent.get(row.id)
            assert sent is not None, f"{phone.name}: a command the phone never made"
            assert (row.seq, row.type, row.args) == (sent["seq"], sent["type"], sent["args"])
            assert row.user_id == phone.user_id
            if row.status == APPLIED:
                applied.append((phone, row))
        by_id = {row.id: row for row in rows}
        # Nothing acknowledged is lost, and it is stored as acknowledged.
        for command_id, receipt in phone.receipts.items():
            row = by_id.get(command_id)
            assert row is not None, f"{phone.name}: acknowledged {command_id} is gone"
            assert (row.status, row.result) == (receipt["outcome"], receipt["result"])
        # What is acknowledged is a prefix of the phone's order; the rest is in its outbox.
        assert len(phone.receipts) + len(phone.outbox) == len(phone.sent)
        waiting = min((c["seq"] for c in phone.outbox), default=phone.next_seq)
        assert all(phone.sent[c]["seq"] < waiting for c in phone.receipts)
        assert len(rows) >= len(phone.receipts)
    assert not stored, "commands of devices no phone has"

    # Every incident comes from one applied report, with one "report" entry in the history.
    incidents = Counter(session.execute(select(Incident.id)).scalars())
    reports = Counter(
        session.execute(
            select(HistoryEntry.entity_id).where(
                HistoryEntry.entity == "incident", HistoryEntry.action == "report"
            )
        ).scalars()
    )
    reported = Counter(row.args["id"] for _, row in applied if row.type == "incident.report")
    assert incidents == reports == reported

    # Reports and comments: one history entry per applied command, in the device's order.
    entries = session.execute(
        select(HistoryEntry.actor_id, HistoryEntry.note)
        .where(HistoryEntry.action.in_(("report", "comment")))
        .order_by(HistoryEntry.id)
    ).all()
    for phone in phones:
        marks = [
            int(note.rsplit("#", 1)[1])
            for actor, note in entries
            if actor == phone.user_id and note and note.startswith(f"{phone.name} #")
        ]
        assert marks == sorted(set(marks)), f"{phone.name}: out of order or twice: {marks}"
        expected = sorted(
            row.seq
            for owner, row in applied
            if owner is phone and row.type in ("incident.report", "comment")
        )
        assert marks == expected, phone.name

    # No task over capacity; `claimed` counts the live claims; one live claim per member.
    live = session.execute(select(Claim.task_id, Claim.user_id).where(Claim.live)).all()
    assert max(Counter(live).values(), default=0) <= 1
    places = Counter(task_id for task_id, _ in live)
    for task_id, capacity, claimed in session.execute(
        select(Task.id, Task.capacity, Task.claimed)
    ).all():
        assert 0 <= claimed <= capacity and claimed == places[task_id], task_id


class World:
    """What lives across examples: the app, the map, the people and their clients. Plain
    values only: no ORM object outlives a restart's dispose of the pool."""

    def __init__(self, app, cast, district):
        self.app = app
        sibling = next(
            g for g in district["grid"] if g.parent_id == cast.community.id and g.id != cast.grid.id
        )
        self.grid = SimpleNamespace(code=cast.grid.code, geom=cast.grid.geom)
        self.sibling = SimpleNamespace(code=sibling.code, geom=sibling.geom)
        self.community = SimpleNamespace(code=cast.community.code)
        self.desk = logged_in(app, cast.secretary)  # the secretary's office computer
        self.phones = [
            Phone(name, user.id, logged_in(app, user), logged_in(app, user))
            for name, user in (
                ("member", cast.member),
                ("colleague", cast.colleague),
                ("secretary", cast.secretary),
            )
        ]
        _db.session.close()  # the test's own session: give its connection back


class PhonesAndServer(RuleBasedStateMachine):
    world: World

    def __init__(self):
        super().__init__()
        with self.world.app.app_context():
            empty_written()
        self.phones = self.world.phones
        for phone in self.phones:
            phone.reset()
        self.tasks = []

    @initialize(capacities=st.lists(st.integers(1, 3), min_size=3, max_size=3))
    def create_tasks(self, capacities):
        """Two tasks of the members' grid and one of the community's pool."""
        world = self.world
        for i, capacity in enumerate(capacities):
            place = {"grid": world.grid} if i < 2 else {"community": world.community}
            body = jsonable(task_body(capacity=capacity, title=f"任务{i}", **place))
            response = self.world.desk.post("/api/tasks", json=body)
            assert response.status_code == 201, response.get_json()
            self.tasks.append(response.get_json()["id"])

    # -- what people do ---------------------------------------------------------------------------

    @rule(who=st.integers(0, 2), where=st.sampled_from(["grid", "grid", "sibling", "outside"]))
    def report(self, who, where):
        phone = self.phones[who]
        unit = self.world.sibling if where == "sibling" else self.world.grid
        body = report_body(unit, description=phone.mark())
        if where == "outside":  # Beijing: refused, and kept with its payload
            body.update(lat=39.9, lng=116.4)
        phone.act("incident.report", body)

    @rule(who=st.integers(0, 2), task=st.integers(0, 2))
    def claim(self, who, task):  # the secretary's claims are refused: secretaries assign
        self.phones[who].act("task.claim", {"id": self.tasks[task]})

    @rule(who=st.integers(0, 1), task=st.integers(0, 2))
    def release(self, who, task):
        self.phones[who].act("task.release", {"id": self.tasks[task]})

    @rule(who=st.integers(0, 2), on_task=st.booleans(), pick=st.integers(0, 20))
    def comment(self, who, on_task, pick):
        phone = self.phones[who]
        incidents = sorted(
            {c["args"]["id"] for c in phone.sent.values() if c["type"] == "incident.report"}
            | {key[1] for key in phone.held if key[0] == "incident"}
        )
        if on_task or not incidents:
            entity, target = "task", self.tasks[pick % len(self.tasks)]
        else:
            entity, target = "incident", incidents[pick % len(incidents)]
        phone.act("comment", {"entity": entity, "id": target, "note": phone.mark()})

    @rule(
        action=st.sampled_from(["accept", "unassign", "plan", "stop_plan"]), pick=st.integers(0, 20)
    )
    def secretary_at_the_desk(self, action, pick):
        """Online, at the office: changes the phones did not make, for them to pull."""
        desk = self.world.desk
        if action == "plan":  # the grid's patrol plan set or changed: its phones hold it
            body = {"grid": self.world.grid.code, "every_hours": 1 + pick, "checkpoints": []}
            lng, lat = self.world.grid.geom.representative_point().coords[0]
            for n in range(pick % 3):
                body["checkpoints"].append({"name": f"点{n}", "lat": lat, "lng": lng})
            response = desk.put("/api/patrols/plans", json=body)
            assert response.status_code == 200, response.get_json()
        elif action == "stop_plan":  # stopped: a tombstone on its phones
            for plan in desk.get("/api/patrols/plans").get_json():
                assert desk.post(f"/api/patrols/plans/{plan['id']}/stop").status_code == 200
        elif action == "accept":
            reported = desk.get("/api/incidents?state=reported").get_json()
            if reported:
                incident_id = reported[pick % len(reported)]["id"]
                response = desk.post(f"/api/incidents/{incident_id}/accept", json={})
                assert response.status_code == 200, response.get_json()
        else:  # take a member's place away (refused if the member holds none)
            member = self.phones[pick % 2].user_id
            task_id = self.tasks[pick % len(self.tasks)]
            response = desk.post(f"/api/tasks/{task_id}/unassign", json={"user_id": member})
            assert response.status_code in (200, 422), response.get_json()

    # -- what the network and the server do ------------------------------------------------------

    @rule(who=st.integers(0, 2))
    def toggle_network(self, who):
        """Offline, commands only queue; online again."""
        self.phones[who].online = not self.phones[who].online

    @rule(who=st.integers(0, 2), fault=st.sampled_from(FAULTS), size=st.sampled_from([1, 2, 50]))
    def flush(self, who, fault, size):
        self.phones[who].flush(self.world.app, fault, size)

    @rule(who=st.integers(0, 2))
    def sync(self, who):
        """The phone's loop, undisturbed: push the outbox, then pull to the end."""
        phone = self.phones[who]
        phone.flush(self.world.app)
        if phone.online:
            phone.converge(self.world.app)

    @rule(
        who=st.integers(0, 2),
        limit=st.sampled_from([2, 500]),
        lose_page=st.sampled_from([None, None, 0, 1]),
    )
    def pull(self, who, limit, lose_page):
        phone = self.phones[who]
        if phone.pull(limit, lose_page):
            phone.converge(self.world.app)  # a page lost or a row skipped would never come back

    @rule()
    def restart(self):
        restart_server(self.world.app)

    # -- the promises ----------------------------------------------------------------------------

    @invariant()
    def server_keeps_its_promises(self):
        with self.world.app.app_context():
            check_server(self.phones)

    def teardown(self):
        """Everyone back online: every outbox drains and every phone converges."""
        if not self.tasks:  # the example never started
            return
        for phone in self.phones:
            phone.online = True
            phone.flush(self.world.app)
            assert phone.outbox == []
        for phone in self.phones:
            phone.converge(self.world.app)
            assert phone.overlay == {}
        with self.world.app.app_context():
            check_server(self.phones)
        self._rejections_are_kept()

    def _rejections_are_kept(self):
        """Every rejected command is listed with its payload: a member's own, and all of the
        community's members' for the secretary."""
        rejected = {
            phone.name: {c for c, r in phone.receipts.items() if r["outcome"] == REJECTED}
            for phone in self.phones
        }
        for phone in self.phones:
            listed = phone.client.get("/api/sync/rejected").get_json()
            for item in listed:
                assert item["args"] == phone_of(self.phones, item["id"]).sent[item["id"]]["args"]
            if phone.name == "secretary":  # the members' and the secretary's own
                assert {item["id"] for item in listed} == set().union(*rejected.values())
            else:
                assert {item["id"] for item in listed} == rejected[phone.name]


def phone_of(phones, command_id):
    return next(phone for phone in phones if command_id in phone.sent)


@pytest.mark.timeout(900)  # passing takes seconds; shrinking a failure may take minutes
def test_phones_and_server_agree_whatever_the_network_does(app, cast, district):
    PhonesAndServer.world = World(app, cast, district)
    try:
        run_state_machine_as_test(
            PhonesAndServer,
            settings=settings(
                # More for a soak run: SYNC_PROPERTY_EXAMPLES=500 pytest tests/sync -k agree
                max_examples=int(os.environ.get("SYNC_PROPERTY_EXAMPLES", 20)),
                stateful_step_count=40,
                deadline=None,
                database=None,
                # No "explain" phase: tracing every line of the server costs minutes.
                phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        PhonesAndServer.world = None
