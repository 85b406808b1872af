"""Cases by when they were reported, newest first: the public listings (Open311) page through
a period in that order, their category in the index so that a page's ids come from it alone.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_incident_reported_at", "incident", ["reported_at", "id", "category_code"])


def downgrade():
    op.drop_index("ix_incident_reported_at", table_name="incident")
