"""A resident's report (随手拍) and what each device did, for the limits and spam counts."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.types import UTCDateTime


class ResidentReport(db.Model):
    """The resident's side of a case they reported: a tracking number to quote, the SHA-256
    of the secret in their private link, and the device that sent it (as a digest too)."""

    __tablename__ = "resident_report"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResidentAction(db.Model):
    """One thing a device did on the public page (a report, a photo, a comment, a 附议), and
    from which address: what the rate limits count."""

    __tablename__ = "resident_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    device_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_resident_action_device_hash", "device_hash", "kind", "at"),
        Index("ix_resident_action_ip", "ip", "kind", "at"),
    )
