"""The household register: households (户) under grids, their members (phone and ID number
encrypted, with blind indexes), 十联户 groups with their 联户长, and merge conflicts.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _fk(name, target, table, **kw):
    referred = target.split(".")[0]
    kind = sa.String(36) if referred == "household" else sa.Integer
    foreign = sa.ForeignKey(target, name=f"fk_{table}_{name}_{referred}", **kw.pop("fk", {}))
    return sa.Column(name, kind, foreign, **kw)


def _when():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "liaison_group",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("grid_id", "unit.id", "liaison_group", nullable=False),
        _fk("community_id", "unit.id", "liaison_group", nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        _fk("liaison_id", "user_account.id", "liaison_group"),
        sa.PrimaryKeyConstraint("id", name="pk_liaison_group"),
        sa.UniqueConstraint("liaison_id", name="uq_liaison_group_liaison_id"),
    )
    for column in ("grid_id", "community_id"):
        op.create_index(f"ix_liaison_group_{column}", "liaison_group", [column])

    op.create_table(
        "household",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("grid_id", "unit.id", "household", nullable=False),
        _fk("community_id", "unit.id", "household", nullable=False),
        _fk("group_id", "liaison_group.id", "household"),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("building", sa.String(20)),
        sa.Column("unit", sa.String(20)),
        sa.Column("room", sa.String(20)),
        sa.Column("address_key", sa.String(260), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_household"),
        sa.UniqueConstraint("community_id", "address_key", name="uq_household_address"),
    )
    for column in ("grid_id", "community_id", "group_id"):
        op.create_index(f"ix_household_{column}", "household", [column])

    op.create_table(
        "household_member",
        sa.Column("id", sa.String(36), nullable=False),
        _fk(
            "household_id",
            "household.id",
            "household_member",
            nullable=False,
            fk={"ondelete": "CASCADE"},
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("relationship", sa.String(16), nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("phone_index", sa.String(64)),
        sa.Column("id_number", sa.Text),
        sa.Column("id_index", sa.String(64)),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_household_member"),
    )
    for column in ("household_id", "phone_index", "id_index"):
        op.create_index(f"ix_household_member_{column}", "household_member", [column])

    op.create_table(
        "household_conflict",
        sa.Column("id", sa.Integer, nullable=False),
        _fk(
            "household_id",
            "household.id",
            "household_conflict",
            nullable=False,
            fk={"ondelete": "CASCADE"},
        ),
        sa.Column("member_id", sa.String(36)),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("current", sa.Text),
        sa.Column("proposed", sa.Text),
        _fk("proposed_by_id", "user_account.id", "household_conflict", nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("resolved_at", _when()),
        _fk("resolved_by_id", "user_account.id", "household_conflict"),
        sa.Column("kept", sa.String(8)),
        sa.PrimaryKeyConstraint("id", name="pk_household_conflict"),
    )
    op.create_index("ix_household_conflict_household_id", "household_conflict", ["household_id"])


def downgrade():
    op.drop_table("household_conflict")
    op.drop_table("household_member")
    op.drop_table("household")
    op.drop_table("liaison_group")
