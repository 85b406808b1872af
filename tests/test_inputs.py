"""Hostile input gets a clear 4xx in the error shape, never a 5xx, and nothing is stored."""

import gzip
import json
import uuid
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from app import inputs
from app.incidents.models import Incident
from app.tasks.models import Task
from tests.builders import report_body
from tests.tasks.conftest import jsonable, task_body

BIG = 2**70


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"]["code"] == code, body
    return body["error"]


def _raw(client, path, text, method="post", **kwargs):
    """A JSON body sent as written (escapes like \\u0000 and NaN survive)."""
    return getattr(client, method)(path, data=text, content_type="application/json", **kwargs)


# (what the caller sends, the field the answer names)
NUL_IN_THE_URL = [
    ("/api/incidents/a%00b", "incident_id"),
    ("/api/incidents?grid=a%00", "grid"),
    ("/api/tasks?grid=%00", "grid"),
    ("/api/grids/a%00", "code"),
    ("/api/dispatch?community=x%00", "community"),
]


@pytest.mark.parametrize(("url", "field"), NUL_IN_THE_URL)
def test_a_nul_in_the_path_or_query_is_a_400_naming_it(cast, as_user, url, field):
    error = _error(as_user(cast.district_admin).get(url), 400, "invalid_characters")
    assert error["fields"].keys() == {field}


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff", "a\\ud800b"])
def test_strings_the_database_cannot_store_are_refused_before_anything_is_stored(
    cast, as_user, db, escape
):
    body = json.dumps(report_body(cast.grid)).replace(
        '"description": "', f'"description": "{escape}'
    )
    error = _error(_raw(as_user(cast.member), "/api/incidents", body), 400, "invalid_characters")
    assert list(error["fields"]) == ["description"]
    assert db.session.query(Incident).count() == 0


def test_a_key_that_cannot_be_stored_is_refused(cast, as_user):
    body = json.dumps(report_body(cast.grid))[:-1] + ', "\\u0000": 1}'
    _error(_raw(as_user(cast.member), "/api/incidents", body), 400, "invalid_characters")


def test_a_nul_in_a_form_field_or_file_name_is_refused(cast, as_user):
    response = as_user(cast.member).post(
        "/api/photos", data={"kind": "close\x00up"}, content_type="multipart/form-data"
    )
    assert _error(response, 400, "invalid_characters")["fields"] == {
        "kind": ["contains U+0000, which cannot be stored"]
    }


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/whistles/99999999999/rate", 404),
        (f"/api/whistles/{2**31}/report", 404),
        (f"/api/inbox/{BIG}/read", 404),
    ],
)
def test_an_id_in_the_path_past_the_column_cannot_exist(cast, as_user, url, status):
    _error(as_user(cast.district_admin).post(url, json={"rating": 3}), status, "not_found")


@pytest.mark.parametrize(
    "url",
    [
        f"/api/inbox?before={BIG}",
        "/api/incidents?offset=4.4e28",
        f"/api/incidents?offset={2**31}",
        f"/api/tasks?offset={BIG}",
        f"/api/people?offset={BIG}",
        f"/api/dispatch?limit={BIG}",
        f"/api/sync/pull?limit={BIG}",
    ],
)
def test_a_query_integer_past_the_column_is_a_422(cast, as_user, url):
    _error(as_user(cast.district_admin).get(url), 422, "validation_error")


def test_a_body_integer_past_the_column_is_a_422_and_stores_nothing(cast, as_user, db):
    client = as_user(cast.secretary)
    for field, value in (("responsible_id", BIG), ("responsible_id", 2**31), ("capacity", BIG)):
        response = client.post("/api/tasks", json=jsonable(task_body(cast.grid, **{field: value})))
        assert field in _error(response, 422, "validation_error")["fields"]
    assert db.session.query(Task).count() == 0
    incident = report_body(cast.grid)
    as_user(cast.member).post("/api/incidents", json=incident)
    client.post(f"/api/incidents/{incident['id']}/accept", json={})
    response = client.post(f"/api/incidents/{incident['id']}/dispatch", json={"assignee_id": BIG})
    assert "assignee_id" in _error(response, 422, "validation_error")["fields"]


def test_a_sync_seq_past_the_column_is_a_422(cast, as_user):
    push = {
        "device_id": str(uuid.uuid4()),
        "commands": [
            {"command_id": str(uuid.uuid4()), "seq": 2**31, "type": "comment", "args": {}}
        ],
    }
    error = _error(as_user(cast.member).post("/api/sync/push", json=push), 422, "validation_error")
    assert "commands" in error["fields"]


