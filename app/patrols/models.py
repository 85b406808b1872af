"""Patrols (巡查): a member's walk of a grid with its track, the incidents found on it, and
the grids' patrol plans with their checkpoints and the windows they missed."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime
from app.units.spatial import LineStringType

ACTIVE, ENDED = "active", "ended"
STATES = (ACTIVE, ENDED)
# Why a patrol ended: by its member, by their next patrol's start, or by the worker after
# PATROL_SILENCE_H without a point (at its last point) or past PATROL_MAX_H (at that length).
BY_MEMBER, NEW_PATROL, SILENCE, TOO_LONG = "member", "new_patrol", "silence", "too_long"
BY_SYSTEM = (SILENCE, TOO_LONG)


class Patrol(db.Model):
    """A patrol: started by a member in a grid they serve, ended by them (or by the worker:
    `end_reason`). Its track is one LineString in seq order with the points' seqs, times and
    accuracies in `samples` (three parallel arrays); its figures are kept with it, so a
    patrol past PATROL_TRACK_DAYS keeps them when its track is dropped (`reduced_at`)."""

    __tablename__ = "patrol"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # made by the phone
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(Integer, index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_plan.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(16))
    track = deferred(mapped_column(LineStringType()))
    samples = deferred(mapped_column(JSON))  # {"seq": [], "t": [], "accuracy": []}
    points: Mapped[int] = mapped_column(Integer, default=0)
    counted: Mapped[int] = mapped_column(Integer, default=0)  # accurate enough to count
    length_m: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[float | None] = mapped_column(Float)  # 0..1, computed when it ends
    # The plan's checkpoints as this patrol passed them: [{"name", "passed_at"|None}].
    checkpoints: Mapped[list | None] = mapped_column(JSON)
    in_order: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(Integer)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member = relationship("User", foreign_keys=[member_id])
    grid = relationship("Unit", foreign_keys=[grid_id])
    plan = relationship("PatrolPlan")

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)


class PatrolIncident(db.Model):
    """An incident reported during a patrol (its source is then `patrol`)."""

    __tablename__ = "patrol_incident"

    patrol_id: Mapped[str] = mapped_column(ForeignKey("patrol.id"), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), primary_key=True)


class PatrolPlan(db.Model):
    """How often a grid is walked (巡查计划): a patrol of at least `min_minutes` in every
    window of `every_hours` counted from `anchor`, passing the checkpoints (points or small
    polygons, within `radius_m`), in their order if `ordered`. Set by the secretary, one per
    grid; an emergency switch adds its own (`emergency_id`) until it ends."""

    __tablename__ = "patrol_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    every_hours: Mapped[int] = mapped_column(Integer)
    min_minutes: Mapped[int] = mapped_column(Integer)
    # [{"name", "lat", "lng"} or {"name", "polygon": [[lng, lat], …]}], each with "radius_m".
    checkpoints: Mapped[list] = mapped_column(JSON, default=list)
    ordered: Mapped[bool] = mapped_column(Boolean, default=False)
    working_days_only: Mapped[bool] = mapped_column(Boolean, default=True)
    emergency_id: Mapped[str | None] = mapped_column(ForeignKey("emergency_switch.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    anchor: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_until: Mapped[datetime] = mapped_column(UTCDateTime())  # windows judged so far
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    grid = relationship("Unit", foreign_keys=[grid_id])

    __table_args__ = (
        CheckConstraint("every_hours >= 1", name="every_hours_positive"),
        CheckConstraint("min_minutes >= 0", name="min_minutes_not_negative"),
    )


class PlanMiss(db.Model):
    """A window of a plan that passed with no patrol that met it: a reminder to the grid's
    members and a line on the secretary's desk."""

    __tablename__ = "patrol_plan_miss"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("patrol_plan.id"))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    community_id: Mapped[int] = mapped_column(Integer, index=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    plan = relationship("PatrolPlan")

    __table_args__ = (UniqueConstraint("plan_id", "window_start", name="uq_plan_miss_window"),)
