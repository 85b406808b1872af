"""Fixtures: the app on each database backend, a client that speaks CSRF, a logged-in
helper per role, and a small demo district imported through the real importer.

Every database test runs on SQLite and, with TEST_DATABASE_URL set, on PostGIS. With
GRIDLINK_REQUIRE_POSTGIS=1 (as in CI) a missing PostGIS is a failure, not a skip.

GRIDLINK_TEST_CLOCK=2026-12-02T00:05+08:00 starts the server's clock at that moment (it runs on
from there): a run at the district's midnight finds what takes the server's day for the
district's.
"""

import functools
import os
from datetime import datetime, timedelta
from types import SimpleNamespace

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from app import clock, create_app
from app.extensions import db as _db
from app.people.demo import DEPARTMENTS
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    Department,
    User,
)
from app.units.importer import import_units
from app.units.models import Unit
from geo import demo as geo_demo
from tests.s3 import s3, s3_bucket, s3_server  # noqa: F401  (fixtures)

if os.environ.get("GRIDLINK_TEST_CLOCK"):
    _shift = datetime.fromisoformat(os.environ["GRIDLINK_TEST_CLOCK"]) - clock.now()
    _real_now = clock.now
    clock.now = lambda: _real_now() + _shift

PASSWORD = "correct horse battery staple"
MAP_LEVELS = ("district", "street", "community", "grid")
TABLES = (
    "visit",
    "household_conflict",
    "household_member",
    "household",
    "liaison_group",
    "worker_job",
    "open311_post",
    "resident_action",
    "resident_report",
    "open311_client",
    "activity_signup",
    "activity",
    "project_score",
    "project_review",
    "project_milestone",
    "secretary_project",
    "meeting_decision",
    "meeting_problem",
    "meeting_attendee",
    "meeting",
    "wish_claim",
    "wish",
    "party_report",
    "joint_unit",
    "party_member",
    "party_org",
    "assessment_export",
    "assessment_adjustment",
    "assessment_appeal",
    "assessment_period",
    "assessment_cursor",
    "assessment_month_fact",
    "assessment_entity_fact",
    "journal_entry",
    "patrol_incident",
    "patrol",
    "patrol_plan_miss",
    "patrol_plan",
    "inbox_message",
    "push_subscription",
    "roll_call_person",
    "roll_call",
    "emergency_reinforcement",
    "emergency_switch_grid",
    "sync_command",
    "sync_device",
    "history",
    "return_visit",
    "task_claim",
    "task",
    "emergency_switch",
    "whistle",
    "incident_follower",
    "attachment",
    "photo_uploader",
    "photo",
    "incident",
    "reference_document",
    "login_attempt",
    "user_session",
    "responsibility",
    "user_scope",
    "user_account",
    "department",
    "unit",
)


def _reset_postgis(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "gridlink.db")
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("GRIDLINK_REQUIRE_POSTGIS") == "1":
            pytest.fail("GRIDLINK_REQUIRE_POSTGIS=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostGIS leg: set TEST_DATABASE_URL=postgresql+psycopg://...")
    _reset_postgis(url)
    return url


class CsrfClient(FlaskClient):
    """A test client that sends the session's CSRF token with every unsafe request, as the
    PWA does (pass csrf=False to send none), and runs each request in a fresh app context
    with its own `g` and database session, as a server does."""

    token = None

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return self._open(*args, **kwargs)

    def _open(self, *args, csrf=True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            if self.token is None:
                self.token = self._open("/api/auth/csrf", csrf=False).get_json()["csrf_token"]
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.token)
            kwargs["headers"] = headers
        response = super().open(*args, **kwargs)
        if response.headers.get("X-CSRFToken"):
            self.token = response.headers["X-CSRFToken"]
        return response


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        "test",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PWA_DIST": str(tmp_path_factory.mktemp("dist")),
            "PHOTO_ROOT": str(tmp_path_factory.mktemp("photos")),
        },
    )
    app.test_client_class = CsrfClient
    with app.app_context():
        flask_migrate.upgrade()
    return app


