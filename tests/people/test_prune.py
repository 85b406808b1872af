"""The worker forgets ended sessions and old login attempts after LOGIN_RECORDS_DAYS, and
keeps every session that still works, however old."""

from datetime import timedelta

import pytest

from app import clock
from app.notify.cli import JOBS
from app.people.models import GRID_MEMBER, LoginAttempt, UserSession
from app.people.prune import prune
from tests.conftest import make_user

DAY = timedelta(days=1)


@pytest.fixture
def limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RECORDS_DAYS", 90)
    monkeypatch.setitem(app.config, "SESSION_IDLE", timedelta(hours=24))
    monkeypatch.setitem(app.config, "REMEMBER_IDLE", timedelta(days=14))


# (name, remember, created days ago, last seen days ago, lifetime in days, revoked days ago, kept)
SESSIONS = [
    ("in use today", True, 200, 0, 365, None, True),
    ("revoked yesterday", False, 10, 1, 7, 1, True),
    ("revoked 91 days ago", False, 100, 91, 7, 91, False),
    ("lifetime ended 91 days ago", False, 98, 92, 7, None, False),
    ("lifetime ended 80 days ago", False, 87, 86, 7, None, True),
    ("desk idle since 92 days", False, 92, 92, 3650, None, False),
    ("desk idle since 90 days, ended 89 ago", False, 90, 90, 3650, None, True),
    ("phone idle since 105 days", True, 105, 105, 3650, None, False),
    ("phone idle since 100 days, ended 86 ago", True, 100, 100, 3650, None, True),
]


def test_ended_sessions_go_after_the_kept_days_and_working_ones_stay(db, limits):
    user = make_user(GRID_MEMBER)
    now = clock.now()
    for name, remember, created, seen, lifetime, revoked, _ in SESSIONS:
        db.session.add(
            UserSession(
                id=name,
                user_id=user.id,
                remember=remember,
                created_at=now - created * DAY,
                last_seen_at=now - seen * DAY,
                expires_at=now - created * DAY + lifetime * DAY,
                revoked_at=None if revoked is None else now - revoked * DAY,
            )
        )
    db.session.commit()

    assert prune(now) == (sum(not row[-1] for row in SESSIONS), 0)

    kept = {record.id for record in db.session.query(UserSession)}
    assert kept == {row[0] for row in SESSIONS if row[-1]}


def test_login_attempts_older_than_the_kept_days_go(db, limits):
    now = clock.now()
    for days in (0, 1, 89, 91, 400):
        db.session.add(
            LoginAttempt(phone="13800000001", ip="10.0.0.1", succeeded=False, at=now - days * DAY)
        )
    db.session.commit()

    assert prune(now) == (0, 2)
    assert sorted((now - a.at).days for a in db.session.query(LoginAttempt)) == [0, 1, 89]


def test_the_worker_prunes_logins_once_a_day():
    assert JOBS["logins.prune"].every_s == 24 * 3600
