"""Versioned reference documents: the category catalogue and the holiday list.

Each admin edit adds a version; the newest is in force. Old versions stay, so a case's time
limits can always be explained by the catalogue that was in force when it was reported.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow


class ReferenceDocument(db.Model):
    __tablename__ = "reference_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # catalogue, holidays
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "version", name="uq_reference_document_kind"),)
