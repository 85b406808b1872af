"""The map's units and the people who serve them.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from app.units.spatial import MultiPolygonType

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    postgis = op.get_bind().dialect.name == "postgresql"
    if postgis:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("unit.id", name="fk_unit_parent_id_unit")),
        sa.Column("geom", MultiPolygonType(), nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unit"),
        sa.UniqueConstraint("code", name="uq_unit_code"),
        sa.CheckConstraint(
            "level IN ('district', 'street', 'community', 'grid')", name="ck_unit_level"
        ),
    )
    op.create_index("ix_unit_level", "unit", ["level"])
    op.create_index("ix_unit_parent_id", "unit", ["parent_id"])
    if postgis:
        op.create_index("ix_unit_geom", "unit", ["geom"], postgresql_using="gist")
    op.create_table(
        "map_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_map_revision"),
    )
    op.execute("INSERT INTO map_revision (id, revision, changed_at) VALUES (1, 0, CURRENT_TIMESTAMP)")
    op.create_table(
        "department",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_department"),
        sa.UniqueConstraint("code", name="uq_department_code"),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("force", sa.String(20)),
        sa.Column("department_id", sa.Integer,
                  sa.ForeignKey("department.id", name="fk_user_account_department_id_department")),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("session_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_user_account"),
        sa.UniqueConstraint("phone", name="uq_user_account_phone"),
    )
    op.create_index("ix_user_account_role", "user_account", ["role"])
    for table in ("user_scope", "responsibility"):
        op.create_table(
            table,
            sa.Column("user_id", sa.Integer,
                      sa.ForeignKey("user_account.id", ondelete="CASCADE",
                                    name=f"fk_{table}_user_id_user_account"), nullable=False),
            sa.Column("unit_id", sa.Integer,
                      sa.ForeignKey("unit.id", ondelete="CASCADE", name=f"fk_{table}_unit_id_unit"),
                      nullable=False),
            sa.PrimaryKeyConstraint("user_id", "unit_id", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_unit_id", table, ["unit_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempt"),
    )
    for column in ("phone", "ip", "at"):
        op.create_index(f"ix_login_attempt_{column}", "login_attempt", [column])


def downgrade():
    for table in ("login_attempt", "responsibility", "user_scope", "user_account", "department",
                  "map_revision", "unit"):
        op.drop_table(table)
