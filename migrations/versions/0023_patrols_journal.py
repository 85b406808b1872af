"""巡查 and 民情日志: patrols with their tracks (a LineString, the points' seqs, times and
accuracies beside it), the incidents found on them, patrol plans and the windows they
missed, and the members' daily log.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.units.spatial import LineStringType

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _fk(column, target, table, kind=sa.Integer, **kw):
    referred = target.split(".")[0]
    return sa.Column(
        column, kind, sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"), **kw
    )


def _when(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def upgrade():
    op.create_table(
        "patrol_plan",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("grid_id", "unit.id", "patrol_plan", nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("every_hours", sa.Integer, nullable=False),
        sa.Column("min_minutes", sa.Integer, nullable=False),
        sa.Column("checkpoints", sa.JSON, nullable=False),
        sa.Column("ordered", sa.Boolean, nullable=False),
        sa.Column("working_days_only", sa.Boolean, nullable=False),
        _fk("emergency_id", "emergency_switch.id", "patrol_plan", sa.String(36)),
        sa.Column("active", sa.Boolean, nullable=False),
        _when("anchor", nullable=False),
        _when("checked_until", nullable=False),
        _fk("created_by_id", "user_account.id", "patrol_plan", nullable=False),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_plan"),
        sa.CheckConstraint("every_hours >= 1", name="ck_patrol_plan_every_hours_positive"),
        sa.CheckConstraint("min_minutes >= 0", name="ck_patrol_plan_min_minutes_not_negative"),
    )
    op.create_index("ix_patrol_plan_grid_id", "patrol_plan", ["grid_id"])
    op.create_index("ix_patrol_plan_community_id", "patrol_plan", ["community_id"])

    op.create_table(
        "patrol_plan_miss",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("plan_id", "patrol_plan.id", "patrol_plan_miss", nullable=False),
        sa.Column("grid_id", sa.Integer, nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        _when("window_start", nullable=False),
        _when("window_end", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_plan_miss"),
        sa.UniqueConstraint("plan_id", "window_start", name="uq_plan_miss_window"),
    )
    for column in ("grid_id", "community_id", "window_end"):
        op.create_index(f"ix_patrol_plan_miss_{column}", "patrol_plan_miss", [column])

    op.create_table(
        "patrol",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("member_id", "user_account.id", "patrol", nullable=False),
        _fk("grid_id", "unit.id", "patrol", nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        _fk("plan_id", "patrol_plan.id", "patrol"),
        sa.Column("state", sa.String(16), nullable=False),
        _when("started_at", nullable=False),
        _when("ended_at"),
        sa.Column("track", LineStringType()),
        sa.Column("samples", sa.JSON),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("counted", sa.Integer, nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Integer, nullable=False),
        sa.Column("coverage", sa.Float),
        sa.Column("checkpoints", sa.JSON),
        sa.Column("in_order", sa.Boolean),
        sa.Column("score", sa.Integer),
        sa.Column("review_note", sa.Text),
        _fk("reviewed_by_id", "user_account.id", "patrol"),
        _when("reviewed_at"),
        _when("reduced_at"),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_patrol_score_range"),
    )
    for column in ("member_id", "grid_id", "community_id", "plan_id", "started_at"):
        op.create_index(f"ix_patrol_{column}", "patrol", [column])

    op.create_table(
        "patrol_incident",
        _fk("patrol_id", "patrol.id", "patrol_incident", sa.String(36), nullable=False),
        _fk("incident_id", "incident.id", "patrol_incident", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("patrol_id", "incident_id", name="pk_patrol_incident"),
    )

    op.create_table(
        "journal_entry",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("member_id", "user_account.id", "journal_entry", nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("grid_id", sa.Integer),
        sa.Column("community_id", sa.Integer),
        sa.Column("problems", sa.Text, nullable=False),
        sa.Column("measures", sa.Text, nullable=False),
        sa.Column("results", sa.Text, nullable=False),
        sa.Column("drafted", sa.Boolean, nullable=False),
        sa.Column("comment", sa.Text),
        _fk("commented_by_id", "user_account.id", "journal_entry"),
        _when("commented_at"),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journal_entry"),
        sa.UniqueConstraint("member_id", "day", name="uq_journal_entry_member_day"),
    )
    for column in ("day", "grid_id", "community_id"):
        op.create_index(f"ix_journal_entry_{column}", "journal_entry", [column])


def downgrade():
    for table in ("journal_entry", "patrol_incident", "patrol", "patrol_plan_miss", "patrol_plan"):
        op.drop_table(table)
