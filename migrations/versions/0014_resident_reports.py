"""Residents' reports (随手拍): the resident's side of each case (tracking number, the
private link's secret as a digest, the device) and what each device did, for the limits.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resident_report",
        sa.Column(
            "incident_id",
            sa.String(36),
            sa.ForeignKey("incident.id", name="fk_resident_report_incident_id_incident"),
            nullable=False,
        ),
        sa.Column("tracking_number", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("device_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name="pk_resident_report"),
        sa.UniqueConstraint("tracking_number", name="uq_resident_report_tracking_number"),
        sa.UniqueConstraint("secret_hash", name="uq_resident_report_secret_hash"),
    )
    op.create_index("ix_resident_report_device_hash", "resident_report", ["device_hash"])
    op.create_table(
        "resident_action",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("device_hash", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column(
            "incident_id",
            sa.String(36),
            sa.ForeignKey("incident.id", name="fk_resident_action_incident_id_incident"),
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_resident_action"),
    )
    op.create_index(
        "ix_resident_action_device_hash", "resident_action", ["device_hash", "kind", "at"]
    )
    op.create_index("ix_resident_action_ip", "resident_action", ["ip", "kind", "at"])


def downgrade():
    op.drop_table("resident_action")
    op.drop_table("resident_report")
