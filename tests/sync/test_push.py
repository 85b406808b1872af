"""Commands up: each applied once, in each device's order; rejections keep their payload."""

import gzip
import json
import uuid

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from app.errors import Invalid
from app.extensions import db as _db
from app.history.services import record, timeline
from app.incidents import services as incidents
from app.sync import commands, services
from app.sync.routes import CommandIn
from tests.builders import report_body
from tests.tasks.conftest import jsonable, task_body


def command(seq, type_, args, command_id=None):
    return {"command_id": command_id or str(uuid.uuid4()), "seq": seq, "type": type_, "args": args}


def push(client, device, commands):
    response = client.post("/api/sync/push", json={"device_id": device, "commands": commands})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def device():
    return str(uuid.uuid4())


def count(db, table):
    return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_a_batch_applies_in_order_and_a_resent_batch_changes_nothing(cast, as_user, device, db):
    member = as_user(cast.member)
    report = report_body(cast.grid)
    batch = [
        command(1, "incident.report", report),
        command(2, "comment", {"entity": "incident", "id": report["id"], "note": "补充：有异味"}),
    ]
    first = push(member, device, batch)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    assert first["results"][0]["result"] == {"entity": "incident", "id": report["id"]}
    assert first["last_seq"] == 2
    history = count(db, "history")

    again = push(member, device, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert [r["outcome"] for r in again["results"]] == ["applied", "applied"]
    assert again["results"][0]["result"] == first["results"][0]["result"]
    assert count(db, "incident") == 1 and count(db, "history") == history


def test_a_gap_stops_the_batch_and_says_what_to_send(cast, as_user, device, db):
    member = as_user(cast.member)
    answer = push(member, device, [command(2, "incident.report", report_body(cast.grid))])
    assert answer["results"][0]["status"] == "gap"
    assert answer["results"][0]["expected_seq"] == 1
    assert count(db, "incident") == 0


def test_a_rejected_command_keeps_its_payload_and_the_queue_moves_on(cast, as_user, device, db):
    secretary, member, colleague = (
        as_user(cast.secretary),
        as_user(cast.member),
        as_user(cast.colleague),
    )
    task = secretary.post("/api/tasks", json=jsonable(task_body(grid=cast.grid, capacity=1)))
    task_id = task.get_json()["id"]
    assert colleague.post(f"/api/tasks/{task_id}/claim", json={}).status_code == 200

    report = report_body(cast.grid)
    answer = push(
        member,
        device,
        [
            command(1, "task.claim", {"id": task_id}),
            command(2, "incident.report", report),
        ],
    )
    refused, applied = answer["results"]
    assert refused["status"] == "rejected"
    assert refused["error"]["code"] == "task_full"
    assert "李强 at " in refused["error"]["message"] and "(UTC+8)" in refused["error"]["message"]
    # The holders, as the route writes them: a claim time is ISO 8601 in UTC.
    holders = secretary.get(f"/api/tasks/{task_id}").get_json()["holders"]
    assert refused["error"]["fields"]["_extra"]["holders"] == holders
    assert holders[0]["claimed_at"].endswith("+00:00")
    assert applied["status"] == "applied"
    assert answer["last_seq"] == 2

    mine = member.get("/api/sync/rejected").get_json()
    assert [(c["type"], c["args"]["id"]) for c in mine] == [("task.claim", task_id)]
    assert mine[0]["fields"]["_extra"]["holders"] == holders
    seen_by_secretary = secretary.get("/api/sync/rejected").get_json()
    assert [c["user"]["name"] for c in seen_by_secretary] == ["王芳"]
    assert as_user(cast.outside_secretary).get("/api/sync/rejected").get_json() == []
    # The member is told in the inbox too, with the reason.
    [told] = member.get("/api/inbox").get_json()
    assert (told["kind"], told["entity"]) == ("rejection", "command")
    assert told["entity_id"] == refused["command_id"] and "李强" in told["title"]


def test_invalid_arguments_are_a_rejection_not_a_failed_push(cast, as_user, device):
    member = as_user(cast.member)
    bad = report_body(cast.grid, lat=999)
    answer = push(member, device, [command(1, "incident.report", bad)])
    receipt = answer["results"][0]
    assert receipt["status"] == "rejected" and receipt["error"]["code"] == "validation_error"
    assert "lat" in receipt["error"]["fields"]
    outside = report_body(cast.grid, lat=39.9, lng=116.4)
    receipt = push(member, device, [command(2, "incident.report", outside)])["results"][0]
    assert receipt["error"]["code"] == "outside_district"


def test_a_device_belongs_to_one_user(cast, as_user, device):
    push(as_user(cast.member), device, [command(1, "incident.report", report_body(cast.grid))])
    taken = as_user(cast.colleague).post(
        "/api/sync/push",
        json={
            "device_id": device,
            "commands": [command(1, "incident.report", report_body(cast.grid))],
        },
    )
    assert taken.status_code == 409
    assert taken.get_json()["error"]["code"] == "device_taken"


def test_unknown_command_types_are_refused_with_the_field(cast, as_user, device):
    response = as_user(cast.member).post(
        "/api/sync/push",
        json={"device_id": device, "commands": [command(1, "incident.delete", {})]},
    )
    assert response.status_code == 422
    assert "commands" in response.get_json()["error"]["fields"]


def _gzipped(client, body, encoding="gzip"):
    return client.post(
        "/api/sync/push",
        data=body,
        headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
    )


def test_a_gzipped_batch_is_read_as_the_same_batch(cast, as_user, device, db):
    member = as_user(cast.member)
    report = report_body(cast.grid)
    batch = {"device_id": device, "commands": [command(1, "incident.report", report)]}
    body = json.dumps(batch).encode()
    answer = _gzipped(member, gzip.compress(body))
    assert answer.status_code == 200, answer.get_json()
    assert [r["status"] for r in answer.get_json()["results"]] == ["applied"]
    # Two gzip members one after the other are one body, as gzip has it; the resend is
    # answered from the receipts.
    half = len(body) // 2
    again = _gzipped(member, gzip.compress(body[:half]) + gzip.compress(body[half:]))
    assert [r["status"] for r in again.get_json()["results"]] == ["duplicate"]
    assert count(db, "incident") == 1


def test_a_body_that_is_not_gzip_or_unpacks_too_far_is_refused(cast, as_user, device, app, db):
    member = as_user(cast.member)
    body = json.dumps({"device_id": device, "commands": []}).encode()
    broken = _gzipped(member, gzip.compress(body)[:-12])  # cut short
    assert broken.status_code == 400
    assert broken.get_json()["error"]["code"] == "malformed_gzip"
    assert _gzipped(member, body).get_json()["error"]["code"] == "malformed_gzip"
    not_json = _gzipped(member, gzip.compress(b"{not json"))
    assert (not_json.status_code, not_json.get_json()["error"]["code"]) == (400, "malformed_json")
    other = _gzipped(member, body, encoding="br")
    assert (other.status_code, other.get_json()["error"]["code"]) == (415, "unsupported_media_type")
    limit = app.config["MAX_CONTENT_LENGTH"]
    bomb = gzip.compress(b" " * (limit + 1))  # a few kB on the wire
    assert len(bomb) < limit // 100
    refused = _gzipped(member, bomb)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (413, "payload_too_large")
    assert count(db, "sync_device") == 0


def comment_on(incident_id, seq, note="补充：有异味"):
    return command(seq, "comment", {"entity": "incident", "id": incident_id, "note": note})


# Values the database or its driver refuses, in args the schema lets through: one command's
# fault each, which must be its rejection and never jam the queue. (The first two are stored
# by SQLite, which keeps NUL in text and has no 32-bit integers: applied there.)
REFUSED = [
    ("nul_in_text", lambda r: comment_on(r["id"], 2, "有\x00异味"), {"postgresql"}),
    ("id_past_32_bits", lambda r: command(2, "message.read", {"id": 2**31}), {"postgresql"}),
    (
        "id_past_64_bits",
        lambda r: command(2, "message.read", {"id": 2**70}),
        {"postgresql", "sqlite"},
    ),
    ("lone_surrogate", lambda r: comment_on(r["id"], 2, "有\ud800异味"), {"postgresql", "sqlite"}),
]


@pytest.mark.parametrize("over_http", [False, True], ids=["service", "http"])
@pytest.mark.parametrize(("name", "make", "refused_on"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_value_the_database_refuses_is_its_commands_rejection(
    cast, as_user, device, db, name, make, refused_on, over_http
):
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report), make(report), comment_on(report["id"], 3)]
    if over_http:
        member = as_user(cast.member)
        answer = push(member, device, batch)
    else:
        answer = services.push(cast.member, device, CommandIn(many=True).load(batch))
    first, hostile, after = answer["results"]
    assert (first["status"], after["status"], answer["last_seq"]) == ("applied", "applied", 3)
    if db.engine.dialect.name in refused_on:
        assert hostile["status"] == "rejected", hostile
        assert hostile["error"]["code"] in ("validation_error", "not_found")
    else:
        assert hostile["status"] in ("applied", "rejected")
    # Resent, every command is answered from its receipt, the hostile one as it was.
    again = push(as_user(cast.member), device, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert again["results"][1]["outcome"] == hostile["status"]
    if hostile["status"] == "rejected":  # kept with its payload, as sent
        [kept] = as_user(cast.member).get("/api/sync/rejected").get_json()
        assert kept["args"] == batch[1]["args"]
    assert count(db, "sync_command") == 3


def test_args_that_are_not_plain_json_are_kept_as_their_json_text(cast, as_user, device, db):
    """NaN has no JSON spelling PostgreSQL's json takes: the payload is kept as its text."""
    args = {"id": str(uuid.uuid4()), "lat": float("nan"), "lng": float("inf"), "note": "现场"}
    answer = services.push(
        cast.member, device, CommandIn(many=True).load([command(1, "task.progress", args)])
    )
    [receipt] = answer["results"]
    assert receipt["status"] == "rejected" and receipt["error"]["code"] == "validation_error"
    [kept] = as_user(cast.member).get("/api/sync/rejected").get_json()
    assert list(kept["args"]) == [services.JSON_TEXT]
    assert json.dumps(json.loads(kept["args"][services.JSON_TEXT])) == json.dumps(args)


def failing(error):
    """A comment handler that writes its entry, then meets `error`."""

    def handler(user, args):
        commands.comment(user, args)
        raise error

    return handler


def test_a_database_failure_fails_the_push_and_nothing_of_it_is_kept(
    cast, as_user, device, db, monkeypatch
):
    """A deadlock (or the database gone) is no fault of the command: the whole push answers
    503 with when to try again, commits nothing, and the phone's resend applies it once."""
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report), comment_on(report["id"], 2)]
    batch.append(command(3, "incident.report", report_body(cast.grid)))
    schema, handler = commands.HANDLERS["comment"]
    deadlock = OperationalError("UPDATE …", {}, Exception("deadlock detected"))
    monkeypatch.setitem(commands.HANDLERS, "comment", (schema, failing(deadlock)))
    member = as_user(cast.member)
    response = member.post("/api/sync/push", json={"device_id": device, "commands": batch})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["error"]["code"] == "unavailable"
    for table in ("incident", "history", "sync_command", "sync_device", "inbox_message"):
        assert count(db, table) == 0, table

    monkeypatch.setitem(commands.HANDLERS, "comment", (schema, handler))
    answer = push(member, device, batch)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3
    assert count(db, "incident") == 2 and count(db, "sync_command") == 3


