"""Photos (stored once per content hash) and their attachments to incidents and tasks."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow


class Photo(db.Model):
    """One stored image, named by the sha256 of the bytes the phone sent."""

    __tablename__ = "photo"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lng: Mapped[float | None] = mapped_column(Float)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PhotoUploader(db.Model):
    """Someone who sent a photo's bytes (the first, or anyone after): who holds the photo
    itself, not only its name. Only their own attachments of it show it to others."""

    __tablename__ = "photo_uploader"

    sha256: Mapped[str] = mapped_column(ForeignKey("photo.sha256"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attachment(db.Model):
    """A photo used as evidence on an incident or a task: its kind, time and point.

    It names the photo by hash and may exist before the photo arrives (a phone that was
    offline sends its commands first and its photos when it can). It shows the photo only
    once the person who added it has uploaded those bytes: naming a hash one has seen is not
    having the photo.
    """

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(16))  # incident, task
    entity_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))  # close_up, wide, before, after
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_attachment_entity", "entity", "entity_id"),)
