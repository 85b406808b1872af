"""The assessment's monthly facts: the daily facts summed per month, which a ranking reads.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment_month_fact",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("subject", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "subject", "subject_id", "measure", name="pk_assessment_month_fact"
        ),
    )
    # The facts already there, summed once.
    op.execute(
        "INSERT INTO assessment_month_fact (month, subject, subject_id, measure, value) "
        "SELECT {month}, subject, subject_id, measure, SUM(value) FROM assessment_fact "
        "GROUP BY 1, subject, subject_id, measure".format(
            month="CAST(date_trunc('month', day) AS date)"
            if op.get_bind().dialect.name == "postgresql"
            else "date(day, 'start of month')"
        )
    )


def downgrade():
    op.drop_table("assessment_month_fact")
