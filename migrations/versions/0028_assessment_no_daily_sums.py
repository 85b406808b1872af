"""The assessment keeps no daily sums: a month's rebuild wrote nearly as many of them as entity
facts (a grid has two or three cases a day), and every period is whole months; the few sums of
days (exclusions) are read from the entities' facts.

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("assessment_fact")


def downgrade():
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
    op.execute(
        "INSERT INTO assessment_fact (day, subject, subject_id, measure, value) "
        "SELECT day, subject, subject_id, measure, SUM(value) FROM assessment_entity_fact "
        "GROUP BY day, subject, subject_id, measure"
    )
