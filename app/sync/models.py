"""Phones' devices and the commands they sent: each applied or rejected exactly once."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow

APPLIED, REJECTED = "applied", "rejected"


class Device(db.Model):
    """One app install of one user: its commands are numbered 1, 2, 3... and applied in order."""

    __tablename__ = "sync_device"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Command(db.Model):
    """A command as received, with its outcome. A rejected one keeps its payload for the
    secretary to see: nothing a member did is dropped silently."""

    __tablename__ = "sync_command"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the phone's command id
    device_id: Mapped[str] = mapped_column(ForeignKey("sync_device.id"))
    seq: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict] = mapped_column(JSON)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")

    __table_args__ = (UniqueConstraint("device_id", "seq", name="uq_sync_command_device_id"),)
