"""The inbox: messages to people, delivered to their phones by sync (one history row per
batch) and pushed by the worker (app/notify/push.py) unless the person muted their kind."""

import uuid

from sqlalchemy import Select, String, Text, case, func, insert, literal, or_, select, update

from app import clock, transaction
from app.errors import NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.notify.models import CRITICAL, NOT_PUSHED, PENDING, Message
from app.people.models import User
from app.types import UTCDateTime

TITLE_MAX = 200  # inbox_message.title


def deliver(recipients, kind, title, body=None, entity=None, entity_id=None):
    """One message to each recipient (user ids, or a SELECT of them), in the caller's
    transaction, as one batch: two statements whatever their number (a district roll-call
    asks 13,000) and one history row, by which every recipient's phone learns of its own
    message. The number delivered."""
    if not isinstance(recipients, Select):
        ids = sorted(set(recipients))
        if not ids:
            return 0
        recipients = select(User.id).where(User.id.in_(ids))
    if len(title) > TITLE_MAX:  # a long reason is cut in the title, whole in the body
        body = body or title
        title = title[: TITLE_MAX - 1] + "…"
    who = recipients.subquery()
    user_id = who.c[0]
    now = clock.now()
    batch = str(uuid.uuid4())
    push = literal(PENDING)
    if kind not in CRITICAL:
        muted = [
            person
            for person, kinds in db.session.execute(
                select(User.id, User.muted).where(
                    User.id.in_(select(user_id)), User.muted.is_not(None)
                )
            )
            if kind in kinds
        ]
        if muted:
            push = case((user_id.in_(muted), NOT_PUSHED), else_=PENDING)
    columns = {
        "user_id": user_id,
        "batch": literal(batch),
        "kind": literal(kind),
        "title": literal(title),
        "body": literal(body, Text),
        "entity": literal(entity, String),
        "entity_id": literal(None if entity_id is None else str(entity_id), String),
        "critical": literal(kind in CRITICAL),
        "created_at": literal(now, UTCDateTime()),
        "push": push,
    }
    delivered = len(
        db.session.execute(
            insert(Message)
            .from_select(list(columns), select(*columns.values()).distinct())
            .returning(Message.id)
        ).all()
    )
    if delivered:
        record("inbox", batch, "deliver", None, data={"kind": kind, "count": delivered})
    return delivered


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
    """Messages as MessageOut dumps them: a message is shown as it is kept."""
    return list(messages)


def in_batches(user, batches):
    """The user's own messages of these delivery batches (what a pull's history names)."""
    return (
        db.session.execute(
            select(Message.id).where(Message.user_id == user.id, Message.batch.in_(batches))
        )
        .scalars()
        .all()
    )


# A batch is personal: its history row has no grid or community (sync finds it by person).
register_scope("inbox", lambda batch: (None, None))
