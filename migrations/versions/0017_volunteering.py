"""志愿服务: activities with a place, a time and a capacity the database holds to, and the
sign-ups with check-in, check-out, hours and the organiser's confirmation.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _fk(table, column, target, type_=sa.Integer, nullable=False):
    referred = target.split(".")[0]
    return sa.Column(
        column,
        type_,
        sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"),
        nullable=nullable,
    )


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "activity",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("activity", "community_id", "unit.id"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lng", sa.Float, nullable=False),
        sa.Column("radius_m", sa.Integer, nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("signed_up", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _fk("activity", "organiser_id", "user_account.id"),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
        sa.CheckConstraint("capacity >= 1", name="ck_activity_capacity_positive"),
        sa.CheckConstraint(
            "signed_up >= 0 AND signed_up <= capacity", name="ck_activity_within_capacity"
        ),
    )
    for column in ("community_id", "starts_at", "state", "updated_at"):
        op.create_index(f"ix_activity_{column}", "activity", [column])
    op.create_table(
        "activity_signup",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("activity_signup", "activity_id", "activity.id", sa.String(36)),
        _fk("activity_signup", "user_id", "user_account.id"),
        _when("signed_up_at"),
        sa.Column("live", sa.Boolean, nullable=False),
        _when("checked_in_at", nullable=True),
        sa.Column("check_in_m", sa.Float),
        _when("checked_out_at", nullable=True),
        sa.Column("hours", sa.Float),
        _fk("activity_signup", "confirmed_by_id", "user_account.id", nullable=True),
        _when("confirmed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_activity_signup"),
    )
    op.create_index("ix_activity_signup_activity_id", "activity_signup", ["activity_id"])
    op.create_index("ix_activity_signup_user_id", "activity_signup", ["user_id"])
    op.create_index(
        "uq_activity_signup_live",
        "activity_signup",
        ["activity_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("live"),
        postgresql_where=sa.text("live"),
    )


def downgrade():
    op.drop_table("activity_signup")
    op.drop_table("activity")
