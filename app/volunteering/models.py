"""志愿服务: volunteer activities with a place, a time and places for N people; sign-ups the
database holds to that number, check-in at the place and check-out giving the hours, which
the organiser confirms."""

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

OPEN, CANCELLED = "open", "cancelled"
STATES = (OPEN, CANCELLED)


class Activity(db.Model):
    """An activity of a community (文明城市创建 street cleaning, a sandbag team). `signed_up`
    counts live sign-ups; a CHECK holds it to `capacity` and one conditional UPDATE raises it."""

    __tablename__ = "activity"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer)  # check-in counts within this of the place
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), index=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    community = relationship("Unit")
    organiser = relationship("User")

    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("signed_up >= 0 AND signed_up <= capacity", name="within_capacity"),
    )


class SignUp(db.Model):
    """One person on an activity: signed up, checked in and out (where the phone was), the
    hours that gives, and the organiser's confirmation."""

    __tablename__ = "activity_signup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[str] = mapped_column(ForeignKey("activity.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    check_in_m: Mapped[float | None] = mapped_column(Float)  # how far from the place
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hours: Mapped[float | None] = mapped_column(Float)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (
        Index(
            "uq_activity_signup_live",
            "activity_id",
            "user_id",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
    )