@pytest.mark.parametrize("ends", ["rollback", "commit"])
def test_a_service_that_ends_its_callers_transaction_fails_the_push_rather_than_lose_commands(
    cast, as_user, device, db, monkeypatch, ends
):
    """A rollback() in a service would undo the push's commands before it, which the answer
    would then acknowledge; a commit() would keep their effects without their receipts, to
    be applied again when resent. The push fails instead, keeping nothing, and is sent again."""

    def ending(user, args):
        getattr(db.session, ends)()
        return incidents.get_visible(user, args["id"])

    schema, _ = commands.HANDLERS["comment"]
    monkeypatch.setitem(commands.HANDLERS, "comment", (schema, ending))
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report), comment_on(report["id"], 2)]
    response = as_user(cast.member).post(
        "/api/sync/push", json={"device_id": device, "commands": batch}
    )
    assert response.status_code == 500
    assert count(db, "incident") == 0 and count(db, "sync_command") == 0


def test_a_push_commits_once_per_batch_of_commands(cast, device, db, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 3)
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report)]
    batch += [comment_on(report["id"], seq, f"第{seq}条") for seq in range(2, 8)]
    commits = []
    listener = lambda connection: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        answer = services.push(cast.member, device, CommandIn(many=True).load(batch))
    finally:
        event.remove(db.engine, "commit", listener)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 7
    assert len(commits) == 3  # commands 1-3, 4-6 and 7
    assert answer["last_seq"] == 7 and count(db, "sync_command") == 7


