"""Incidents (事件) and whistles (吹哨) that call departments to them."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.privacy.crypto import Encrypted
from app.types import UTCDateTime
from app.units.models import utcnow

# reported → accepted (立案) | rejected | merged → dispatched → in_progress → handled
#   → closed (核查 passed) | dispatched again (返工 rework)
REPORTED, ACCEPTED, REJECTED, MERGED = "reported", "accepted", "rejected", "merged"
DISPATCHED, IN_PROGRESS, HANDLED, CLOSED = "dispatched", "in_progress", "handled", "closed"
STATES = (REPORTED, ACCEPTED, REJECTED, MERGED, DISPATCHED, IN_PROGRESS, HANDLED, CLOSED)
FINAL = (REJECTED, MERGED, CLOSED)
OPEN = tuple(s for s in STATES if s not in FINAL)

# Which stage's time limit runs in each open state.
STAGE = {
    REPORTED: "accept",
    ACCEPTED: "dispatch",
    DISPATCHED: "handle",
    IN_PROGRESS: "handle",
    HANDLED: "check",
}

# Where a case came from (来源). Found actively (主动发现) are a member's own report and
# a patrol's; the others came to the grid team. The reporter states one of REPORTED_BY;
# the server sets the rest where it knows (a patrol, a resident's page, the hotline, a
# gateway key).
MEMBER, PATROL, LIAISON, RESIDENT = "member", "patrol", "liaison", "resident"
HOTLINE, DEPARTMENT_SOURCE, OPEN311 = "hotline_12345", "department", "open311"
SOURCES = (MEMBER, PATROL, LIAISON, RESIDENT, HOTLINE, DEPARTMENT_SOURCE, OPEN311)
REPORTED_BY = (MEMBER, RESIDENT, HOTLINE, DEPARTMENT_SOURCE)
ACTIVE_SOURCES = (MEMBER, PATROL)

# Escalation up the responsibility chain for overdue cases.
ESCALATION = ("none", "secretary", "street", "leader")


class Incident(db.Model):
    __tablename__ = "incident"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, often the phone's
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(200))
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # A resident's personal data: encrypted at rest (app/privacy).
    resident_name: Mapped[str | None] = mapped_column(Encrypted())
    resident_phone: Mapped[str | None] = mapped_column(Encrypted())
    state: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(20), default=MEMBER, index=True)
    self_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"))
    stage_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)  # the last rejection / return / rework reason
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grid = relationship("Unit", foreign_keys=[grid_id])
    community = relationship("Unit", foreign_keys=[community_id])
    street = relationship("Unit", foreign_keys=[street_id])
    reporter = relationship("User", foreign_keys=[reporter_id])
    assignee = relationship("User", foreign_keys=[assignee_id])

    __table_args__ = (
        Index("ix_incident_nearby", "category_code", "reported_at"),
        Index("ix_incident_latlng", "lat", "lng"),
        # Public listings (Open311) page through a period newest first, by category.
        Index("ix_incident_reported_at", "reported_at", "id", "category_code"),
    )


class Follower(db.Model):
    """ "Me too" (附议): a member who saw the same problem and joined it instead of filing anew."""

    __tablename__ = "incident_follower"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Whistle(db.Model):
    """Whistle (吹哨): a street calls a department to an incident; it must report (报到)
    before the deadline and stay until the outcome is recorded ("事不完、人不撤")."""

    __tablename__ = "whistle"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    called_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    report_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_note: Mapped[str | None] = mapped_column(Text)

    department = relationship("Department")

    __table_args__ = (
        UniqueConstraint("incident_id", "department_id", name="uq_whistle_incident_id"),
    )
