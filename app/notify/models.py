"""The inbox (站内信) every person reads in the app, and their phones' Web Push
subscriptions. The inbox is also the push outbox: a separate worker sends what is pending."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow

# What a message is about. Roll-calls and mode switches cannot be muted.
KINDS = ("dispatch", "rollcall", "mode", "rejection", "escalation", "alarm", "patrol")
# A household's alarm (十联户) cannot be muted either.
CRITICAL = ("rollcall", "mode", "alarm")
MUTABLE = tuple(kind for kind in KINDS if kind not in CRITICAL)

# Push state of a message: waiting for the worker, sent, or not to be pushed (muted, or the
# person has no subscription), or given up on. "sending" is a worker's claim while it talks to
# the push services with no transaction open (pushed_at then holds the time of the claim).
PENDING, SENT, NOT_PUSHED, FAILED = "pending", "sent", "none", "failed"
SENDING = "sending"


class Message(db.Model):
    __tablename__ = "inbox_message"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Delivered together (one history row per batch: phones find their own message in it).
    batch: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    # What it is about, for the app to open: incident, task, emergency, rollcall, command.
    entity: Mapped[str | None] = mapped_column(String(16))
    entity_id: Mapped[str | None] = mapped_column(String(36))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    push: Mapped[str] = mapped_column(String(8))
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_inbox_message_user", "user_id", "id"),
        Index("ix_inbox_message_push", "push", "user_id"),
    )


class PushSubscription(db.Model):
    """A browser's Web Push subscription (its endpoint and keys), one per phone."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)


class JobRun(db.Model):
    """When a periodic job of the worker last started, on whichever node: the row is the
    claim that lets one worker of many run it once per period."""

    __tablename__ = "worker_job"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
