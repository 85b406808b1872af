"""The live view's figures read one index: a roll-call's people in street, community, grid
order with whether each answered, so grouping 13,000 of them is a scan of the index alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_roll_call_person_place",
        "roll_call_person",
        ["roll_call_id", "street_id", "community_id", "grid_id", "acknowledged_at"],
    )


def downgrade():
    op.drop_index("ix_roll_call_person_place", table_name="roll_call_person")
