"""The Open311 gateway: client systems with their keys (as digests) and each request they
posted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open311_client",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("hourly_limit", sa.Integer, nullable=False),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("user_account.id", name="fk_open311_client_account_id_user_account"),
            nullable=False,
        ),
        sa.Column(
            "created_by_id",
            sa.Integer,
            sa.ForeignKey("user_account.id", name="fk_open311_client_created_by_id_user_account"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_open311_client"),
        sa.UniqueConstraint("key_hash", name="uq_open311_client_key_hash"),
    )
    op.create_table(
        "open311_post",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "client_id",
            sa.Integer,
            sa.ForeignKey("open311_client.id", name="fk_open311_post_client_id_open311_client"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("token", sa.String(32)),
        sa.Column(
            "incident_id",
            sa.String(36),
            sa.ForeignKey("incident.id", name="fk_open311_post_incident_id_incident"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_open311_post"),
        sa.UniqueConstraint("token", name="uq_open311_post_token"),
    )
    op.create_index("ix_open311_post_client_id", "open311_post", ["client_id"])
    op.create_index("ix_open311_post_at", "open311_post", ["at"])


def downgrade():
    op.drop_table("open311_post")
    op.drop_table("open311_client")