def test_a_command_sent_twice_in_one_push_applies_once(cast, as_user, device, db):
    report = report_body(cast.grid)
    once = command(1, "incident.report", report)
    answer = push(as_user(cast.member), device, [once, once, comment_on(report["id"], 2)])
    assert [r["status"] for r in answer["results"]] == ["applied", "duplicate", "applied"]
    assert count(db, "incident") == 1 and answer["last_seq"] == 2


def test_a_report_sent_again_as_a_new_command_is_the_same_incident(cast, as_user, device, db):
    """A second command (a reinstall, another lane) with the same incident id is the
    original: applied, one incident, one report in its history."""
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report), command(2, "incident.report", report)]
    answer = push(as_user(cast.member), device, batch)
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert {r["result"]["id"] for r in answer["results"]} == {report["id"]}
    assert count(db, "incident") == 1
    reports = "SELECT count(*) FROM history WHERE action = 'report'"
    assert db.session.execute(text(reports)).scalar() == 1


def notes(db):
    rows = db.session.execute(text("SELECT note FROM history WHERE action = 'comment' ORDER BY id"))
    return [note for (note,) in rows]


def test_a_rejected_commands_history_goes_with_it_and_the_rest_is_kept_in_order(
    cast, as_user, device, db, monkeypatch
):
    """A push's history entries are written together at the end of each batch: those of a
    command that failed after recording (and of a savepoint a service rolled back inside an
    applied command) are not among them; every other is, in the order recorded."""
    schema, handler = commands.HANDLERS["comment"]

    def comment(user, args):
        if args["note"] == "refused":
            record("incident", args["id"], "comment", user, note="refused, recorded first")
            raise Invalid("No.", fields={"note": ["refused"]})
        if args["note"] == "retried":
            try:
                with _db.session.begin_nested():
                    record("incident", args["id"], "comment", user, note="retried, first try")
                    raise Invalid("Lost a race.")
            except Invalid:
                pass
        return handler(user, args)

    monkeypatch.setitem(commands.HANDLERS, "comment", (schema, comment))
    monkeypatch.setattr(services, "BATCH", 4)
    report = report_body(cast.grid)
    said = ["one", "refused", "two", "retried", "three", "refused", "four"]
    batch = [command(1, "incident.report", report)]
    batch += [comment_on(report["id"], seq, note) for seq, note in enumerate(said, 2)]
    answer = push(as_user(cast.member), device, batch)
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["applied"] + ["rejected" if n == "refused" else "applied" for n in said]
    assert notes(db) == ["one", "two", "retried", "three", "four"]


