"""Accounts: a password that is a one-time code (from a reset or for a new account) must be
changed before anything else, and stops working when it expires.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "user_account",
        sa.Column("password_change_required", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("user_account", sa.Column("password_expires_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("user_account", "password_expires_at")
    op.drop_column("user_account", "password_change_required")
