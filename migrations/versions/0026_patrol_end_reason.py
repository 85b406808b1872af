"""Patrols say why they ended: a patrol left running on a lost phone is ended by the worker
after a silence or past a maximum length, and says so.

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patrol") as table:
        table.add_column(sa.Column("end_reason", sa.String(16)))


def downgrade():
    with op.batch_alter_table("patrol") as table:
        table.drop_column("end_reason")
