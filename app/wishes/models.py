"""微心愿: a resident's small wish, collected door to door, verified, published on the
community's wall with the beneficiary masked, claimed by one party member, volunteer or
joint-built unit at a time, and fulfilled with photos and the beneficiary's confirmation."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.privacy.crypto import Encrypted
from app.types import UTCDateTime

RECORDED, PUBLISHED, CLAIMED = "recorded", "published", "claimed"
DELIVERED, FULFILLED, WITHDRAWN = "delivered", "fulfilled", "withdrawn"
STATES = (RECORDED, PUBLISHED, CLAIMED, DELIVERED, FULFILLED, WITHDRAWN)
WALL = (PUBLISHED, CLAIMED, DELIVERED, FULFILLED)  # what the wall shows
CATEGORIES = ("daily_needs", "study", "health", "repair", "company", "employment", "other")


class Wish(db.Model):
    """A wish of a resident of a grid. The beneficiary's name, phone and address are for the
    grid's people and the secretary; the wall shows the category, the need and `place`."""

    __tablename__ = "wish"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    need: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(100))  # rough: "3栋附近", never the door
    # The beneficiary's personal data: encrypted at rest (app/privacy).
    beneficiary_name: Mapped[str] = mapped_column(Encrypted())
    beneficiary_phone: Mapped[str | None] = mapped_column(Encrypted())
    address: Mapped[str] = mapped_column(Encrypted())
    state: Mapped[str] = mapped_column(String(16), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    fulfilment_note: Mapped[str | None] = mapped_column(Text)
    # Who confirmed it was done: the beneficiary on the claimant's phone, or a grid member.
    confirmed_by: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)  # the last withdrawal or cancel reason

    community = relationship("Unit", foreign_keys=[community_id])
    grid = relationship("Unit", foreign_keys=[grid_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])


class WishClaim(db.Model):
    """A claim on a wish by a person, for themselves or for a joint-built unit. One live
    claim per wish: a partial unique index, under the conditional UPDATE that moves the wish
    from published to claimed."""

    __tablename__ = "wish_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wish_id: Mapped[str] = mapped_column(ForeignKey("wish.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    joint_unit_id: Mapped[int | None] = mapped_column(ForeignKey("joint_unit.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(Text)  # why it was cancelled

    user = relationship("User")
    joint_unit = relationship("JointUnit")

    __table_args__ = (
        Index(
            "uq_wish_claim_live",
            "wish_id",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
    )
