"""No command's args can jam a phone's queue: arbitrary JSON (text of every plane, NUL, lone
surrogates, integers past every column, floats, deep nesting, wrong types) as the args of every
command type, interleaved with good commands, in one or two pushes, through the service and
over HTTP. Every push answers, every command gets exactly one receipt (applied or rejected,
never a gap), the good commands apply, the device's seq advances past every command, and each
rejected command is listed with its payload.
"""

import json
import os
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import clock
from app.extensions import db as _db
from app.people.models import User
from app.sync import services
from app.sync.commands import HANDLERS
from app.sync.routes import CommandIn
from app.tasks import services as tasks
from tests.builders import report_body
from tests.patrols.conftest import batch
from tests.sync.conftest import command, empty_written, logged_in
from tests.tasks.conftest import task_body
from tests.wishes.conftest import wish_body

ODD = ["\x00", "\ud800", "\udbff", "\udfff", "\U0001f600", "\U0010ffff", "\ufffe", "网"]
text = st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from(ODD)), max_size=12)
huge = st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**70])
real = st.floats(allow_nan=False, allow_infinity=False)
finite = st.one_of(st.none(), st.booleans(), st.integers(), huge, real, text)
scalars = st.one_of(finite, st.floats())  # NaN and infinities too
odd_text = st.tuples(text, st.sampled_from(ODD), text).map("".join)
deep = st.integers(2, 60).map(lambda n: json.loads("[" * n + "1" + "]" * n))


def json_values(leaves):
    return st.recursive(
        st.one_of(leaves, deep),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    )


def templates(grid, report_id, task_id):
    """Good args of each command type, for hostile values to replace some of."""
    point = {"lat": 27.7, "lng": 109.2}
    patrol_id = str(uuid.uuid5(uuid.NAMESPACE_URL, report_id))
    photo = [{"sha256": "b" * 64, "kind": "after"}]
    absent = str(uuid.uuid4())
    return {
        "incident.report": report_body(grid),
        "incident.me_too": {"id": report_id},
        "incident.start": {"id": report_id, **point},
        "incident.return": {"id": report_id, "reason": "不归我管"},
        "incident.handle": {"id": report_id, "note": "已处理", "photos": photo, **point},
        "incident.check": {"id": report_id, "passed": True},
        "task.claim": {"id": task_id},
        "task.release": {"id": task_id},
        "task.progress": {"id": task_id, "note": "进行中"},
        "task.complete": {"id": task_id, "note": "完成", "photos": photo, **point},
        "comment": {"entity": "incident", "id": report_id, "note": "补充"},
        "rollcall.ack": {"id": str(uuid.uuid4())},
        "message.read": {"id": 1},
        # No such wish or activity: refused by their services, after the schema's checks.
        "wish.record": {**wish_body(grid), "id": absent},
        "wish.claim": {"id": absent},
        "wish.cancel": {"id": absent, "reason": "临时有事"},
        "wish.fulfil": {"id": absent, "photos": photo, "confirmed": True},
        "activity.sign_up": {"id": absent},
        "activity.check_in": {"id": absent, **point},
        "activity.check_out": {"id": absent},
        "household.create": {"grid": grid.code, "address": "清水塘路8号"},
        "household.update": {"id": report_id, "changes": {"room": "1"}, "base": {"room": 0}},
        "household.add_member": {"household": report_id, "name": "张三", "relationship": "head"},
        "household.alarm": {"household": report_id, "description": "无人应门"},
        "household.move_out": {"id": report_id, "on": "2026-11-30", "reason": "迁居"},
        "household.move_in": {"id": report_id},
        "visit.record": {"id": str(uuid.uuid4()), "household": report_id, "note": "走访"},
        "patrol.start": {"id": patrol_id, "grid": grid.code},
        "patrol.track": {"id": patrol_id, **batch([(27.7, 109.2, 0, 5)], 1, clock.now())},
        "patrol.end": {"id": patrol_id},
        "patrol.report": {**report_body(grid), "patrol_id": patrol_id},
        "journal.write": {
            "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, report_id)),
            "day": (clock.now() - timedelta(days=1)).date().isoformat(),
            "problems": "无",
            "measures": "巡查",
            "results": "正常",
        },
    }


# Fields a value reaches the database through, when the rest of the args are good.
TEXT_FIELDS = {
    "incident.report": ["description", "address", "resident_name"],
    "incident.return": ["reason"],
    "comment": ["note"],
    "task.progress": ["note"],
    "wish.cancel": ["reason"],
    "wish.record": ["need", "place", "beneficiary_name", "address"],
    "patrol.track": ["line"],
    "journal.write": ["problems"],
}
NUMBER_FIELDS = {
    "message.read": ["id"],
    "incident.report": ["lat", "accuracy_m"],
    "patrol.track": ["from_seq"],
}


