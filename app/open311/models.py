"""Open311 clients (the systems given an api_key) and every request they post."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime


class Client(db.Model):
    """A system that posts service requests (the 12345 centre's, a city app): named, with a
    key shown once and kept as its SHA-256, a rate, and its own channel account that is the
    reporter of what it posts."""

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # incident.source of what it posts
    hourly_limit: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account = relationship("User", foreign_keys=[account_id])


class Post(db.Model):
    """One POST of a service request with a key: the record of who sent what, the count
    the rate limit reads, and the token the spec lets a client ask about later."""

    __tablename__ = "open311_post"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[int] = mapped_column(Integer)  # the HTTP status it was answered with
    token: Mapped[str | None] = mapped_column(String(32), unique=True)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"))
