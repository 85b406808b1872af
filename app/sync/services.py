"""Commands up: each applied exactly once, in each device's order, in its own transaction.

Exactly-once rests on unique constraints (the command id; the device and its sequence
number), not on a look before the insert: the command's effects and its receipt commit
together, and a second copy racing the first fails on the receipt and rolls back whole.
"""

from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import clock, transaction
from app.errors import ApiError, Conflict
from app.extensions import db
from app.notify import services as inbox
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, user_scope
from app.sync.commands import ENTITY_OF, HANDLERS
from app.sync.models import APPLIED, REJECTED, Command, Device
from app.units.models import Unit


def _device(user, device_id):
    """The device, registered to this user on first sight; another user's device is refused,
    so a phone handed over never sends the previous user's commands as the new user's."""
    device = db.session.get(Device, device_id)
    if device is None:
        device = Device(id=device_id, user_id=user.id, last_seq=0)
        db.session.add(device)
        try:
            db.session.commit()
        except IntegrityError:  # the same new device, registered by a parallel push
            db.session.rollback()
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
    _device(user, device_id)
    known = _known(device_id, commands)
    lazy = db.session.get_bind().dialect.name == "postgresql"
    receipts = []
    for command in sorted(commands, key=lambda c: c["seq"]):
        receipt = _apply(user, device_id, command, known, lazy)
        receipts.append(receipt)
        if receipt["status"] == "gap":
            break
    last_seq = db.session.execute(select(Device.last_seq).where(Device.id == device_id)).scalar()
    db.session.execute(
        update(Device).where(Device.id == device_id).values(last_seen_at=clock.now())
    )
    db.session.commit()
    return {"results": receipts, "last_seq": last_seq}


def _known(device_id, commands):
    """Receipts already stored for this batch, by command id and by seq, in one query: a
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
        stored.status == REJECTED
        and {"code": stored.code, "message": stored.message, "fields": stored.fields},
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


def _stored(device_id, command, known=None):
    """The receipt of a command already processed, found by its id or its place in order."""
    known = known if known is not None else _known(device_id, [command])
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


# Built once, run on the session's connection (Core: nothing of the ORM is needed), for each
# of up to a thousand commands of a push.
_device_table, _command_table = Device.__table__, Command.__table__
_ADVANCE = (
    update(_device_table)
    .where(
        _device_table.c.id == bindparam("device"), _device_table.c.last_seq == bindparam("previous")
    )
    .values(last_seq=bindparam("next"))
)
_RECEIPT = insert(_command_table)


def _advance(device_id, seq):
    """Move the device to `seq` if it is the next one: one conditional UPDATE, which also
    holds the device's row until the command commits, so a copy sent at the same moment
    waits and then finds the step already taken."""
    moved = (
        db.session.connection()
        .execute(_ADVANCE, {"device": device_id, "previous": seq - 1, "next": seq})
        .rowcount
    )
    return moved == 1


def _last_seq(device_id):
    return db.session.execute(select(Device.last_seq).where(Device.id == device_id)).scalar()


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


def _commit_lazily():
    """On PostgreSQL, let this command's commit return before its WAL reaches the disk. The
    push ends with an ordinary commit, which flushes the WAL up to it, and so every command
    before it, before any receipt is answered: what a crash loses was never acknowledged,
    and the phone sends it again."""
    db.session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")


def _not_next(device_id, command):
    db.session.rollback()
    return _stored(device_id, command) or _gap(command, _last_seq(device_id))


def _apply(user, device_id, command, known, lazy=False):
    stored = _stored(device_id, command, known)
    if stored is not None:
        return stored
    if lazy:
        _commit_lazily()
    if not _advance(device_id, command["seq"]):
        return _not_next(device_id, command)
    step = db.session().get_transaction()
    try:
        status, result, error = _run(user, command)
    except IntegrityError:
        # A copy of this command, sent at the same moment, won inside the handler (SQLite
        # has no row lock on the device to queue the copy behind): the copy is a duplicate.
        db.session.rollback()
        stored = _stored(device_id, command)
        if stored is None:
            raise
        return stored
    # A rejection rolled back its transaction, the device's step included; so did a service
    # that rolled back to settle a race of its own and then succeeded (a claim that found the
    # member's own claim from another tab): take the step again.
    if db.session().get_transaction() is not step and not _advance(device_id, command["seq"]):
        return _not_next(device_id, command)
    if status == REJECTED:  # told in the inbox too: nothing a member did is dropped silently
        inbox.deliver(
            [user.id], "rejection", error["message"], None, "command", command["command_id"]
        )
    try:
        db.session.connection().execute(
            _RECEIPT,
            {
                "id": command["command_id"],
                "device_id": device_id,
                "seq": command["seq"],
                "user_id": user.id,
                "type": command["type"],
                "args": command["args"],
                "device_time": command.get("device_time"),
                "status": status,
                "code": error and error["code"],
                "message": error and error["message"],
                "fields": error and error["fields"],
                "result": result,
                "received_at": clock.now(),
            },
        )
        db.session.commit()
    except IntegrityError:  # a copy of this command, sent at the same moment, won
        db.session.rollback()
        return _stored(device_id, command)
    return _answer(command["command_id"], command["seq"], status, result, error)


def _run(user, command):
    """(status, result, error): the command's effects are flushed, not committed."""
    schema, handler = HANDLERS[command["type"]]
    try:
        args = schema.load(command["args"])
        with transaction.grouped():
            changed = handler(user, args)
    except ValidationError as invalid:
        db.session.rollback()
        return (
            REJECTED,
            None,
            {
                "code": "validation_error",
                "message": "Some fields are invalid.",
                "fields": invalid.messages
                if isinstance(invalid.messages, dict)
                else {"_": invalid.messages},
            },
        )
    except ApiError as refused:
        db.session.rollback()
        return (
            REJECTED,
            None,
            {
                "code": refused.code,
                "message": refused.message,
                "fields": _jsonable(
                    {
                        **refused.fields,
                        **({"_extra": refused.extra} if refused.extra else {}),
                    }
                ),
            },
        )
    return APPLIED, {"entity": ENTITY_OF[type(changed)], "id": changed.id}, None


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