@pytest.mark.parametrize("depth", [inputs.MAX_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_refused(cast, as_user, depth):
    body = "[" * depth + "]" * depth
    _error(_raw(as_user(cast.member), "/api/incidents", body), 400, "json_too_deep")


def test_json_as_deep_as_allowed_is_parsed(cast, as_user):
    depth = inputs.MAX_DEPTH - 1
    body = json.dumps(report_body(cast.grid, extra="[" * depth + "]" * depth))
    # Parsed, then refused by the schema as an unknown field: the depth itself was fine.
    _error(_raw(as_user(cast.member), "/api/incidents", body), 400, "unknown_field")


def test_a_gzipped_push_goes_through_the_same_checks(cast, as_user):
    client = as_user(cast.member)
    headers = {"Content-Encoding": "gzip"}
    deep = gzip.compress(b"[" * 5000 + b"]" * 5000)
    response = _raw(client, "/api/sync/push", deep, headers=headers)
    _error(response, 400, "json_too_deep")
    nul = gzip.compress(json.dumps({"device_id": "\x00", "commands": []}).encode())
    response = _raw(client, "/api/sync/push", nul, headers=headers)
    assert _error(response, 400, "invalid_characters")["fields"] == {
        "device_id": ["contains U+0000, which cannot be stored"]
    }


def test_a_nul_inside_one_commands_args_rejects_that_command_alone(cast, as_user, db):
    """The push is answered: were it a 400, the phone would send the same batch forever."""
    device = str(uuid.uuid4())
    bad, good = report_body(cast.grid), report_body(cast.grid)
    bad["description"] = "堵塞\x00通道"
    commands = [
        {"command_id": str(uuid.uuid4()), "seq": seq, "type": "incident.report", "args": args}
        for seq, args in ((1, bad), (2, good))
    ]
    response = as_user(cast.member).post(
        "/api/sync/push", json={"device_id": device, "commands": commands}
    )
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["error"]["fields"] == {
        "description": ["contains U+0000, which cannot be stored"]
    }
    assert [i.id for i in db.session.query(Incident)] == [good["id"]]


def _forged(app, payload):
    with app.app_context():
        return URLSafeSerializer(app.config["SECRET_KEY"], salt="gridlink-sync-cursor").dumps(
            payload
        )


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "cursor",
        None,
        {"u": 1},
        {"u": "1", "a": [], "p": [0, 0], "s": None, "t": 0},
        {"u": 1, "a": "x", "p": [0, 0], "s": None, "t": 0},
        {"u": 1, "a": [], "p": [0], "s": None, "t": 0},
        {"u": 1, "a": [], "p": [-1, BIG], "s": None, "t": 0},
        {"u": 1, "a": [], "p": [0, 0], "s": ["nothing", ""], "t": 0},
        {"u": 1, "a": [], "p": [0, 0], "s": ["incident"], "t": 0},
        {"u": 1, "a": [], "p": [0, 0], "s": None, "t": "now"},
    ],
)
def test_a_forged_cursor_of_unexpected_shape_is_a_400(app, cast, as_user, payload):
    if isinstance(payload, dict) and payload.get("u") == 1:
        payload = dict(payload, u=cast.member.id)
    token = _forged(app, payload)
    response = as_user(cast.member).get("/api/sync/pull", query_string={"cursor": token})
    _error(response, 400, "bad_cursor")


def test_options_on_uploads_says_no_body_and_keeps_its_headers(cast, as_user):
    response = as_user(cast.member).options("/api/uploads")
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert response.headers["Tus-Resumable"] == "1.0.0"


def test_error_body_in_the_openapi_document_names_what_errors_carry(client):
    spec = client.get("/api/openapi.json").get_json()
    body = spec["components"]["schemas"]["ErrorBody"]["properties"]
    assert {"code", "message", "fields", "unit", "retry_after", "state", "holders"} <= set(body)


def test_an_errors_times_are_iso_8601(cast, as_user):
    task = (
        as_user(cast.secretary).post("/api/tasks", json=jsonable(task_body(cast.grid))).get_json()
    )
    as_user(cast.member).post(f"/api/tasks/{task['id']}/claim", json={})
    full = as_user(cast.colleague).post(f"/api/tasks/{task['id']}/claim", json={})
    holder = _error(full, 409, "task_full")["holders"][0]
    assert holder["claimed_at"][:4].isdigit() and holder["claimed_at"].endswith("+00:00")


URL_TEXT = st.text(max_size=20)  # a URL cannot carry a lone surrogate: UTF-8 has none
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)


@given(url_text=URL_TEXT, body_text=ANY_TEXT)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_in_any_field_answers_below_500(cast, as_user, url_text, body_text):
    client = as_user(cast.member)
    for response in (
        client.get("/api/incidents", query_string={"grid": url_text, "category": url_text}),
        client.get("/api/incidents/" + quote(url_text, safe="")),
        client.post(
            "/api/incidents", json=report_body(cast.grid, description=body_text, address=body_text)
        ),
        client.post("/api/incidents", json={body_text: body_text}),
    ):
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
