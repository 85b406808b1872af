"""Commands up: each applied exactly once, in each device's order; a push in one transaction
per batch of commands, each command in a savepoint of its own.

Exactly-once rests on unique constraints (the command id; the device and its sequence
number) and on the device's row, which a transaction holds from its start (an UPDATE) until
it commits: a copy of the push sent at the same moment waits, then reads the receipts the
first committed and answers from them. A command's effects and its receipt commit together.
A command's own fault (its args invalid, a rule refusing it, a value the database refuses)
rolls back to its savepoint and is its rejected receipt, and the queue moves on; a failure of
the infrastructure (the database gone, a deadlock) fails the request and the transaction with
it, and the phone sends the commands again.
"""

import json
from datetime import datetime
from types import SimpleNamespace

from marshmallow import ValidationError
from sqlalchemy import and_, bindparam, insert, inspect, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from app import clock, transaction
from app.errors import ApiError, Conflict
from app.extensions import db
from app.history import services as history
from app.incidents import services as incidents
from app.notify import services as inbox
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, user_scope
from app.sync.commands import ENTITY_OF, HANDLERS, Changed
from app.sync.models import APPLIED, REJECTED, Command, Device
from app.units.models import Unit

# Commands per transaction. A commit per command was most of a push's cost; a bound keeps
# what a transaction holds short: the device's row, the tasks it claims, every pull (which
# waits for writing transactions older than its rows, docs/sync.md), and on PostgreSQL its
# subtransactions (one per savepoint that writes: a command's and one a service may nest)
# within the 64 a backend tracks before every snapshot in the cluster overflows to disk.
BATCH = 30

# The key of args kept as JSON text (see _kept).
JSON_TEXT = "$json"


def _device(user, device_id):
    """The device, registered to this user on first sight; another user's device is refused,
    so a phone handed over never sends the previous user's commands as the new user's."""
    device = db.session.get(Device, device_id)
    if device is None:
        try:
            with db.session.begin_nested():
                device = Device(id=device_id, user_id=user.id, last_seq=0)
                db.session.add(device)
        except IntegrityError:  # the same new device, registered by a parallel push
            device = db.session.get(Device, device_id)
    if device.user_id != user.id:
        raise Conflict(
            "This device id belongs to another user: start a new one after a change of user.",
            code="device_taken",
            fields={"device_id": [device_id]},
        )
    return device


def push(user, device_id, commands):
    """Apply commands in sequence order; stop at a gap. Returns the receipts and last_seq."""
    ordered = sorted(commands, key=lambda c: c["seq"])
    receipts = []
    with transaction.savepoints_kept():
        _device(user, device_id)
        for start in range(0, max(len(ordered), 1), BATCH):
            with transaction.grouped(), history.held():
                last_seq, gap = _batch(user, device_id, ordered[start : start + BATCH], receipts)
            db.session.commit()
            if gap:
                break
    return {"results": receipts, "last_seq": last_seq}


def _batch(user, device_id, commands, receipts):
    """One transaction's commands, their receipts appended to `receipts`: (the device's
    last_seq, whether a gap stopped them). Consecutive reports are applied together (see
    `_Run`), each still its own receipt."""
    last_seq = _hold(device_id)
    known = _known(device_id, commands)  # read with the device held: nobody adds to them now
    new, gap = [], False
    run = _Run(user, device_id, commands, receipts, known, new)
    for command in commands:
        if not run.takes(command):
            run.apply()
        stored = _stored(device_id, command, known)
        if stored is not None:
            receipts.append(stored)
        elif command["seq"] != last_seq + 1:
            receipts.append(_gap(command, last_seq))
            gap = True
            break
        elif command["type"] in _RUNS:
            run.add(command)
            last_seq = command["seq"]
        else:
            _done(_apply(user, device_id, command), receipts, known, new)
            last_seq = command["seq"]
    run.apply()
    history.write_held()  # the history of the batch's commands, in one statement
    if new:
        connection = db.session.connection()
        connection.execute(_ADVANCE, {"device": device_id, "last_seq": last_seq})
        # With the device held, only another device's command with the same id can have
        # taken a receipt meanwhile: the IntegrityError fails the push, and its resend is
        # answered id_taken.
        connection.execute(_RECEIPT, new)
    return last_seq, gap


