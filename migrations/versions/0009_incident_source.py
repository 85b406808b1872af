"""Where each case came from (来源): a member's own report, a patrol, a 联户长, a resident,
the 12345 hotline, a department or a gateway. The cases before it were all members' own.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "incident", sa.Column("source", sa.String(20), nullable=False, server_default="member")
    )
    op.create_index("ix_incident_source", "incident", ["source"])


def downgrade():
    op.drop_index("ix_incident_source", table_name="incident")
    op.drop_column("incident", "source")
