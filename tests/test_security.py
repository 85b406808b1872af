"""Safe to deploy: no key in the code, the instance's own key, rotation, the client's
address behind trusted proxies, and production's headers."""

import multiprocessing
import os
import stat
import uuid
from contextlib import contextmanager

import pytest
from flask_login.utils import decode_cookie

from app import config, create_app, security
from app.extensions import db as _db
from app.people.models import GRID_MEMBER, LoginAttempt
from app.privacy import crypto as privacy
from tests.builders import report_body
from tests.conftest import PASSWORD, Auth, CsrfClient, make_user
from tests.sync.conftest import command


@contextmanager
def another(app, name="test", **overrides):
    """A second app (another deployment, or the same after a change of settings) on the
    test database."""
    other = create_app(
        name,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PWA_DIST": app.config["PWA_DIST"],
            "PHOTO_ROOT": app.config["PHOTO_ROOT"],
            **overrides,
        },
    )
    other.test_client_class = CsrfClient
    try:
        yield other
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_no_key_is_written_in_the_code_but_the_tests():
    assert all(
        settings.SECRET_KEY == os.environ.get("SECRET_KEY")
        for settings in (config.Base, config.Dev, config.Prod)
    )


def test_without_secret_key_an_instance_makes_its_own_once(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDLINK_INSTANCE", str(tmp_path / "one"))
    first = create_app("dev", {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    again = create_app("dev", {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("GRIDLINK_INSTANCE", str(tmp_path / "two"))
    other = create_app("dev", {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    key_file = tmp_path / "one" / security.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == again.secret_key == key_file.read_text()
    assert len(first.secret_key) >= 64 and other.secret_key != first.secret_key
    # No drafts left behind (beside the key of personal data, made the same way).
    assert sorted(os.listdir(tmp_path / "one")) == [privacy.KEY_FILE, security.KEY_FILE]


def _make_key(instance):
    return security.secret_file(os.path.join(instance, security.KEY_FILE), lambda: os.urandom(32))


@pytest.mark.parametrize("round_", range(3))
def test_workers_starting_together_agree_on_one_key(tmp_path, round_):
    instance = str(tmp_path / "instance")
    with multiprocessing.get_context("fork").Pool(8) as pool:
        keys = pool.map(_make_key, [instance] * 32)
    assert len(set(keys)) == 1 and keys[0]
    assert os.listdir(instance) == [security.KEY_FILE]


def test_production_refuses_to_start_with_neither_key_nor_key_file(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDLINK_INSTANCE", str(tmp_path))
    settings = {
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "PERSONAL_DATA_KEY": config.Test.PERSONAL_DATA_KEY,
    }
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("prod", settings)
    assert not (tmp_path / security.KEY_FILE).exists()  # production makes none itself

    (tmp_path / security.KEY_FILE).write_text("a key put there by the operator\n")
    assert create_app("prod", settings).secret_key == "a key put there by the operator"
    assert create_app("prod", {**settings, "SECRET_KEY": "given"}).secret_key == "given"


def test_a_rotated_key_keeps_phones_logged_in_and_their_cursors(app, cast):
    phone, away = app.test_client(), app.test_client()
    for client in (phone, away):
        Auth(client).login(cast.member, remember=True)
    cursor = phone.get("/api/sync/pull").get_json()["cursor"]
    remember = phone.get_cookie("remember_token").value
    old = app.config["SECRET_KEY"]

    with another(app, SECRET_KEY="the new key", SECRET_KEY_FALLBACKS=[old]) as rotated:
        phone.application = rotated  # the same browser, the server restarted with a new key
        assert phone.get("/api/me").status_code == 200
        # The CSRF token the phone cached signs its queued commands.
        pushed = phone.post(
            "/api/sync/push",
            json={
                "device_id": str(uuid.uuid4()),
                "commands": [command(1, "incident.report", report_body(cast.grid))],
            },
        )
        assert pushed.status_code == 200, pushed.get_json()
        assert phone.get(f"/api/sync/pull?cursor={cursor}").status_code == 200

        restarted = rotated.test_client()  # a browser restart: only the remember-me cookie
        restarted.set_cookie("remember_token", remember)
        assert restarted.get("/api/me").status_code == 200
        renewed = restarted.get_cookie("remember_token").value
        with rotated.test_request_context():
            assert decode_cookie(renewed) == decode_cookie(remember, key=old)

    # A phone away through the whole rotation, once the old key is dropped: logged out, and
    # its cursor is not this server's: it logs in, takes a new snapshot and keeps its outbox
    # (docs/sync.md).
    with another(app, SECRET_KEY="the new key") as replaced:
        away.application = replaced
        assert away.get("/api/me").status_code == 401
        away.token = None  # its CSRF token went with its session: the app fetches a new one
        Auth(away).login(cast.member)
        refused = away.get(f"/api/sync/pull?cursor={cursor}")
        assert refused.get_json()["error"]["code"] == "bad_cursor"


@pytest.mark.parametrize(
    "proxies, forwarded_for, seen",
    [
        (0, "6.6.6.6", "127.0.0.1"),  # nobody trusted: a forged header changes nothing
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client wrote is skipped
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
    ],
)
def test_the_clients_address_is_read_through_trusted_proxies_only(
    app, db, proxies, forwarded_for, seen
):
    user = make_user(GRID_MEMBER)
    with another(app, TRUSTED_PROXIES=proxies) as served:
        client = served.test_client()
        client.post(
            "/api/auth/login",
            json={"phone": user.phone, "password": PASSWORD},
            headers={"X-Forwarded-For": forwarded_for},
        )
    assert db.session.query(LoginAttempt.ip).scalar() == seen


def test_production_headers(app, db):
    with another(
        app, "prod", SECRET_KEY="prod", PERSONAL_DATA_KEY=app.config["PERSONAL_DATA_KEY"]
    ) as prod:
        client = prod.test_client()
        api = client.get("/api/health")
        with client.get("/") as shell:  # the app shell is a file, sent as a stream
            headers = shell.headers
    for each in (api.headers, headers):
        assert each["Strict-Transport-Security"] == f"max-age={365 * 24 * 3600}"
        assert "Server" not in each
    assert "form-action 'none'" in api.headers["Content-Security-Policy"]
    assert "form-action 'self'" in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in app.test_client().get("/api/health").headers
