"""What a request costs around its own work: reads without a transaction on PostgreSQL, no
ping before a query, the session cookie sent only when it changes, and a connection the
database dropped answered with a 503 to retry (and the next request served)."""

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import create_engine, event, text

from app.extensions import db
from app.people.models import GRID_MEMBER, User
from app.transaction import reads_only
from tests.builders import point_in, report_body
from tests.conftest import Auth


@pytest.fixture
def statements(app):
    """(statement, in a transaction?) of every query the app sends, while the test runs."""
    seen, texts = [], []

    def note(conn, cursor, statement, parameters, context, executemany):
        dbapi = conn.connection.dbapi_connection
        # psycopg: autocommit means no BEGIN was sent; SQLite always has a transaction here.
        seen.append((statement.split()[0].upper(), not getattr(dbapi, "autocommit", False)))
        texts.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield SimpleNamespace(kinds=seen, texts=texts)
    event.remove(engine, "before_cursor_execute", note)


def test_reads_run_without_a_transaction_on_postgresql_and_writes_in_one(
    app, client, auth, cast, statements
):
    auth.login(cast.member)
    point = point_in(cast.grid)
    statements.kinds.clear()
    assert client.get("/api/health").status_code == 200
    assert client.get(f"/api/locate?lat={point['lat']}&lng={point['lng']}").status_code == 200
    assert client.get("/api/sync/pull").status_code == 200
    reads = statements.kinds[:]
    statements.kinds.clear()
    assert client.post("/api/incidents", json=report_body(cast.grid)).status_code == 201
    writes = statements.kinds[:]
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert reads and all(kind in ("SELECT", "WITH") for kind, _ in reads)
    assert all(in_transaction != postgresql for _, in_transaction in reads)
    assert writes and all(in_transaction for _, in_transaction in writes)