def test_a_timeline_read_in_a_push_sees_the_entries_recorded_before_it(
    cast, as_user, device, db, monkeypatch
):
    schema, handler = commands.HANDLERS["comment"]
    seen = []

    def comment(user, args):
        changed = handler(user, args)
        seen.append([entry.note for entry in timeline("incident", args["id"])][1:])
        return changed

    monkeypatch.setitem(commands.HANDLERS, "comment", (schema, comment))
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report), comment_on(report["id"], 2, "一")]
    batch.append(comment_on(report["id"], 3, "二"))
    push(as_user(cast.member), device, batch)
    assert seen == [["一"], ["一", "二"]]
    assert notes(db) == ["一", "二"]


def test_a_push_sends_one_history_insert_a_batch_and_releases_no_savepoint(
    cast, device, db, monkeypatch
):
    """Round trips a command saves: its history is written with the batch's, and on
    PostgreSQL its savepoint, having ended well, is left for the commit to end."""
    monkeypatch.setattr(services, "BATCH", 10)
    report = report_body(cast.grid)
    batch = [command(1, "incident.report", report)]
    batch += [comment_on(report["id"], seq, f"第{seq}条") for seq in range(2, 16)]
    sent = []
    listener = lambda conn, cursor, statement, *rest: sent.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        answer = services.push(cast.member, device, CommandIn(many=True).load(batch))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 15
    assert sum(s.startswith("INSERT INTO history") for s in sent) == 2  # commands 1-10, 11-15
    releases = sum(s.startswith("RELEASE SAVEPOINT") for s in sent)
    savepoints = sum(s.startswith("SAVEPOINT") for s in sent)
    assert releases == (0 if db.engine.dialect.name == "postgresql" else savepoints)
    # The device's, the report's, and those of the second batch's comments, which read the
    # incident again: the first batch's find it in the session and send nothing at all (a
    # savepoint is begun with the first statement in it).
    assert savepoints == 7
    assert len(notes(db)) == 14


