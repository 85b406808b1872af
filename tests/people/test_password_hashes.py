"""Password hashes: Argon2id at OWASP's baseline, older hashes still logging in and made
again, and at most LOGIN_CONCURRENCY checks at once (the rest 429 with Retry-After)."""

import fcntl
import os

import pytest
from werkzeug.security import generate_password_hash

from app.config import Base
from app.extensions import db
from app.people import passwords, services
from app.people.models import GRID_MEMBER, LoginAttempt, User
from tests.conftest import PASSWORD, make_user


def login(client, user, password=PASSWORD):
    client.token = None  # a fresh session's token, as after a logout
    return client.post("/api/auth/login", json={"phone": user.phone, "password": password})


def stored(user):
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


def test_passwords_are_hashed_with_argon2id_at_owasp_s_baseline(app, monkeypatch):
    assert (Base.PASSWORD_HASH_MEMORY_KIB, Base.PASSWORD_HASH_PASSES) == (19 * 1024, 2)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_MEMORY_KIB", Base.PASSWORD_HASH_MEMORY_KIB)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_PASSES", Base.PASSWORD_HASH_PASSES)
    with app.app_context():
        made = services.hash_password(PASSWORD)
        assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in made
        assert passwords.matches(made, PASSWORD) and not passwords.matches(made, "wrong")
        assert not passwords.outdated(made)


@pytest.mark.parametrize("method", ["scrypt:1024:8:1", "pbkdf2:sha256:1000"])
def test_an_older_hash_still_logs_in_and_is_made_again_with_argon2id(client, db, method):
    user = make_user(GRID_MEMBER)
    user.password_hash = generate_password_hash(PASSWORD, method=method)
    db.session.commit()

    assert login(client, user).status_code == 200
    again = stored(user)
    assert again.startswith(passwords.ARGON2)
    client.post("/api/auth/logout")
    assert login(client, user).status_code == 200  # the new hash holds the same password
    assert stored(user) == again  # and is not made again


def test_a_wrong_password_leaves_an_older_hash_as_it_was(client, db):
    user = make_user(GRID_MEMBER)
    user.password_hash = old = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    db.session.commit()
    assert login(client, user, "wrong").status_code == 401
    assert stored(user) == old


def test_a_hash_weaker_than_the_parameters_in_force_is_made_again_at_login(
    app, client, db, monkeypatch
):
    user = make_user(GRID_MEMBER)
    assert login(client, user).status_code == 200
    client.post("/api/auth/logout")
    assert ",t=1," in stored(user)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_PASSES", 2)
    assert login(client, user).status_code == 200
    assert ",t=2," in stored(user)


def test_a_login_past_the_concurrent_checks_is_429_with_retry_after_and_no_failure(
    app, client, db, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_CONCURRENCY", 1)
    user = make_user(GRID_MEMBER)
    folder = os.path.join(app.instance_path, passwords.SLOTS)
    os.makedirs(folder, exist_ok=True)
    held = os.open(os.path.join(folder, "0"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # another worker checking a password meanwhile
        busy = login(client, user)
    finally:
        os.close(held)
    assert busy.status_code == 429
    assert busy.get_json()["error"]["code"] == "busy"  # not a failure: nothing to wait out
    assert busy.headers["Retry-After"] == "1"
    assert db.session.query(LoginAttempt).count() == 0  # waiting is not a failed login
    assert login(client, user).status_code == 200
