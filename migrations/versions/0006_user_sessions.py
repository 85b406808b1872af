"""Server-side sessions (user_session) replace the user's session version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(
                "user_account.id", name="fk_user_session_user_id_user_account", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("remember", sa.Boolean, nullable=False),
        sa.Column("user_agent", sa.String(255)),
        sa.Column("ip", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_user_session"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    # Every cookie issued before named a session version; those logins end with the upgrade.
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of user_account would drop the table,
    # and with foreign keys on that cascades to everything that refers to its people.
    op.execute("ALTER TABLE user_account DROP COLUMN session_version")


def downgrade():
    op.add_column(
        "user_account",
        sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
    )
    op.drop_table("user_session")