def _done(row, receipts, known, new, at=None):
    """A command applied or rejected: its receipt, at its place among `receipts`."""
    # A command sent twice in one push: the second is its duplicate.
    known[row["id"]] = known[("seq", row["seq"])] = SimpleNamespace(**row)  # as a Command
    receipt = _answer(row["id"], row["seq"], row["status"], row["result"], row)
    if at is None:
        receipts.append(receipt)
    else:
        receipts[at] = receipt
    new.append(row)


def _report_many(user, args, places):
    return [
        reported if isinstance(reported, ApiError) else reported.incident
        for reported in incidents.report_many(user, args, places=places)
    ]


def _places(commands):
    """The placements of the points of a batch's new reports (a resent batch places
    nothing), asked in one query: {(lng, lat): placement or None}. Points that are not
    numbers are left to the report's checks."""
    points = []
    for command in commands:
        args = command.get("args")
        if command.get("type") == "incident.report" and isinstance(args, dict):
            point = args.get("lng"), args.get("lat")
            if all(type(value) in (int, float) for value in point):
                points.append(tuple(float(value) for value in point))
    if len(points) < 2:
        return {}
    return dict(zip(points, incidents.placements(points), strict=True))


# Command types applied together when they come one after another: type -> function(user,
# [args]) -> for each, what it changed or the ApiError refusing it (and refusing changes
# nothing). A value the database refuses fails them all, and they are replayed one by one.
_RUNS = {"incident.report": _report_many}


class _Run:
    """Consecutive commands of one type in `_RUNS` (a phone's queue after a day offline is
    mostly reports), applied together: each command's args checked first, then the rest in
    one savepoint, where a report costs three statements for the whole run rather than four
    round trips each. If the database refuses a value of the run, the savepoint is rolled
    back and the commands replayed one by one, each in its savepoint, so that the one at
    fault becomes its rejected receipt and the others apply."""

    def __init__(self, user, device_id, commands, receipts, known, new):
        self.user, self.device_id = user, device_id
        self.receipts, self.known, self.new = receipts, known, new
        self.commands, self.keys = [], set()
        # What the runs changed, held until the batch ends: the session keeps an unchanged
        # object only while something refers to it, and the next command (a comment on a
        # report) finds it there rather than reading it again.
        self.changed = []
        self.places = _places([c for c in commands if c["command_id"] not in known])

    def takes(self, command):
        """Whether `command` may join the run (else the run is applied before it): one of
        the same type, neither a copy of one in the run nor acting on the same id."""
        if not self.commands:
            return True
        args = command.get("args")
        key = args.get("id") if isinstance(args, dict) else None
        return command["type"] == self.commands[0][1]["type"] and not (
            {command["command_id"], ("seq", command["seq"]), ("id", key)} & self.keys
        )

    def add(self, command):
        args = command.get("args")
        key = args.get("id") if isinstance(args, dict) else None
        self.keys |= {command["command_id"], ("seq", command["seq"])}
        if key is not None:
            self.keys.add(("id", key))
        self.commands.append((len(self.receipts), command))
        self.receipts.append(None)  # its receipt, when the run is applied

    def apply(self):
        if not self.commands:
            return
        commands, self.commands, self.keys = self.commands, [], set()
        outcomes = {}  # receipt index -> (status, result, error)
        loaded = []
        schema = HANDLERS[commands[0][1]["type"]][0]
        for at, command in commands:
            try:
                loaded.append((at, command, schema.load(command["args"])))
            except ValidationError as invalid:
                outcomes[at] = _invalid(invalid)
        if loaded:
            push_transaction = db.session().get_transaction()
            try:
                with db.session.begin_nested():
                    changed = _RUNS[commands[0][1]["type"]](
                        self.user, [args for _, _, args in loaded], self.places
                    )
                    self.changed += changed
            except Exception as failed:
                if not _refused_value(failed):
                    raise
                changed = None  # one of them is at fault: each on its own, in order
            if db.session().get_transaction() is not push_transaction:
                raise RuntimeError("A run of commands ended its caller's transaction")
            things = changed or [None] * len(loaded)
            for (at, _, _), thing in zip(loaded, things, strict=True):
                outcomes[at] = None if changed is None else _outcome(thing)
        for at, command in commands:
            if outcomes[at] is None:
                row = _apply(self.user, self.device_id, command)
            else:
                row = _row(self.user, self.device_id, command, *outcomes[at])
            _done(row, self.receipts, self.known, self.new, at)


