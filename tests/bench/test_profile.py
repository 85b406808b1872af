"""bench.profile sums py-spy's samples by phase, layer and the sender of each statement."""

from collections import Counter

import pytest

from bench import profile

WORKER = (
    'process 1:"gunicorn"',
    'process 2:"gunicorn"',
    "SyncWorker.accept (gunicorn/workers/sync.py:30)",
    "SyncWorker.handle (gunicorn/workers/sync.py:141)",
    "SyncWorker.handle_request (gunicorn/workers/sync.py:184)",
    "Flask.wsgi_app (flask/app.py:1511)",
    "Flask.full_dispatch_request (flask/app.py:920)",
)
SQL = (
    "Session.execute (sqlalchemy/orm/session.py:2555)",
    "DefaultDialect.do_execute (sqlalchemy/engine/default.py:1192)",
    "Cursor.execute (psycopg/cursor.py:113)",
    "Connection.wait (psycopg/connection.py:495)",
)
LOGIN = (
    "Flask.preprocess_request (flask/app.py:1291)",
    "require_login (app/security.py:37)",
    "_get_user (flask_login/utils.py:370)",
    "load (app/people/sessions.py:60)",
)
ROUTE = (
    "Flask.dispatch_request (flask/app.py:902)",
    "ResponseMixin.response.<locals>.wrapper (flask_smorest/response.py:90)",
    "report (app/incidents/routes.py:49)",
    "report (app/incidents/services.py:203)",
)
DUMP = (
    "Flask.dispatch_request (flask/app.py:902)",
    "ResponseMixin.response.<locals>.wrapper (flask_smorest/response.py:95)",
    "Schema.dump (marshmallow/schema.py:550)",
)
PING = (
    "Pool.connect (sqlalchemy/pool/base.py:460)",
    "DefaultDialect._do_ping_w_event (sqlalchemy/engine/default.py:968)",
    *SQL[2:],
)
LINGER = (*WORKER[:4], "close_graceful (gunicorn/util.py:312)")
WAITING = (*WORKER[:2], "SyncWorker.run_for_one (gunicorn/workers/sync.py:83)")


@pytest.mark.parametrize(
    ("stack", "phase", "layer", "statement"),
    [
        (
            WORKER + LOGIN + SQL,
            "login: session and user loading",
            profile.WAITS_FOR_DATABASE,
            "load (app/people/sessions.py:60)",
        ),
        (
            WORKER + ROUTE + SQL,
            "the route's own work",
            profile.WAITS_FOR_DATABASE,
            "report (app/incidents/services.py:203)",
        ),
        (
            WORKER + ROUTE[:2] + LOGIN[1:],
            "login: session and user loading",
            "GridLink's own code",
            "",
        ),
        (WORKER + DUMP, "response: schema dump, JSON", "schemas: marshmallow", ""),
        (
            WORKER + LOGIN[:2] + PING,
            "security: login required, headers",
            profile.WAITS_FOR_DATABASE,
            "the pool's pre-ping (SELECT 1 at checkout)",
        ),
        (LINGER, profile.WAITS_FOR_CLIENT, profile.WAITS_FOR_CLIENT, ""),
    ],
)
def test_a_sample_is_put_where_its_innermost_frames_say(stack, phase, layer, statement):
    assert profile.phase(stack) == phase
    assert profile.layer(stack) == layer
    assert profile.statement(stack) == statement


def test_shares_count_the_workers_serving_and_leave_out_those_waiting():
    samples = Counter({WORKER + ROUTE + SQL: 3, LINGER: 1, WAITING: 4})
    rows, total, busy = profile.shares(samples, profile.phase)
    assert total == 4
    assert busy == 0.5
    assert rows == [("the route's own work", 0.75), (profile.WAITS_FOR_CLIENT, 0.25)]


def test_read_samples_sums_collapsed_stacks(tmp_path):
    path = tmp_path / "raw.txt"
    path.write_text("a (x.py:1);b (y.py:2) 3\na (x.py:1);b (y.py:2) 2\nc (z.py:3) 1\n")
    assert profile.read_samples(path) == {
        ("a (x.py:1)", "b (y.py:2)"): 5,
        ("c (z.py:3)",): 1,
    }
