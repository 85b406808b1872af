"""Unmasking (查看完整信息): which roles may read a field of a person in full, on request and
with a reason, and the record of every time someone did (who, whose, when, why), which the
district reads. Domains register their fields; nothing here knows a household."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app import transaction
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.history import services as history
from app.history.models import HistoryEntry
from app.people.models import DISTRICT_ADMIN

ENTITY = "unmasking"  # how the history names an unmasking


@dataclass(frozen=True)
class Field:
    load: Any  # entity id -> the row, or None
    visible: Any  # (user, row) -> whether the user may see the row at all
    roles: frozenset  # the roles that may read the field in full
    scope: Any  # row -> (grid id, community id), where the history files the unmasking
    value: Any  # row -> the plain value


_fields = {}  # (entity, field) -> Field


def register(entity, field, *, load, visible, roles, scope, value=None):
    _fields[entity, field] = Field(
        load, visible, frozenset(roles), scope, value or (lambda row: getattr(row, field))
    )


def may_unmask(user, entity, field):
    spec = _fields.get((entity, field))
    return spec is not None and user.role in spec.roles


def unmask(user, entity, entity_id, field, reason):
    """The field in full, for a role that may read it, the request recorded in the history in
    the caller's transaction (committed here unless grouped)."""
    spec = _fields.get((entity, field))
    if spec is None:
        raise Invalid(
            f"{entity}.{field} is not personal data that can be unmasked.",
            fields={"field": ["unknown"]},
        )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say why the field is needed in full.", fields={"reason": ["required"]})
    row = spec.load(entity_id)
    if row is None or not spec.visible(user, row):
        raise NotFound(f"No {entity} {entity_id}.")
    if user.role not in spec.roles:
        raise Forbidden(f"Your role does not see {field} in full.", code="not_allowed")
    history.record(
        ENTITY,
        entity_id,
        "unmask",
        user,
        note=reason[:500],
        data={"entity": entity, "field": field},
        scope=spec.scope(row),
    )
    transaction.commit()
    return spec.value(row)


def unmaskings(user, *, before=None, limit=100, entity=None):
    """Unmasking events, newest first: for the district's admins only."""
    if user.role != DISTRICT_ADMIN:
        raise Forbidden("Unmasking events are for the district.", code="not_allowed")
    query = select(HistoryEntry).where(HistoryEntry.entity == ENTITY)
    if before is not None:
        query = query.where(HistoryEntry.id < before)
    if entity is not None:
        query = query.where(HistoryEntry.data["entity"].as_string() == entity)
    return db.session.execute(query.order_by(HistoryEntry.id.desc()).limit(limit)).scalars().all()
