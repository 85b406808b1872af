"""The inbox: messages to people, delivered to their phones by sync (one history row each)
and pushed by the worker (app/notify/push.py) unless the person muted their kind."""

from sqlalchemy import func, insert, or_, select, update

from app import clock, transaction
from app.errors import NotFound
from app.extensions import db
from app.history.models import HistoryEntry
from app.history.services import register_scope
from app.notify.models import CRITICAL, NOT_PUSHED, PENDING, Message
from app.people.models import User


def deliver(user_ids, kind, title, body=None, entity=None, entity_id=None):
    """One message to each person, in the caller's transaction: a few statements whatever
    the number of people (a district roll-call asks 13,000)."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return 0
    now = clock.now()
    critical = kind in CRITICAL
    muted = set()
    if not critical:
        muted = {
            user_id
            for user_id, kinds in db.session.execute(
                select(User.id, User.muted).where(User.id.in_(user_ids), User.muted.is_not(None))
            )
            if kind in (kinds or ())
        }
    ids = db.session.execute(
        insert(Message).returning(Message.id),
        [
            {
                "user_id": user_id,
                "kind": kind,
                "title": title,
                "body": body,
                "entity": entity,
                "entity_id": None if entity_id is None else str(entity_id),
                "critical": critical,
                "created_at": now,
                "push": NOT_PUSHED if user_id in muted else PENDING,
            }
            for user_id in user_ids
        ],
    ).scalars()
    # The phones learn of them from the history, like every other change.
    db.session.execute(
        insert(HistoryEntry),
        [
            {
                "entity": "message",
                "entity_id": str(i),
                "action": "deliver",
                "actor_role": "system",
                "at": now,
            }
            for i in ids
        ],
    )
    return len(user_ids)


def get_own(user, message_id):
    message = db.session.get(Message, message_id)
    if message is None or message.user_id != user.id:
        raise NotFound("No such message.", fields={"id": [message_id]})
    return message


def mark_read(user, message_id):
    message = get_own(user, message_id)
    if message.read_at is None:
        db.session.execute(
            update(Message)
            .where(Message.id == message.id, Message.read_at.is_(None))
            .values(read_at=clock.now())
        )
        db.session.refresh(message)
        transaction.commit()
    return message


def listing(user, unread=False, limit=50, before=None):
    query = select(Message).where(Message.user_id == user.id)
    if unread:
        query = query.where(Message.read_at.is_(None))
    if before:
        query = query.where(Message.id < before)
    return db.session.execute(query.order_by(Message.id.desc()).limit(limit)).scalars().all()


def unread_count(user):
    return db.session.execute(
        select(func.count()).where(Message.user_id == user.id, Message.read_at.is_(None))
    ).scalar()


def visible(user, message):
    return message.user_id == user.id


def snapshot(user, after_id, since, limit):
    """A first sync's messages: unread ones and those of the last days, in id order."""
    query = select(Message).where(
        Message.user_id == user.id,
        or_(Message.read_at.is_(None), Message.created_at >= since),
        Message.id > int(after_id or 0),
    )
    return db.session.execute(query.order_by(Message.id).limit(limit)).scalars().all()


def present(user, messages):
    return [
        {
            "id": message.id,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "entity": message.entity,
            "entity_id": message.entity_id,
            "critical": message.critical,
            "created_at": message.created_at,
            "read_at": message.read_at,
        }
        for message in messages
    ]


# A message is personal: its history row has no grid or community (sync finds it by person).
register_scope("message", lambda message_id: (None, None))