def test_no_ping_before_a_request_s_queries(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    with app.app_context():
        assert db.engine.pool._pre_ping is False


def test_a_reads_only_view_that_writes_is_refused(app, db):
    @reads_only
    def sneaky():
        db.session.add(User(phone="13800000999", name="x", password_hash="-", role=GRID_MEMBER))
        db.session.flush()

    with app.test_request_context():
        g.reads_only = True
        with pytest.raises(RuntimeError, match="reads_only"):
            sneaky()
        db.session.rollback()


def test_the_session_cookie_is_sent_when_it_changes_not_on_every_response(client, auth, cast):
    login = auth.login(cast.member)
    assert "session=" in login.headers.get("Set-Cookie", "")
    for path in ("/api/me", "/api/health", "/api/incidents"):
        response = client.get(path)
        assert response.status_code == 200
        assert "session=" not in response.headers.get("Set-Cookie", "")
    assert client.get("/api/me").get_json()["phone"] == cast.member.phone  # still logged in


def _drop_every_connection(url):
    """What a restart or a failover does to the pool: every other backend of the database
    ended, each waited for (up to 5 s), as pg_terminate_backend alone only signals it and a
    query sent at once could still be answered. The tests empty the pool first: a connection
    that an earlier drop marked old is replaced at its checkout, and would answer."""
    killer = create_engine(url)
    with killer.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    killer.dispose()


def test_a_connection_the_database_dropped_is_a_503_to_retry_and_the_next_request_works(
    app, client, auth, cast
):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("SQLite has no connection to drop")
    db.engine.dispose()  # one connection in the pool, made below (see _drop_every_connection)
    auth.login(cast.member)
    assert client.get("/api/me").status_code == 200  # the pool holds a connection now
    _drop_every_connection(url)
    lost = client.get("/api/me")
    assert lost.status_code == 503
    assert lost.get_json()["error"]["code"] == "unavailable"
    assert int(lost.headers["Retry-After"]) > 0
    assert client.get("/api/me").status_code == 200


def test_health_after_the_database_dropped_its_connections_is_a_503_then_ok(app, client, db):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("SQLite has no connection to drop")
    db.engine.dispose()  # one connection in the pool, made below (see _drop_every_connection)
    assert client.get("/api/health").status_code == 200  # the pool holds a connection now
    _drop_every_connection(url)
    down = client.get("/api/health")
    assert down.status_code == 503 and down.get_json()["status"] == "down"
    assert client.get("/api/health").get_json()["status"] == "ok"  # the dead one was dropped


def test_a_session_cookie_checked_once_is_still_refused_tampered_expired_or_rekeyed(
    app, client, auth, cast, monkeypatch
):
    """The cookie's signature is remembered per worker once it checked out; its age and the
    keys are checked on every request, and a cookie that fails is never remembered."""
    from app.people import sessions

    auth.login(cast.member)
    assert client.get("/api/me").status_code == 200
    cookie = client.get_cookie("session").value
    client.set_cookie("session", cookie[:-2] + ("BB" if cookie.endswith("AA") else "AA"))
    assert client.get("/api/me").status_code == 401
    client.set_cookie("session", cookie)
    assert client.get("/api/me").status_code == 200
    lifetime = app.permanent_session_lifetime.total_seconds()
    monkeypatch.setattr(sessions, "_now", lambda: time.time() + lifetime + 1)
    assert client.get("/api/me").status_code == 401
    monkeypatch.setattr(sessions, "_now", time.time)
    assert client.get("/api/me").status_code == 200
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-key-without-the-old-as-fallback")
    assert client.get("/api/me").status_code == 401


def test_last_seen_is_written_once_when_a_session_is_touched(
    app, client, auth, cast, frozen, statements
):
    auth.login(cast.member)
    frozen.move(seconds=(app.config["SESSION_TOUCH"] + timedelta(seconds=1)).total_seconds())
    statements.texts.clear()
    assert client.get("/api/me").status_code == 200
    updates = [text for text in statements.texts if text.startswith("UPDATE user_session")]
    assert len(updates) == 1


def test_a_claim_writes_in_one_transaction_and_reads_its_answer_without_one(
    app, client, auth, cast, statements
):
    """No look first for a place the member holds (the UPDATE's own condition and the unique
    index say it), no savepoint (a claim that takes no place has written nothing), and on
    PostgreSQL the answer's reads after the commit without a transaction of their own;
    claiming again is still harmless."""
    from tests.tasks.conftest import jsonable, task_body

    auth.login(cast.secretary)
    task = client.post("/api/tasks", json=jsonable(task_body(cast.grid, capacity=2))).get_json()
    auth.login(cast.member)
    statements.kinds.clear()
    statements.texts.clear()
    answer = client.post(f"/api/tasks/{task['id']}/claim", json={})
    assert answer.status_code == 200 and answer.get_json()["claimed"] == 1
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    texts = statements.texts[:]
    # The claim's last write is its history row; the answer's reads follow the commit.
    commit_at = 1 + next(i for i, t in enumerate(texts) if t.startswith("INSERT INTO history"))
    before, after = statements.kinds[:commit_at], statements.kinds[commit_at:]
    assert not any(t.startswith("SELECT task_claim") for t in texts[:commit_at])
    assert not any(t.startswith(("SAVEPOINT", "RELEASE")) for t in texts)
    assert all(in_transaction for _, in_transaction in before)
    assert after and all(in_transaction != postgresql for _, in_transaction in after)
    again = client.post(f"/api/tasks/{task['id']}/claim", json={})
    assert again.status_code == 200 and again.get_json()["claimed"] == 1


def test_a_csrf_token_checked_once_is_still_refused_elsewhere_rekeyed_or_expired(
    app, client, auth, cast, monkeypatch
):
    """The token's signature is remembered per worker once it checked out; every write still
    matches it to its own session, checks the keys, and its age when a limit is set."""
    auth.login(cast.member)

    def write(token, who=client):  # past CSRF, an acknowledgement of no roll-call is a 404
        answer = who.post("/api/rollcalls/none/ack", json={}, headers={"X-CSRFToken": token})
        return answer.status_code, answer.get_json()["error"]["code"]

    token = client.token
    assert write(token) == (404, "not_found")  # checked, and now remembered
    tampered = token[:-2] + ("BB" if token.endswith("AA") else "AA")
    assert write(tampered) == (400, "csrf_failed")
    other = app.test_client()  # another browser, with a session of its own
    Auth(other).login(cast.secretary)
    assert write(token, other) == (400, "csrf_failed")  # a token that checked out, not theirs
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 60)
    monkeypatch.setattr(time, "time", lambda now=time.time(): now + 61)
    assert write(token) == (400, "csrf_failed")
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "WTF_CSRF_SECRET_KEY", ["a-new-key-without-the-old"])
    assert write(token) == (400, "csrf_failed")
    monkeypatch.undo()
    assert write(token) == (404, "not_found")


def test_one_schema_instance_per_class_serves_concurrent_requests_each_its_own(app):
    """Each route's argument schema is made once, not per request: requests parsed at once
    in threads each get their own body's values, and a refusal stays its own."""
    from concurrent.futures import ThreadPoolExecutor

    from marshmallow import Schema, fields, validate

    from app.inputs import Parser

    class Body(Schema):
        n = fields.Integer(required=True, validate=validate.Range(0, 999))
        note = fields.String(load_default="")

    parser = Parser()

    def parse(n):
        body = {"n": n, "note": f"#{n}"} if n % 7 else {"n": -n - 1}
        with app.test_request_context("/api/x", method="POST", json=body):
            try:
                return parser.parse(Body, location="json")
            except Exception as error:  # webargs aborts with the field's messages
                return getattr(error, "data", {}).get("messages", error)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(parse, range(400)))
    for n, result in enumerate(results):
        if n % 7:
            assert result == {"n": n, "note": f"#{n}"}
        else:
            assert "n" in result["json"] and result["json"].keys() == {"n"}