def _outcome(changed):
    """(status, result, error) of a command in a run, from what it changed or its refusal."""
    if isinstance(changed, ApiError):
        return _refusal(changed)
    return APPLIED, _result(changed), None


def _result(changed):
    """A receipt's result: the entity and id of what a command changed."""
    if isinstance(changed, Changed):
        return changed._asdict()
    return {"entity": ENTITY_OF[type(changed)], "id": _id(changed)}


def _known(device_id, commands):
    """Receipts already stored for these commands, by command id and by seq, in one query: a
    resent batch is answered from these."""
    ids = [c["command_id"] for c in commands]
    seqs = [c["seq"] for c in commands]
    rows = db.session.execute(
        select(Command).where(
            or_(Command.id.in_(ids), and_(Command.device_id == device_id, Command.seq.in_(seqs)))
        )
    ).scalars()
    known = {}
    for row in rows:
        known[row.id] = row
        if row.device_id == device_id:
            known[("seq", row.seq)] = row
    return known


def _receipt(stored, duplicate=False):
    return _answer(
        stored.id,
        stored.seq,
        stored.status,
        stored.result,
        {"code": stored.code, "message": stored.message, "fields": stored.fields},
        duplicate,
    )


def _answer(command_id, seq, status, result, error, duplicate=False):
    receipt = {
        "command_id": command_id,
        "seq": seq,
        "status": "duplicate" if duplicate else status,
        "outcome": status,
        "result": result,
    }
    if status == REJECTED:
        receipt["error"] = {
            "code": error["code"],
            "message": error["message"],
            "fields": error["fields"] or {},
        }
    return receipt


def _stored(device_id, command, known):
    """The receipt of a command already processed, found by its id or its place in order."""
    stored = known.get(command["command_id"]) or known.get(("seq", command["seq"]))
    if stored is None:
        return None
    if stored.id != command["command_id"] or stored.device_id != device_id:
        return {
            "command_id": command["command_id"],
            "seq": command["seq"],
            "status": "rejected",
            "outcome": "rejected",
            "result": None,
            "error": {
                "code": "id_taken",
                "message": "Another command already has this id or sequence number.",
                "fields": {},
            },
        }
    return _receipt(stored, duplicate=True)


# Built once, run on the session's connection (Core: nothing of the ORM is needed).
_device_table, _command_table = Device.__table__, Command.__table__
_HOLD = (
    update(_device_table)
    .where(_device_table.c.id == bindparam("device"))
    .values(last_seen_at=bindparam("now"))
    .returning(_device_table.c.last_seq)
)
_ADVANCE = (
    update(_device_table)
    .where(_device_table.c.id == bindparam("device"))
    .values(last_seq=bindparam("last_seq"))
)
_RECEIPT = insert(_command_table)


def _hold(device_id):
    """The device's last_seq, its row held until the transaction ends (an UPDATE; on SQLite,
    the database's write lock), so that a copy of the push sent at the same moment waits."""
    return (
        db.session.connection()
        .execute(_HOLD, {"device": device_id, "now": clock.now()})
        .scalar_one()
    )


def _gap(command, last_seq):
    return {
        "command_id": command["command_id"],
        "seq": command["seq"],
        "status": "gap",
        "outcome": None,
        "result": None,
        "error": {
            "code": "gap",
            "message": f"Send command {last_seq + 1} first.",
            "fields": {"seq": [command["seq"]]},
        },
        "expected_seq": last_seq + 1,
    }


def _apply(user, device_id, command):
    """Run the next command: the receipt row to store with its effects."""
    push_transaction = db.session().get_transaction()
    status, result, error = _run(user, command)
    if db.session().get_transaction() is not push_transaction:
        # The push's commands before this one, about to be acknowledged, would be gone.
        raise RuntimeError(f"{command['type']} ended its caller's transaction: use a savepoint")
    return _row(user, device_id, command, status, result, error)


