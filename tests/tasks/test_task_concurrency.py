"""Capacity under fire: many members claim at once, over real PostgreSQL connections, and the
database lets exactly `capacity` of them in. Then a state machine walks random claims,
releases and assignments on both backends against a model of who should hold the task."""

import threading
from collections import Counter

import pytest
from flask import Flask
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from app.errors import ApiError
from app.extensions import db as _db
from app.history.services import timeline
from app.people.models import GRID_MEMBER, SECRETARY, User
from app.tasks import services
from app.tasks.models import Claim, Task
from tests.tasks.conftest import make_task, people_in_bulk, person

THREADS = 50
RUNS = 5


@pytest.fixture
def postgis(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("real concurrent claims need PostgreSQL; SQLite runs one writer at a time")
    return app


@pytest.fixture(scope="module")
def wide_app(app):
    """The same database through a pool wide enough for one connection per thread (the
    default pool holds 15 and would queue the rest). A bare Flask app with only the
    database bound: a second create_app() would rebind the global extensions (the API,
    login) and let the session's app, with its pooled connections, be collected early."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        yield None
        return
    wide = Flask(__name__)
    wide.config.update(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 5, "max_overflow": 0},
        DISTRICT_TIMEZONE=app.config["DISTRICT_TIMEZONE"],  # a refusal tells times on it
    )
    _db.init_app(wide)
    yield wide
    with wide.app_context():
        _db.engine.dispose()


def _fire(wide, user_ids, task_id, action=services.claim):
    """Each user acts (claims) from a thread of its own, with its own app context, session and
    connection, all released at once by a barrier. Returns one outcome per thread."""
    barrier = threading.Barrier(len(user_ids))
    outcomes = [None] * len(user_ids)

    def claim(index, user_id):
        with wide.app_context():
            try:
                # Connected and loaded before the barrier: after it, only the claim.
                pid = _db.session.execute(select(func.pg_backend_pid())).scalar()
                user = _db.session.get(User, user_id)
                list(user.units)
                barrier.wait(timeout=60)
                try:
                    action(user, task_id)
                    outcomes[index] = ("ok", pid, None)
                except ApiError as refused:
                    _db.session.rollback()
                    outcomes[index] = (refused.code, pid, refused)
            except Exception as unexpected:  # noqa: BLE001 - reported by the test, not lost
                outcomes[index] = ("error", None, unexpected)
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=claim, args=(i, user_id)) for i, user_id in enumerate(user_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _state(task_id):
    _db.session.expire_all()
    task = _db.session.get(Task, task_id)
    live = _db.session.execute(
        select(Claim.user_id).where(Claim.task_id == task_id, Claim.live)
    ).scalars()
    return task.claimed, sorted(live)


@pytest.fixture
def grid_crowd(place):
    secretary = person(SECRETARY, [place.community])
    members = people_in_bulk(GRID_MEMBER, [place.grid], THREADS)
    return secretary, members


@pytest.mark.parametrize("capacity", [1, 3])
def test_fifty_members_at_once_exactly_capacity_succeed(
    postgis, wide_app, db, place, grid_crowd, capacity
):
    secretary, members = grid_crowd
    ids = [member.id for member in members]
    names = {member.id: member.name for member in members}
    counts = []
    for run in range(RUNS):
        task = make_task(secretary, place.grid, capacity=capacity, title=f"run {run}")
        outcomes = _fire(wide_app, ids, task.id)

        errors = [o for o in outcomes if o[0] == "error"]
        assert not errors, errors
        assert len({pid for _, pid, _ in outcomes}) == THREADS  # one connection each
        tally = Counter(code for code, _, _ in outcomes)
        counts.append(dict(tally))
        assert tally == {"ok": capacity, "task_full": THREADS - capacity}, (run, tally)

        claimed, holders = _state(task.id)
        assert claimed == capacity
        winners = sorted(ids[i] for i, o in enumerate(outcomes) if o[0] == "ok")
        assert holders == winners
        for code, _, refused in outcomes:
            if code == "task_full":
                assert refused.status == 409
                assert sorted(h["user_id"] for h in refused.extra["holders"]) == winners
                assert all(names[w] in refused.message for w in winners)
        claims = [e for e in timeline("task", task.id) if e.action == "claim"]
        assert sorted(e.actor_id for e in claims) == winners
    print(f"capacity {capacity}: {counts}")


@pytest.mark.parametrize("capacity", [1, 3])
def test_one_member_claiming_from_twenty_threads_holds_one_place(
    postgis, wide_app, db, place, capacity
):
    secretary = person(SECRETARY, [place.community])
    member = person(GRID_MEMBER, [place.grid])
    for _ in range(3):
        task = make_task(secretary, place.grid, capacity=capacity)
        outcomes = _fire(wide_app, [member.id] * 20, task.id)
        # Claiming twice is harmless, however close together the two come.
        assert [code for code, _, _ in outcomes] == ["ok"] * 20, outcomes
        assert _state(task.id) == (1, [member.id])
        assert [e.action for e in timeline("task", task.id)] == ["create", "claim"]


def test_releases_at_once_free_one_place_once(postgis, wide_app, db, place):
    """A retried release and the secretary's unassign, together: one place comes back."""
    secretary = person(SECRETARY, [place.community])
    member, other = people_in_bulk(GRID_MEMBER, [place.grid], 2)
    task = make_task(secretary, place.grid, capacity=3)
    services.claim(member, task.id)
    services.claim(other, task.id)

    def unassign_member(boss, task_id):
        services.unassign(boss, task_id, member.id)

    def act(user, task_id):
        (services.release if user.id == member.id else unassign_member)(user, task_id)

    outcomes = _fire(wide_app, [member.id] * 15 + [secretary.id] * 5, task.id, act)
    codes = Counter(code for code, _, _ in outcomes)
    assert codes["error"] == 0, outcomes
    assert _state(task.id) == (1, [other.id])
    freed = [e for e in timeline("task", task.id) if e.action in ("release", "unassign")]
    assert len(freed) == 1
    # Releasing what one no longer holds is harmless; unassigning it is a 422.
    assert set(codes) <= {"ok", "validation_error"}


# -- a state machine on both backends -----------------------------------------------------------

MEMBERS = 5


def test_claims_follow_a_simple_model(db, place):
    secretary = person(SECRETARY, [place.community])
    members = people_in_bulk(GRID_MEMBER, [place.grid], MEMBERS)
    ids = [member.id for member in members]

    def user(user_id):
        return _db.session.get(User, user_id)

    class Claims(RuleBasedStateMachine):
        """Who holds the task, by the rules: a place while there is room, the same place
        again for free, a refusal naming the holders when full."""

        @initialize(capacity=st.integers(1, 4))
        def new_task(self, capacity):
            self.capacity = capacity
            self.task_id = make_task(user(secretary.id), place.grid, capacity=capacity).id
            self.holders = set()

        def _expect_place(self, member_id, answer):
            if member_id in self.holders or len(self.holders) < self.capacity:
                assert answer is None, answer
                self.holders.add(member_id)
            else:
                assert answer is not None and answer.code == "task_full", answer
                assert {h["user_id"] for h in answer.extra["holders"]} == self.holders

        def _call(self, function, *args):
            try:
                function(*args)
            except ApiError as refused:
                _db.session.rollback()
                return refused
            return None

        @rule(member=st.sampled_from(ids))
        def claim(self, member):
            self._expect_place(member, self._call(services.claim, user(member), self.task_id))

        @rule(member=st.sampled_from(ids))
        def release(self, member):
            assert self._call(services.release, user(member), self.task_id) is None
            self.holders.discard(member)

        @rule(member=st.sampled_from(ids))
        def assign(self, member):
            answer = self._call(services.assign, user(secretary.id), self.task_id, member)
            self._expect_place(member, answer)

        @rule(member=st.sampled_from(ids))
        def unassign(self, member):
            answer = self._call(services.unassign, user(secretary.id), self.task_id, member)
            if member in self.holders:
                assert answer is None, answer
                self.holders.discard(member)
            else:
                assert answer is not None and answer.status == 422, answer

        @rule(old=st.sampled_from(ids), new=st.sampled_from(ids))
        def reassign(self, old, new):
            answer = self._call(services.assign, user(secretary.id), self.task_id, new, old)
            if old == new or new in self.holders:
                assert answer is not None and answer.code == "already_holds", answer
            elif old not in self.holders:
                assert answer is not None and answer.status == 422, answer
            else:
                assert answer is None, answer
                self.holders = (self.holders - {old}) | {new}

        @invariant()
        def claimed_counts_the_live_claims(self):
            if not hasattr(self, "task_id"):
                return
            claimed, live = _state(self.task_id)
            assert claimed == len(live) == len(self.holders) <= self.capacity
            assert set(live) == self.holders

    run_state_machine_as_test(
        Claims,
        settings=settings(max_examples=15, stateful_step_count=12, deadline=None, database=None),
    )
