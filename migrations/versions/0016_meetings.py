"""联席会议: meetings for a street or community, who was due and came, the problems raised,
and the decisions carried out as tasks (one task each).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _fk(table, column, target, type_=sa.Integer, nullable=False, **kw):
    referred = target.split(".")[0]
    return sa.Column(
        column,
        type_,
        sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"),
        nullable=nullable,
        **kw,
    )


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "meeting",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("meeting", "unit_id", "unit.id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        _when("due_at"),
        _when("held_at", nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        _fk("meeting", "convened_by_id", "user_account.id"),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_meeting"),
    )
    for column in ("unit_id", "due_at", "held_at", "state"):
        op.create_index(f"ix_meeting_{column}", "meeting", [column])
    op.create_table(
        "meeting_attendee",
        _fk("meeting_attendee", "meeting_id", "meeting.id", sa.String(36)),
        _fk("meeting_attendee", "user_id", "user_account.id"),
        sa.Column("attended", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "user_id", name="pk_meeting_attendee"),
    )
    op.create_table(
        "meeting_problem",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("meeting_problem", "meeting_id", "meeting.id", sa.String(36)),
        sa.Column("description", sa.Text, nullable=False),
        _fk("meeting_problem", "raised_by_id", "user_account.id"),
        sa.Column("state", sa.String(16), nullable=False),
        _when("created_at"),
        _when("closed_at", nullable=True),
        sa.Column("close_note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_problem"),
    )
    for column in ("meeting_id", "state", "closed_at"):
        op.create_index(f"ix_meeting_problem_{column}", "meeting_problem", [column])
    op.create_table(
        "meeting_decision",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("meeting_decision", "problem_id", "meeting_problem.id"),
        _fk("meeting_decision", "department_id", "department.id", nullable=True),
        sa.Column("measure", sa.Text, nullable=False),
        _when("deadline"),
        _fk("meeting_decision", "task_id", "task.id", sa.String(36)),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_decision"),
        sa.UniqueConstraint("task_id", name="uq_meeting_decision_task_id"),
    )
    op.create_index("ix_meeting_decision_problem_id", "meeting_decision", ["problem_id"])


def downgrade():
    for table in ("meeting_decision", "meeting_problem", "meeting_attendee", "meeting"):
        op.drop_table(table)
