"""Return visits (回访): the resident's verdict on each closing of a case, or an attempt that
reached nobody.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "return_visit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.String(36),
            sa.ForeignKey("incident.id", name="fk_return_visit_incident_id_incident"),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached", sa.Boolean, nullable=False),
        sa.Column("verdict", sa.String(20)),
        sa.Column("note", sa.Text),
        sa.Column("by", sa.String(16), nullable=False),
        sa.Column(
            "recorded_by_id",
            sa.Integer,
            sa.ForeignKey("user_account.id", name="fk_return_visit_recorded_by_id_user_account"),
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_return_visit"),
    )
    op.create_index("ix_return_visit_incident_id", "return_visit", ["incident_id"])


def downgrade():
    op.drop_index("ix_return_visit_incident_id", table_name="return_visit")
    op.drop_table("return_visit")
