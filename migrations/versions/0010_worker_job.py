"""The worker's periodic jobs are claimed per period in the database, so that several
workers (one per node) run each of them once per period.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_job",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True)),
    )


def downgrade():
    op.drop_table("worker_job")
