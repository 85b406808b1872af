"""Party organisation (党组织) on the map: a committee per community, a branch or party group
per grid, its members, the in-service members who reported to a community (在职党员报到) and
the units whose party organisations are joint-built with a street (联建)."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime

COMMITTEE, BRANCH, GROUP = "committee", "branch", "group"  # 党委 / 党支部 / 党小组
ORG_KINDS = (COMMITTEE, BRANCH, GROUP)
FULL, PROBATIONARY = "full", "probationary"  # 正式党员 / 预备党员
MEMBER_TYPES = (FULL, PROBATIONARY)


class PartyOrg(db.Model):
    """A community's party committee, or a grid's branch or party group under it."""

    __tablename__ = "party_org"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    # The community (a committee) or the grid (a branch, a group) it is organised in.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("party_org.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit = relationship("Unit")


class PartyMember(db.Model):
    """A party member of a branch: 正式 or 预备; a 流动党员 says where they come from. With a
    login (`user_id`) they claim wishes and sign up for activities."""

    __tablename__ = "party_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("party_org.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    mobile: Mapped[bool] = mapped_column(Boolean, default=False)  # 流动党员
    origin: Mapped[str | None] = mapped_column(String(200))  # where a mobile member comes from
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # The organisation's secretary (书记): one per organisation (a partial unique index).
    secretary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    org = relationship("PartyOrg")
    user = relationship("User")

    __table_args__ = (
        CheckConstraint("NOT mobile OR origin IS NOT NULL", name="mobile_has_origin"),
        Index(
            "uq_party_member_secretary",
            "org_id",
            unique=True,
            sqlite_where=text("secretary"),
            postgresql_where=text("secretary"),
        ),
    )


class ServiceReport(db.Model):
    """在职党员报到: an in-service member reports to a community, with their work unit and the
    volunteer post they take there."""

    __tablename__ = "party_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_member.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    work_unit: Mapped[str] = mapped_column(String(200))
    # When the work unit is a joint-built one: the member may claim wishes in its name.
    joint_unit_id: Mapped[int | None] = mapped_column(ForeignKey("joint_unit.id"), index=True)
    post: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member = relationship("PartyMember")
    community = relationship("Unit")


class JointUnit(db.Model):
    """联建单位: a unit (a company, a school, a department) whose party organisation is
    joint-built with a street; it claims wishes through its people."""

    __tablename__ = "joint_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    street_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    street = relationship("Unit")
