"""平急结合: emergency switches over parts of the map, the grids each covers, the roll-calls
(叫应) that every responsible person in scope must answer, and members sent to reinforce
grids while a switch lasts."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow

# Response levels: I is the most severe. Stored as 1..4 so that "the highest level active
# over a grid" is the smallest number.
LEVELS = {1: ("I", "red"), 2: ("II", "orange"), 3: ("III", "yellow"), 4: ("IV", "blue")}
LEVEL_BY_NAME = {name: rank for rank, (name, _) in LEVELS.items()}
KINDS = ("flood", "fire", "geohazard", "epidemic", "other")

# requested (by a secretary) → active (approved) | refused; active → ended.
REQUESTED, ACTIVE, REFUSED, ENDED = "requested", "active", "refused", "ended"
STATES = (REQUESTED, ACTIVE, REFUSED, ENDED)
SCOPES = ("district", "street", "community", "grid", "polygon")


class EmergencySwitch(db.Model):
    """A switch of part of the map into emergency mode (应急响应), until it is ended."""

    __tablename__ = "emergency_switch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(SmallInteger)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)  # 演练: kept out of statistics
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    # What the switch named: a level and unit codes, or a polygon (GeoJSON geometry).
    scope: Mapped[str] = mapped_column(String(16))
    scope_codes: Mapped[list | None] = mapped_column(JSON)
    polygon: Mapped[dict | None] = mapped_column(JSON)
    # The street whose admin decides and ends it; none when it spans streets (the district).
    street_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)  # why it was refused or ended
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    street = relationship("Unit", foreign_keys=[street_id])


class SwitchGrid(db.Model):
    """A grid a switch covers, resolved when it is made (a polygon selects the grids it
    touches), with the grid's community and street for figures and scope checks."""

    __tablename__ = "emergency_switch_grid"

    switch_id: Mapped[str] = mapped_column(ForeignKey("emergency_switch.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)
    community_id: Mapped[int] = mapped_column(Integer, index=True)
    street_id: Mapped[int] = mapped_column(Integer)


class Reinforcement(db.Model):
    """A member sent to serve a grid while a switch lasts (district support, social reserve):
    they serve it like their own grids until the switch ends."""

    __tablename__ = "emergency_reinforcement"

    switch_id: Mapped[str] = mapped_column(ForeignKey("emergency_switch.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    # False when the member already served the grid: ending the switch leaves them there.
    added: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RollCall(db.Model):
    """叫应: every responsible person in scope must acknowledge, once."""

    __tablename__ = "roll_call"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    switch_id: Mapped[str | None] = mapped_column(ForeignKey("emergency_switch.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Outstanding people are escalated to whoever answers for them after this many minutes.
    escalate_after_min: Mapped[int] = mapped_column(Integer)
    issues: Mapped[int] = mapped_column(Integer, default=1)  # 1 + how often it was re-issued
    last_issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by = relationship("User", foreign_keys=[created_by_id])
    switch = relationship(EmergencySwitch)


class RollCallPerson(db.Model):
    """One person asked by a roll-call. The acknowledgement is one conditional UPDATE of
    this row, so a resent acknowledgement changes nothing and counts once."""

    __tablename__ = "roll_call_person"

    roll_call_id: Mapped[str] = mapped_column(ForeignKey("roll_call.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    # Where the person answers for, for the figures per grid, community and street.
    grid_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(Integer)
    street_id: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    __table_args__ = (
        Index("ix_roll_call_person_user", "user_id"),
        Index("ix_roll_call_person_community", "roll_call_id", "community_id"),
        # The live view's grouped figures read this index alone (app/emergency/live.py).
        Index(
            "ix_roll_call_person_place",
            "roll_call_id",
            "street_id",
            "community_id",
            "grid_id",
            "acknowledged_at",
        ),
    )