def _row(user, device_id, command, status, result, error):
    """The receipt row of a command run."""
    if status == REJECTED:  # told in the inbox too: nothing a member did is dropped silently
        inbox.deliver(
            [user.id], "rejection", error["message"], None, "command", command["command_id"]
        )
    error = error or {}
    return {
        "id": command["command_id"],
        "device_id": device_id,
        "seq": command["seq"],
        "user_id": user.id,
        "type": command["type"],
        "args": _kept(command["args"]),
        "device_time": command.get("device_time"),
        "status": status,
        "code": error.get("code"),
        "message": error.get("message"),
        "fields": error.get("fields"),
        "result": result,
        "received_at": clock.now(),
    }


def _run(user, command):
    """(status, result, error): the command's effects, flushed in a savepoint of its own. A
    fault of the command's own rolls back to the savepoint and is its rejection; any other
    failure is raised."""
    schema, handler = HANDLERS[command["type"]]
    try:
        args = schema.load(command["args"])
        with db.session.begin_nested():
            changed = handler(user, args)
    except ValidationError as invalid:
        return _invalid(invalid)
    except ApiError as refused:
        return _refusal(refused)
    except Exception as failed:
        if not _refused_value(failed):
            raise
        cause = getattr(failed, "orig", None) or failed
        reason = str(cause).partition("\n")[0] or type(cause).__name__
        return REJECTED, None, _error("validation_error", f"A value was refused: {reason}", {})
    return APPLIED, _result(changed), None


def _invalid(invalid):
    messages = invalid.messages
    fields = messages if isinstance(messages, dict) else {"_": messages}
    return REJECTED, None, _error("validation_error", "Some fields are invalid.", fields)


def _refusal(refused):
    extra = {"_extra": refused.extra} if refused.extra else {}
    return REJECTED, None, _error(refused.code, refused.message, {**refused.fields, **extra})


def _id(changed):
    """The id of what a command changed, without loading it again if its service expired it
    (a released task, whose count changed in the database)."""
    identity = inspect(changed).identity
    return identity[0] if identity else changed.id


def _refused_value(error):
    """Whether the database refused a value of the command (PostgreSQL's data exceptions and
    constraints) or its driver could not send one (SQLite's ints past 64 bits, a lone
    surrogate, PostgreSQL's NUL in text): the command's fault. Not the database failing
    (OperationalError and its kind: the connection lost, a deadlock, a timeout)."""
    if isinstance(error, DataError | IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        return False
    if isinstance(error, StatementError):  # the driver's own refusal, wrapped
        error = error.orig
    return isinstance(error, ValueError | OverflowError)


def _error(code, message, fields):
    """A rejection as its receipt keeps it, in text and JSON that either database stores."""
    return {"code": code, "message": _text(message), "fields": _kept(_jsonable(fields))}


def _text(value):
    """Text a database column takes: NUL and lone surrogates written as escapes."""
    return value.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def _kept(value):
    """`value` as a JSON column stores it on either database: as it is, or, if it is not
    plain JSON (NaN or Infinity, which PostgreSQL's json refuses), as its JSON text under
    JSON_TEXT, which json.loads turns back into the value. (PostgreSQL's json, unlike
    jsonb, keeps NUL and lone surrogates as the escapes they arrive as.)"""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return {JSON_TEXT: json.dumps(value, ensure_ascii=False)}
    return value


def rejected(user, limit=100):
    """Rejected commands with their payloads: a member's own; for managers, those of the
    members serving inside their area."""
    query = select(Command).where(Command.status == REJECTED)
    if user.role in people.MANAGERS:
        if user.role != DISTRICT_ADMIN:
            inside = or_(*[Unit.code.startswith(area.code) for area in people.areas(user)])
            members = (
                select(user_scope.c.user_id)
                .join(Unit, Unit.id == user_scope.c.unit_id)
                .where(inside)
            )
            query = query.where(Command.user_id.in_(members))
    else:
        query = query.where(Command.user_id == user.id)
    query = query.order_by(Command.received_at.desc()).limit(limit)
    return db.session.execute(query).scalars().all()


def _jsonable(value):
    """Kept in a JSON column: datetimes (a holder's claim time) as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