def _sent(db, run):
    sent = []
    listener = lambda conn, cursor, statement, *rest: sent.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        answer = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return answer, sent


def test_consecutive_reports_are_inserted_together_and_a_batchs_points_placed_at_once(
    cast, device, db
):
    """A run of reports is one incident INSERT and one attachment INSERT; the batch's points
    are placed by one query; a comment on a report just made reads nothing again."""
    reports = [report_body(cast.grid) for _ in range(5)]
    batch = [command(seq, "incident.report", r) for seq, r in enumerate(reports[:3], 1)]
    batch.append(comment_on(reports[0]["id"], 4))
    batch += [command(seq, "incident.report", r) for seq, r in enumerate(reports[3:], 5)]
    answer, sent = _sent(
        db, lambda: services.push(cast.member, device, CommandIn(many=True).load(batch))
    )
    assert [r["status"] for r in answer["results"]] == ["applied"] * 6
    assert [r["result"]["id"] for r in answer["results"] if r["seq"] != 4] == [
        r["id"] for r in reports
    ]
    assert sum("INSERT INTO incident (" in s for s in sent) == 2
    assert sum("INSERT INTO attachment (" in s for s in sent) == 2
    assert not any(s.startswith("SELECT incident.") for s in sent)
    if db.engine.dialect.name == "postgresql":
        assert sum("ST_Covers" in s for s in sent) == 1
    assert count(db, "incident") == 5 and count(db, "attachment") == 5
    assert db.session.execute(text("SELECT count(*) FROM history")).scalar() == 6
    again, sent = _sent(
        db, lambda: services.push(cast.member, device, CommandIn(many=True).load(batch))
    )
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 6
    assert not any("ST_Covers" in s or "INSERT INTO incident (" in s for s in sent)