@st.composite
def hostile(draw, values, floats):
    """(type, how to make its args from the templates) of a command meant to go wrong: good
    args with odd text or a huge number in a field that reaches the database, or with any
    field replaced by any value, or args of any shape at all."""
    way = draw(st.sampled_from(["text", "number", "field", "shape"]))
    if way == "shape":
        kind = draw(st.sampled_from(sorted(HANDLERS)))
        anything = draw(st.dictionaries(text, values, max_size=4))
        return kind, lambda templates: anything
    if way == "field":
        kind = draw(st.sampled_from(sorted(HANDLERS)))
        pick, value = draw(st.integers(0, 20)), draw(values)
    else:
        fields = TEXT_FIELDS if way == "text" else NUMBER_FIELDS
        kind = draw(st.sampled_from(sorted(fields)))
        pick = draw(st.sampled_from(fields[kind]))
        value = draw(odd_text if way == "text" else st.one_of(huge, floats))

    def make(templates):
        args = dict(templates[kind])
        args[pick if isinstance(pick, str) else sorted(args)[pick % len(args)]] = value
        return args

    return kind, make


def plan(values, floats):
    """A good report first, then good comments and hostile commands in any order."""
    step = st.one_of(st.just(None), hostile(values, floats))
    return st.tuples(st.lists(step, min_size=2, max_size=14), st.integers(1, 15))


def same_json(kept, sent):
    if isinstance(kept, dict) and list(kept) == [services.JSON_TEXT]:
        kept = json.loads(kept[services.JSON_TEXT])
    return json.dumps(kept, sort_keys=True) == json.dumps(sent, sort_keys=True)


def check(steps, split, send, member_id, secretary_id, grid, rejected):
    """One example: build the commands, send them in one or two pushes, check the promises."""
    empty_written()
    task, _ = tasks.create(_db.session.get(User, secretary_id), task_body(grid=grid, capacity=2))
    task_id = task.id
    _db.session.commit()
    report = report_body(grid)
    made = templates(grid, report["id"], task_id)
    device = str(uuid.uuid4())
    batch, good = [command(1, "incident.report", report)], {1}
    for step in steps:
        seq = len(batch) + 1
        if step is None:
            batch.append(command(seq, "comment", {"entity": "task", "id": task_id, "note": "好"}))
            good.add(seq)
        else:
            kind, make = step
            batch.append(command(seq, kind, make(made)))
    receipts, last_seq = [], 0
    for part in (batch[:split], batch[split:]):
        if part:
            answer = send(device, part)
            receipts += answer["results"]
            last_seq = answer["last_seq"]

    assert [r["seq"] for r in receipts] == [c["seq"] for c in batch]  # one each, in order
    assert {r["status"] for r in receipts} <= {"applied", "rejected"}
    assert last_seq == len(batch)  # the seq advanced past every command
    for receipt in receipts:
        if receipt["seq"] in good:
            assert receipt["status"] == "applied", receipt
    listed = {item["id"]: item for item in rejected()}
    for sent, receipt in zip(batch, receipts, strict=True):
        if receipt["status"] == "rejected":
            assert same_json(listed[sent["command_id"]]["args"], sent["args"])
        else:
            assert sent["command_id"] not in listed


SETTINGS = settings(
    max_examples=int(os.environ.get("HOSTILE_ARGS_EXAMPLES", 25)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(values, cast, send, rejected, floats=st.floats()):
    """Run the drawn plans, each sent by `send` and its rejections listed by `rejected`."""
    people = (cast.member.id, cast.secretary.id, cast.grid)

    @SETTINGS
    @given(plan(values, floats))
    def run(drawn):
        steps, split = drawn
        check(steps, split, send, *people, rejected)

    run()


@pytest.mark.timeout(900)
def test_any_args_through_the_service_never_jam_the_queue(app, cast, db):
    member_id = cast.member.id

    def send(device, part):
        _db.session.rollback()
        member = _db.session.get(User, member_id)
        return services.push(member, device, CommandIn(many=True).load(part))

    def rejected():
        member = _db.session.get(User, member_id)
        return [{"id": c.id, "args": c.args} for c in services.rejected(member, limit=100)]

    examples(json_values(scalars), cast, send, rejected)


@pytest.mark.timeout(900)
def test_any_args_over_http_never_jam_the_queue(app, cast, db):
    """JSON on the wire has no NaN or infinities: everything else, as a phone could send it."""
    phone = logged_in(app, cast.member)

    def send(device, part):
        response = phone.post("/api/sync/push", json={"device_id": device, "commands": part})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def rejected():
        response = phone.get("/api/sync/rejected")
        assert response.status_code == 200
        return response.get_json()

    # A number field's value too: `real`, as the wire's JSON can carry it.
    examples(json_values(finite), cast, send, rejected, floats=real)
