"""书记项目: a project per street or community a year, its milestones (tasks), quarterly
reviews and the judges' scores.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _fk(table, column, target, type_=sa.Integer):
    referred = target.split(".")[0]
    return sa.Column(
        column,
        type_,
        sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"),
        nullable=False,
    )


def _when(name):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade():
    op.create_table(
        "secretary_project",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("secretary_project", "unit_id", "unit.id"),
        sa.Column("year", sa.Integer, nullable=False),
        _fk("secretary_project", "leader_id", "user_account.id"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("problem", sa.Text, nullable=False),
        sa.Column("measures", sa.Text, nullable=False),
        sa.Column("team", sa.JSON, nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_secretary_project"),
        sa.UniqueConstraint("unit_id", "year", name="uq_secretary_project_unit_year"),
    )
    op.create_index("ix_secretary_project_unit_id", "secretary_project", ["unit_id"])
    project = ("project_id", "secretary_project.id", sa.String(36))
    op.create_table(
        "project_milestone",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("project_milestone", *project),
        _fk("project_milestone", "task_id", "task.id", sa.String(36)),
        sa.PrimaryKeyConstraint("id", name="pk_project_milestone"),
        sa.UniqueConstraint("task_id", name="uq_project_milestone_task_id"),
    )
    op.create_table(
        "project_review",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("project_review", *project),
        sa.Column("quarter", sa.Integer, nullable=False),
        sa.Column("progress", sa.Text, nullable=False),
        sa.Column("problems", sa.Text),
        _fk("project_review", "reviewed_by_id", "user_account.id"),
        _when("reviewed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_project_review"),
        sa.UniqueConstraint("project_id", "quarter", name="uq_project_review_project_id"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_project_review_quarter_of_year"),
    )
    op.create_table(
        "project_score",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("project_score", *project),
        _fk("project_score", "judge_id", "user_account.id"),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
        _when("scored_at"),
        sa.PrimaryKeyConstraint("id", name="pk_project_score"),
        sa.UniqueConstraint("project_id", "judge_id", name="uq_project_score_project_id"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="ck_project_score_score_range"),
    )
    for table in ("project_milestone", "project_review", "project_score"):
        op.create_index(f"ix_{table}_project_id", table, ["project_id"])


def downgrade():
    for table in ("project_score", "project_review", "project_milestone", "secretary_project"):
        op.drop_table(table)
