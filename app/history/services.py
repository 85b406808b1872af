"""Writing and reading the history."""

import contextvars
from contextlib import contextmanager

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app import clock
from app.extensions import db
from app.history.models import HistoryEntry

# A Core insert: an entry is written and never read back in the request that writes it, so the
# ORM's unit of work (and the id it fetches back) would be cost for nothing on the hottest
# writes (a report, a sync push of hundreds of commands).
_INSERT = insert(HistoryEntry.__table__)

# entity -> function(entity_id) -> (grid_id, community_id), registered by the domains.
_scopes = {}

# Within `held()`: the entries recorded and not yet written, each with the session's
# transaction (or savepoint) it was recorded in.
_held = contextvars.ContextVar("gridlink_history_held", default=None)


def register_scope(entity, scope_of):
    _scopes[entity] = scope_of


def scoped():
    """The entities whose history has a registered scope."""
    return _scopes.keys()


def entry(
    entity,
    entity_id,
    action,
    actor,
    *,
    from_state=None,
    to_state=None,
    note=None,
    data=None,
    device_time=None,
    point=None,
    scope=None,
):
    """The row `record()` appends (its arguments are record's), for `write()`."""
    grid_id, community_id = scope or _scopes[entity](entity_id)
    return {
        "grid_id": grid_id,
        "community_id": community_id,
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        "actor_id": actor.id if actor else None,
        "actor_role": actor.role if actor else "system",
        "from_state": from_state,
        "to_state": to_state,
        "note": note,
        "data": data,
        "at": clock.now(),  # the one clock, so tests that move it move the history too
        "device_time": device_time,
        "lat": point[0] if point else None,
        "lng": point[1] if point else None,
    }


def record(entity, entity_id, action, actor, **details):
    """Append one entry in the caller's transaction: at once, or within `held()` when
    `write_held()` writes the entries held. `actor` is a User or None (the
    system); `details` are from_state, to_state, note, data, device_time, point (lat, lng)
    and scope (grid id, community id: else the entity's registered scope). The entry carries
    the grid and community of the entity, so phones pull only their area."""
    write([entry(entity, entity_id, action, actor, **details)])


def record_many(entity, action, actor, entries):
    """One action on many entities in one statement: `entries` are {"entity_id", and the
    details of record()} (the template of a whole district is 1,542 tasks)."""
    write(
        [
            entry(entity, details.pop("entity_id"), action, actor, **details)
            for details in map(dict, entries)
        ]
    )


def holding():
    """Whether entries recorded now are held (within `held()`) rather than written at once."""
    return _held.get() is not None and db.session().in_transaction()


def write(rows):
    """Append entries made by `entry()`: as `record()` does. A caller that inserts the
    entity in the same statement as its entry (a report, on PostgreSQL) writes them there
    instead, unless `holding()`."""
    held = _held.get()
    session = db.session()
    if held is not None and session.in_transaction():
        at = session.get_nested_transaction() or session.get_transaction()
        held.extend((at, row) for row in rows)
    elif rows:
        # On the session's connection: no autoflush, so a pending change's IntegrityError
        # still surfaces where the service commits (and catches it), not here.
        session.connection().execute(_INSERT, rows)


@contextmanager
def held():
    """Within: entries are kept in memory and written by `write_held()`, all in one
    statement, rather than one INSERT each (a push's hundreds of commands each record one
    or two). An entry recorded in a savepoint that rolls back (a rejected command's), or in
    one inside it, is dropped with it; what is still held when the block ends is dropped."""
    token = _held.set([])
    try:
        yield
    finally:
        _held.reset(token)


def write_held():
    """Insert the entries held so far, in the order they were recorded, in the caller's
    transaction."""
    held = _held.get()
    if held:
        db.session.connection().execute(_INSERT, [row for _, row in held])
        held.clear()


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session, rolled_back):
    held = _held.get()
    if held:
        held[:] = [(at, row) for at, row in held if not _within(at, rolled_back)]


def _within(transaction, outer):
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def timeline(entity, entity_id):
    write_held()  # read with what this transaction recorded
    return (
        db.session.execute(
            select(HistoryEntry)
            .where(HistoryEntry.entity == entity, HistoryEntry.entity_id == str(entity_id))
            .order_by(HistoryEntry.id)
        )
        .scalars()
        .all()
    )
