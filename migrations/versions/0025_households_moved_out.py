"""Moved out (迁出): a household or a person leaves the grid's lists (visit plans, due lists,
the 联户长's) and stays in the register with the date, where to and why; moved back in, it
returns.

Revision ID: 0025
Revises: 0027
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0027"
branch_labels = None
depends_on = None

TABLES = ("household", "household_member")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("moved_out_on", sa.Date, nullable=True))
            batch.add_column(sa.Column("moved_to", sa.String(200), nullable=True))
            batch.add_column(sa.Column("moved_reason", sa.String(200), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("moved_reason")
            batch.drop_column("moved_to")
            batch.drop_column("moved_out_on")