def test_a_report_refused_in_a_run_is_rejected_alone_and_the_rest_apply(cast, as_user, device, db):
    outside = report_body(cast.grid, lat=10.0, lng=10.0)
    unknown = report_body(cast.grid, category="no-such-category")
    invalid = report_body(cast.grid, urgent="very")
    fine = [report_body(cast.grid) for _ in range(3)]
    bodies = [fine[0], outside, unknown, fine[1], invalid, fine[2]]
    batch = [command(seq, "incident.report", body) for seq, body in enumerate(bodies, 1)]
    answer = push(as_user(cast.member), device, batch)
    codes = [
        r["error"]["code"] if r["status"] == "rejected" else r["status"] for r in answer["results"]
    ]
    assert codes == [
        "applied",
        "outside_district",
        "validation_error",
        "applied",
        "validation_error",
        "applied",
    ]
    assert count(db, "incident") == 3 and count(db, "attachment") == 3
    again = push(as_user(cast.member), device, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 6
    assert [r["outcome"] for r in again["results"]] == [r["status"] for r in answer["results"]]


HOSTILE_SHA = "f" * 64
_REFUSE = {  # a trigger refusing one photo's attachment as a constraint would
    "postgresql": [
        "CREATE FUNCTION refuse_attachment() RETURNS trigger AS $$ BEGIN"
        f" IF NEW.sha256 = '{HOSTILE_SHA}' THEN"
        " RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF;"
        " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_attachment BEFORE INSERT ON attachment"
        " FOR EACH ROW EXECUTE FUNCTION refuse_attachment()",
    ],
    "sqlite": [
        "CREATE TRIGGER refuse_attachment BEFORE INSERT ON attachment"
        f" WHEN NEW.sha256 = '{HOSTILE_SHA}' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    ],
}
_ALLOW = {
    "postgresql": [
        "DROP TRIGGER refuse_attachment ON attachment",
        "DROP FUNCTION refuse_attachment()",
    ],
    "sqlite": ["DROP TRIGGER refuse_attachment"],
}


def test_a_value_the_database_refuses_in_a_run_of_reports_rejects_that_report_alone(
    cast, as_user, device, db
):
    """The run's statements fail as a whole (here its photos' INSERT, after its incidents');
    replayed one by one, the report at fault is its rejection and the others apply, each
    once, with its photo and its history."""
    bodies = [report_body(cast.grid) for _ in range(3)]
    bodies[1]["photos"] = [{"sha256": HOSTILE_SHA, "kind": "close_up"}]
    batch = [command(seq, "incident.report", body) for seq, body in enumerate(bodies, 1)]
    batch.append(comment_on(bodies[2]["id"], 4))
    dialect = db.engine.dialect.name
    for statement in _REFUSE[dialect]:
        db.session.execute(text(statement))
    db.session.commit()
    try:
        answer, sent = _sent(
            db, lambda: services.push(cast.member, device, CommandIn(many=True).load(batch))
        )
    finally:
        db.session.rollback()
        for statement in _ALLOW[dialect]:
            db.session.execute(text(statement))
        db.session.commit()
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["applied", "rejected", "applied", "applied"]
    assert answer["results"][1]["error"]["code"] == "validation_error"
    assert "refused" in answer["results"][1]["error"]["message"]
    assert sum("INSERT INTO incident (" in s for s in sent) == 1 + 3  # the run, replayed
    assert count(db, "incident") == 2 and count(db, "attachment") == 2
    reports = "SELECT count(*) FROM history WHERE action = 'report'"
    assert db.session.execute(text(reports)).scalar() == 2
    assert notes(db) == ["补充：有异味"]
    again = push(as_user(cast.member), device, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 4
    assert count(db, "sync_command") == 4 and count(db, "incident") == 2
