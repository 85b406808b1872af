"""The assessment (考核): facts read from the history per entity and per day, the periods
with their frozen results, appeals, manual scores and 加减分, exports.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _when(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _user(name, table, **kw):
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey("user_account.id", name=f"fk_{table}_{name}_user_account"),
        **kw,
    )


def upgrade():
    op.create_table(
        "assessment_entity_fact",
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(48), nullable=False),
        sa.Column("subject", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "entity",
            "entity_id",
            "subject",
            "subject_id",
            "measure",
            name="pk_assessment_entity_fact",
        ),
    )
    op.create_index("ix_assessment_entity_fact_day", "assessment_entity_fact", ["day"])
    op.create_index(
        "ix_assessment_entity_fact_subject",
        "assessment_entity_fact",
        ["subject", "subject_id", "measure", "day"],
    )
    op.create_table(
        "assessment_fact",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("subject", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "subject", "subject_id", "measure", name="pk_assessment_fact"
        ),
    )
    op.create_table(
        "assessment_cursor",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_assessment_cursor"),
    )
    op.create_table(
        "assessment_period",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("plan_version", sa.Integer, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        _user("opened_by_id", "assessment_period", nullable=False),
        _when("opened_at", nullable=False),
        _when("appeal_until", nullable=False),
        _user("published_by_id", "assessment_period"),
        _when("published_at"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_period"),
        sa.UniqueConstraint("key", name="uq_assessment_period_key"),
    )
    op.create_table(
        "assessment_appeal",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "period_id",
            sa.Integer,
            sa.ForeignKey(
                "assessment_period.id", name="fk_assessment_appeal_period_id_assessment_period"
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("indicator", sa.String(40), nullable=False),
        sa.Column("cases", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("value", sa.Float),
        _user("filed_by_id", "assessment_appeal", nullable=False),
        _when("filed_at", nullable=False),
        _user("decided_by_id", "assessment_appeal"),
        _when("decided_at"),
        sa.Column("decision", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_appeal"),
    )
    op.create_index("ix_assessment_appeal_period_id", "assessment_appeal", ["period_id"])
    op.create_table(
        "assessment_adjustment",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("period_key", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        _user("entered_by_id", "assessment_adjustment", nullable=False),
        _when("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_adjustment"),
    )
    op.create_index("ix_assessment_adjustment_period_key", "assessment_adjustment", ["period_key"])
    op.create_table(
        "assessment_export",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_key", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(200)),
        sa.Column("error", sa.Text),
        _user("requested_by_id", "assessment_export", nullable=False),
        _when("created_at", nullable=False),
        _when("claimed_at"),
        _when("finished_at"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_export"),
    )
    op.create_index("ix_assessment_export_state", "assessment_export", ["state"])


def downgrade():
    for table in (
        "assessment_export",
        "assessment_adjustment",
        "assessment_appeal",
        "assessment_period",
        "assessment_cursor",
        "assessment_fact",
        "assessment_entity_fact",
    ):
        op.drop_table(table)
