"""Sync: devices, received commands, and the history's scope and commit order for pulls.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_device",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_sync_device_user_id_user_account"),
                  nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_device"),
    )
    op.create_index("ix_sync_device_user_id", "sync_device", ["user_id"])
    op.create_table(
        "sync_command",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36),
                  sa.ForeignKey("sync_device.id", name="fk_sync_command_device_id_sync_device"),
                  nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer,
                  sa.ForeignKey("user_account.id", name="fk_sync_command_user_id_user_account"),
                  nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32)),
        sa.Column("message", sa.Text),
        sa.Column("fields", sa.JSON),
        sa.Column("result", sa.JSON),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_command"),
        sa.UniqueConstraint("device_id", "seq", name="uq_sync_command_device_id"),
    )
    op.create_index("ix_sync_command_user_id", "sync_command", ["user_id"])
    op.create_index("ix_sync_command_status", "sync_command", ["status"])

    # Pulls read the history in scope: the grid and community each change belongs to.
    # Plain ALTERs, not a batch copy: copying the table on SQLite would drop its
    # append-only triggers.
    op.add_column("history", sa.Column("grid_id", sa.Integer))
    op.add_column("history", sa.Column("community_id", sa.Integer))
    op.create_index("ix_history_grid_id", "history", ["grid_id", "id"])
    op.create_index("ix_history_community_id", "history", ["community_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # Commit order for the pull cursor: ids are handed out at insert but commit in any
        # order; the transaction id lets a pull hold back rows of transactions still open.
        op.execute("ALTER TABLE history ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
        op.execute("CREATE INDEX ix_history_xid ON history (xid, id)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_history_xid")
        op.execute("ALTER TABLE history DROP COLUMN xid")
    op.drop_index("ix_history_community_id", "history")
    op.drop_index("ix_history_grid_id", "history")
    op.drop_column("history", "community_id")
    op.drop_column("history", "grid_id")
    op.drop_table("sync_command")
    op.drop_table("sync_device")
