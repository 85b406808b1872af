"""The one append-only history of every change of state: timeline, audit log and the
memory that rankings and sync read. Rows are only ever inserted; the database refuses
updates and deletes (see the migration's triggers)."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow


class HistoryEntry(db.Model):
    __tablename__ = "history"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))  # incident, task, whistle
    entity_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    # Where the change happened, so a phone pulls only its own area's changes.
    grid_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(Integer)
    # On PostgreSQL the table also has `xid` (the writing transaction), set by the database:
    # see app/sync/feed.py.

    actor = relationship("User")

    __table_args__ = (Index("ix_history_entity", "entity", "entity_id", "id"),)
