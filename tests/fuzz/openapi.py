"""Fuzz every operation of the OpenAPI document, as every role and anonymous: no answer is a
5xx, and every answer matches the schema the document gives it (schemathesis, in-process).

Not collected with the rest of the tests (the file name is not test_*): `make fuzz` runs it,
and CI runs it with few examples. FUZZ_EXAMPLES sets the examples per operation (default 5);
each example is sent once per role. Runs on SQLite and, with TEST_DATABASE_URL, PostGIS.
"""

import os
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app import create_app
from app.extensions import db
from app.people.demo import DEPARTMENTS
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    Department,
)
from app.units.importer import import_units
from app.units.models import Unit
from tests.builders import report_body
from tests.conftest import MAP_LEVELS, TABLES, Auth, empty, make_user
from tests.tasks.conftest import jsonable, task_body

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 5))
# CI sends the same examples every run: what it finds is a regression, not the luck of a draw.
CI = os.environ.get("CI") == "true"
CHECKS = [not_a_server_error, response_schema_conformance]
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def people(app, demo_files):
    """The small district, someone of every role in it, and some work to find."""
    with app.app_context():
        for level in MAP_LEVELS:
            crs = "gcj02" if level == "district" else "wgs84"
            import_units(str(demo_files[level]), level, crs=crs)
        grid = db.session.query(Unit).filter_by(level="grid").order_by(Unit.code).first()
        community, street = grid.parent, grid.parent.parent
        whole = db.session.query(Unit).filter_by(level="district").one()
        departments = [Department(code=code, name=name) for code, name in DEPARTMENTS]
        db.session.add_all(departments)
        db.session.commit()
        users = {
            GRID_MEMBER: make_user(GRID_MEMBER, [grid]),
            TEAM_MEMBER: make_user(TEAM_MEMBER, [grid], force="community_main"),
            SECRETARY: make_user(SECRETARY, [community]),
            STREET_ADMIN: make_user(STREET_ADMIN, [street]),
            DISTRICT_ADMIN: make_user(DISTRICT_ADMIN, [whole]),
            DEPARTMENT: make_user(DEPARTMENT, [whole], department_id=departments[0].id),
        }
        clients = {"anonymous": app.test_client()}
        for role, user in users.items():
            clients[role] = app.test_client()
            Auth(clients[role]).login(user)
        clients[GRID_MEMBER].post("/api/incidents", json=report_body(grid))
        clients[SECRETARY].post("/api/tasks", json=jsonable(task_body(grid)))
    yield SimpleNamespace(users=users, clients=clients)
    with app.app_context():
        db.session.remove()
        empty(TABLES)
        db.session.commit()


# The document of an app that is never called: the calls go to the `app` fixture's, one per
# backend, through each role's client. (schemathesis' lazy from_fixture needs pytest < 9.)
schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json", create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=CI,
)
def test_no_operation_answers_5xx_or_off_its_schema(case, people):
    for role, client in people.clients.items():
        # The test client does not undo Flask-Compress: ask for what it can read.
        case.call_and_validate(session=client, checks=CHECKS, headers=PLAIN)
        if case.path in ("/api/auth/login", "/api/auth/logout") and role != "anonymous":
            client.token = None  # the session, and its CSRF token, are gone
            Auth(client).login(people.users[role])  # back to who this client is
