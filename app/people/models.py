"""Users, their roles and scopes, responsibility (包保) links, departments, sessions, login
attempts."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.types import UTCDateTime
from app.units.models import utcnow

GRID_MEMBER = "grid_member"  # 网格员
TEAM_MEMBER = "team_member"  # 综合队员
SECRETARY = "secretary"  # 社区书记
STREET_ADMIN = "street_admin"  # 街道管理员
DEPARTMENT = "department"  # 区直部门
DISTRICT_ADMIN = "district_admin"  # 区级管理员 / 区领导
HOTLINE_OPERATOR = "hotline_operator"  # 12345 热线话务员: files callers' cases, sees those
# 党员 / 志愿者 not on a grid team: their scope is the communities they reported to, where they
# see and claim wishes and activities only (app/party), never the map's cases.
PARTY_MEMBER = "party_member"
# 联户长: an elected resident at the head of a 十联户 group; scoped to its grid, sees only its
# own group's households (masked) and what it reported.
LIAISON = "liaison"
ROLES = (
    GRID_MEMBER,
    TEAM_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    DEPARTMENT,
    DISTRICT_ADMIN,
    HOTLINE_OPERATOR,
    PARTY_MEMBER,
    LIAISON,
)
# The account of a system that files cases (the residents' page, an Open311 client): never
# logs in (inactive, no password), is not a role anyone is given, and is the reporter and
# the history's actor of what came through it.
CHANNEL = "channel"

# The four forces of the grid comprehensive teams (网格综合队).
FORCES = (
    "district_support",  # 区级支援力量
    "street_backbone",  # 街道中坚力量
    "community_main",  # 社区主体力量
    "social_reserve",  # 社会后备力量
)

# The level at which each role's scope is naturally set; used to validate assignments.
SCOPE_LEVEL = {
    GRID_MEMBER: "grid",
    TEAM_MEMBER: "grid",
    SECRETARY: "community",
    STREET_ADMIN: "street",
    DEPARTMENT: "district",
    DISTRICT_ADMIN: "district",
    LIAISON: "grid",
    HOTLINE_OPERATOR: "district",
    PARTY_MEMBER: "community",
}

user_scope = Table(
    "user_scope",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)

responsibility = Table(
    "responsibility",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Department(db.Model):
    """区直部门: a district department that streets can call in (吹哨报到)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    force: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by a reset or a new account (app/people/accounts.py): the password is a one-time
    # code, usable until it expires and only to choose a password of one's own.
    password_change_required: Mapped[bool] = mapped_column(Boolean, default=False)
    password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kinds of inbox message not to push to this person's phones (app.notify.MUTABLE).
    muted: Mapped[list | None] = mapped_column(JSON)

    department = relationship(Department)
    units = relationship("Unit", secondary=user_scope, order_by="Unit.code")
    responsible_for = relationship("Unit", secondary=responsibility, order_by="Unit.code")

    # The token of the login this object was loaded for (app/people/sessions.py): Flask-Login
    # keeps get_id() in the session cookie and the remember-me cookie.
    login_token = None
    # One object per user per database session: identity, not get_id(), is equality.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def is_active(self):
        return self.active

    def password_expired(self, now):
        return self.password_expires_at is not None and self.password_expires_at <= now

    def get_id(self):
        return self.login_token


class UserSession(db.Model):
    """One login on one browser or phone, kept on the server so that it can be ended: the
    cookies carry a random token and the record's id is that token's SHA-256, so neither the
    database nor the session list reveals a usable token."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    remember: Mapped[bool] = mapped_column(Boolean)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))  # where it was last seen from
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the absolute lifetime
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(db.Model):
    """Every login attempt, for rate limiting that holds across worker processes."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