def empty(tables):
    """Empty tables, history included: the test database may start afresh. Needs an app
    context; the caller commits."""
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    # SQLite: the history refuses deletes, so lift its guard for the cleaning and put it back.
    for event in ("update", "delete"):
        _db.session.execute(text(f"DROP TRIGGER history_append_only_{event}"))
    for table in tables:
        _db.session.execute(text(f"DELETE FROM {table}"))
    for event in ("UPDATE", "DELETE"):
        _db.session.execute(
            text(
                f"CREATE TRIGGER history_append_only_{event.lower()} BEFORE {event} "
                "ON history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END"
            )
        )


@pytest.fixture
def db(app):
    """The database, emptied after the test (tests may commit, and threads may too)."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        empty(TABLES)
        # Spatial indexes and caches rebuild on a new revision: an emptied map is a new map.
        _db.session.execute(text("UPDATE map_revision SET revision = revision + 1"))
        _db.session.commit()


@pytest.fixture
def frozen(monkeypatch):
    """A clock that stands still until moved: frozen.move(minutes=...)."""

    class Frozen:
        at = clock.now()

        def move(self, **delta):
            self.at += timedelta(**delta)

    frozen = Frozen()
    monkeypatch.setattr(clock, "now", lambda: frozen.at)
    return frozen


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory):
    """A small generated district (7 streets, 7 communities, 35 grids), as GeoJSON files."""
    out = tmp_path_factory.mktemp("demo")
    return geo_demo.generate(out, seed=7, streets=7, communities=7, grids=35)


@pytest.fixture
def district(db, demo_files):
    """The small district imported through the importer; returns {level: [Unit]}."""
    for level in MAP_LEVELS:
        import_units(str(demo_files[level]), level, crs="gcj02" if level == "district" else "wgs84")
    units = _db.session.query(Unit).order_by(Unit.code).all()
    return {level: [u for u in units if u.level == level] for level in MAP_LEVELS}


@functools.cache
def _password_hash():
    # scrypt is slow on purpose, for every login; tests log in hundreds of times, so their
    # users get a cheaper work factor (the app's own hashes keep the default).
    return generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


def make_user(role, units=(), responsible_for=(), phone=None, **fields):
    count = _db.session.query(User).count()
    user = User(
        phone=phone or f"138{count + 1:08d}",
        name=fields.pop("name", f"{role}{count + 1}"),
        password_hash=_password_hash(),
        role=role,
        **fields,
    )
    user.units = list(units)
    user.responsible_for = list(responsible_for)
    _db.session.add(user)
    _db.session.commit()
    return user


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=PASSWORD, remember=False):
        response = self.client.post(
            "/api/auth/login",
            json={"phone": user.phone, "password": password, "remember": remember},
        )
        assert response.status_code == 200, response.get_json()
        return response

    def as_role(self, role, *units, **fields):
        user = make_user(role, units, **fields)
        self.login(user)
        return user


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def cast(db, district):
    grids = district["grid"]
    grid = grids[0]
    community, street = grid.parent, grid.parent.parent
    other_street_grid = next(g for g in grids if g.parent.parent_id != street.id)
    departments = {code: Department(code=code, name=name) for code, name in DEPARTMENTS}
    db.session.add_all(departments.values())
    db.session.commit()
    department, other_department = departments["urban_management"], departments["water"]
    whole = district["district"][0]
    return SimpleNamespace(
        grid=grid,
        community=community,
        street=street,
        other_grid=other_street_grid,
        department=department,
        member=make_user(GRID_MEMBER, [grid], name="王芳"),
        colleague=make_user(TEAM_MEMBER, [grid], name="李强", force="community_main"),
        secretary=make_user(SECRETARY, [community], name="张书记"),
        street_admin=make_user(STREET_ADMIN, [street], name="赵街道"),
        district_admin=make_user(DISTRICT_ADMIN, [whole], name="刘区长"),
        dept_user=make_user(DEPARTMENT, [whole], name="陈城管", department_id=department.id),
        other_dept_user=make_user(
            DEPARTMENT, [whole], name="周水务", department_id=other_department.id
        ),
        outsider=make_user(GRID_MEMBER, [other_street_grid], name="外人"),
        outside_secretary=make_user(SECRETARY, [other_street_grid.parent], name="别的书记"),
    )


@pytest.fixture
def as_user(app, auth):
    """as_user(user) -> a client logged in as that user (one client per user)."""
    clients = {}

    def login(user):
        if user.id not in clients:
            client = app.test_client()
            type(auth)(client).login(user)
            clients[user.id] = client
        return clients[user.id]

    return login
