"""Writing and reading the history."""

from sqlalchemy import insert, select

from app import clock
from app.extensions import db
from app.history.models import HistoryEntry

# A Core insert: an entry is written and never read back in the request that writes it, so the
# ORM's unit of work (and the id it fetches back) would be cost for nothing on the hottest
# writes (a report, a sync push of hundreds of commands).
_INSERT = insert(HistoryEntry.__table__)

# entity -> function(entity_id) -> (grid_id, community_id), registered by the domains.
_scopes = {}


def register_scope(entity, scope_of):
    _scopes[entity] = scope_of


def scoped():
    """The entities whose history has a registered scope."""
    return _scopes.keys()


def _entry(
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
    """Append one entry in the caller's transaction, at once. `actor` is a User or None (the
    system); `details` are from_state, to_state, note, data, device_time, point (lat, lng)
    and scope (grid id, community id: else the entity's registered scope). The entry carries
    the grid and community of the entity, so phones pull only their area."""
    # On the session's connection: no autoflush, so a pending change's IntegrityError still
    # surfaces where the service commits (and catches it), not here.
    db.session.connection().execute(_INSERT, _entry(entity, entity_id, action, actor, **details))


def record_many(entity, action, actor, entries):
    """One action on many entities in one statement: `entries` are {"entity_id", and the
    details of record()} (the template of a whole district is 1,542 tasks)."""
    if entries:
        db.session.connection().execute(
            _INSERT,
            [
                _entry(entity, details.pop("entity_id"), action, actor, **details)
                for details in map(dict, entries)
            ],
        )


def timeline(entity, entity_id):
    return (
        db.session.execute(
            select(HistoryEntry)
            .where(HistoryEntry.entity == entity, HistoryEntry.entity_id == str(entity_id))
            .order_by(HistoryEntry.id)
        )
        .scalars()
        .all()
    )
