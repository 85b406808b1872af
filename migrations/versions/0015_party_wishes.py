"""党建引领: party organisations (committees, branches), their members, in-service members'
reports to communities, joint-built units; 微心愿 and their claims, one live claim per wish.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _fk(table, column, target, nullable=True):
    referred = target.split(".")[0]
    return sa.Column(
        column,
        sa.Integer if target.endswith(".id") and referred != "wish" else sa.String(36),
        sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"),
        nullable=nullable,
    )


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _indexes(table, *columns):
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade():
    op.create_table(
        "party_org",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _fk("party_org", "unit_id", "unit.id", nullable=False),
        _fk("party_org", "parent_id", "party_org.id"),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_party_org"),
        sa.UniqueConstraint("unit_id", name="uq_party_org_unit_id"),
    )
    _indexes("party_org", "parent_id")
    op.create_table(
        "party_member",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        _fk("party_member", "org_id", "party_org.id"),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("mobile", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(200)),
        _fk("party_member", "user_id", "user_account.id"),
        sa.Column("secretary", sa.Boolean, nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_party_member"),
        sa.UniqueConstraint("user_id", name="uq_party_member_user_id"),
        sa.CheckConstraint(
            "NOT mobile OR origin IS NOT NULL", name="ck_party_member_mobile_has_origin"
        ),
    )
    _indexes("party_member", "org_id")
    op.create_index(
        "uq_party_member_secretary",
        "party_member",
        ["org_id"],
        unique=True,
        sqlite_where=sa.text("secretary"),
        postgresql_where=sa.text("secretary"),
    )
    op.create_table(
        "joint_unit",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _fk("joint_unit", "street_id", "unit.id", nullable=False),
        sa.Column("note", sa.Text),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_joint_unit"),
    )
    _indexes("joint_unit", "street_id")
    op.create_table(
        "party_report",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("party_report", "member_id", "party_member.id", nullable=False),
        _fk("party_report", "community_id", "unit.id", nullable=False),
        sa.Column("work_unit", sa.String(200), nullable=False),
        _fk("party_report", "joint_unit_id", "joint_unit.id"),
        sa.Column("post", sa.String(200)),
        _when("reported_at"),
        sa.PrimaryKeyConstraint("id", name="pk_party_report"),
    )
    _indexes("party_report", "member_id", "community_id", "joint_unit_id")
    op.create_table(
        "wish",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("wish", "community_id", "unit.id", nullable=False),
        _fk("wish", "grid_id", "unit.id", nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("need", sa.Text, nullable=False),
        sa.Column("place", sa.String(100), nullable=False),
        # Encrypted at rest (app/privacy): ciphertext as text.
        sa.Column("beneficiary_name", sa.Text, nullable=False),
        sa.Column("beneficiary_phone", sa.Text),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _fk("wish", "recorded_by_id", "user_account.id", nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _when("published_at", nullable=True),
        _when("fulfilled_at", nullable=True),
        sa.Column("fulfilment_note", sa.Text),
        sa.Column("confirmed_by", sa.String(16)),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_wish"),
    )
    _indexes("wish", "community_id", "grid_id", "category", "state", "updated_at", "fulfilled_at")
    op.create_table(
        "wish_claim",
        sa.Column("id", sa.Integer, nullable=False),
        _fk("wish_claim", "wish_id", "wish.id", nullable=False),
        _fk("wish_claim", "user_id", "user_account.id", nullable=False),
        _fk("wish_claim", "joint_unit_id", "joint_unit.id"),
        _when("claimed_at"),
        sa.Column("live", sa.Boolean, nullable=False),
        _when("ended_at", nullable=True),
        sa.Column("end_reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_wish_claim"),
    )
    _indexes("wish_claim", "wish_id", "user_id", "joint_unit_id")
    # One live claim per wish: the database's word, under the claim's conditional UPDATE.
    op.create_index(
        "uq_wish_claim_live",
        "wish_claim",
        ["wish_id"],
        unique=True,
        sqlite_where=sa.text("live"),
        postgresql_where=sa.text("live"),
    )


def downgrade():
    for table in ("wish_claim", "wish", "party_report", "joint_unit", "party_member", "party_org"):
        op.drop_table(table)
