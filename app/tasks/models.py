"""Tasks (任务) fixed by the "五定" and the claims members make on them."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow

OPEN, COMPLETED, VERIFIED, CANCELLED = "open", "completed", "verified", "cancelled"
STATES = (OPEN, COMPLETED, VERIFIED, CANCELLED)
KINDS = ("routine", "incident", "micro_wish", "volunteer")  # what a secretary creates
EMERGENCY = "emergency"  # made from a template when a switch starts (app/emergency)


class Task(db.Model):
    """A task, scoped to a grid or, with no grid, to its community's pool.

    五定: target (定目标), capacity (定人员), responsible (定责任), deadline (定时限),
    measures (定措施). `claimed` counts live claims; the database refuses more than
    `capacity` (a CHECK constraint), and claims raise it with one conditional UPDATE.
    """

    __tablename__ = "task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"), index=True)
    # The emergency switch whose task template made it: such tasks come first in lists.
    emergency_id: Mapped[str | None] = mapped_column(ForeignKey("emergency_switch.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    target: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    responsible_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    measures: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completion_note: Mapped[str | None] = mapped_column(Text)
    completion_lat: Mapped[float | None] = mapped_column(Float)
    completion_lng: Mapped[float | None] = mapped_column(Float)
    # Completed this far outside the task's area: accepted, but shown to the secretary.
    off_site_m: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)  # the last return / cancel reason

    community = relationship("Unit", foreign_keys=[community_id])
    grid = relationship("Unit", foreign_keys=[grid_id])
    responsible = relationship("User", foreign_keys=[responsible_id])

    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("claimed >= 0 AND claimed <= capacity", name="claimed_within_capacity"),
    )


class Claim(db.Model):
    """A member's claim on a task. At most one live claim per member and task (a partial
    unique index), so claiming twice is harmless; a release ends it and frees the place."""

    __tablename__ = "task_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    live: Mapped[bool] = mapped_column(Boolean, default=True)

    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (
        Index(
            "uq_task_claim_live",
            "task_id",
            "user_id",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
    )
