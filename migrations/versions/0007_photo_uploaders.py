"""Who uploaded each photo's bytes (anyone who sent them, not only the first): a photo shows
through an attachment only when whoever attached it uploaded it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photo_uploader",
        sa.Column(
            "sha256",
            sa.String(64),
            sa.ForeignKey("photo.sha256", name="fk_photo_uploader_sha256_photo"),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("user_account.id", name="fk_photo_uploader_user_id_user_account"),
            nullable=False,
        ),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "user_id", name="pk_photo_uploader"),
    )
    # Until now only the first upload was kept: its sender is the one uploader known.
    op.execute(
        "INSERT INTO photo_uploader (sha256, user_id, uploaded_at) "
        "SELECT sha256, uploaded_by_id, uploaded_at FROM photo"
    )


def downgrade():
    op.drop_table("photo_uploader")
