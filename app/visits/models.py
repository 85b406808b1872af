"""A visit record: who visited which household, when and where, whom they met, the note,
the form of each tagged person met, and the department's sign-off when one is needed."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime


class Visit(db.Model):
    __tablename__ = "visit"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    household_id: Mapped[str] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # when it happened
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    met: Mapped[list] = mapped_column(JSON)  # the members' ids
    note: Mapped[str] = mapped_column(Text)
    # {member id: {field code: value}}, by the forms of plans_version.
    forms: Mapped[dict] = mapped_column(JSON)
    plans_version: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"))
    # 签收: the department that signs the record off, by when, and its opinion.
    signoff_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id"), index=True
    )
    signoff_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opinion: Mapped[str | None] = mapped_column(Text)

    household = relationship("Household")
    visitor = relationship("User", foreign_keys=[visitor_id])
