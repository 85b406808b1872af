"""Visits (走访): who visited which household, when and where, whom they met, the forms of the
tagged people met, an incident raised, and the department's sign-off (签收).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _fk(name, target, kind=sa.Integer, **kw):
    referred = target.split(".")[0]
    foreign = sa.ForeignKey(target, name=f"fk_visit_{name}_{referred}", **kw.pop("fk", {}))
    return sa.Column(name, kind, foreign, **kw)


def upgrade():
    when = sa.DateTime(timezone=True)
    op.create_table(
        "visit",
        sa.Column("id", sa.String(36), nullable=False),
        _fk("household_id", "household.id", sa.String(36), nullable=False, fk={"ondelete": "CASCADE"}),
        _fk("grid_id", "unit.id", nullable=False),
        _fk("community_id", "unit.id", nullable=False),
        _fk("visitor_id", "user_account.id", nullable=False),
        sa.Column("at", when, nullable=False),
        sa.Column("recorded_at", when, nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lng", sa.Float),
        sa.Column("met", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("forms", sa.JSON, nullable=False),
        sa.Column("plans_version", sa.Integer, nullable=False),
        _fk("incident_id", "incident.id", sa.String(36)),
        _fk("signoff_department_id", "department.id"),
        sa.Column("signoff_due", when),
        sa.Column("signed_at", when),
        _fk("signed_by_id", "user_account.id"),
        sa.Column("opinion", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_visit"),
    )
    for column in ("household_id", "grid_id", "community_id", "visitor_id", "at", "signoff_department_id"):
        op.create_index(f"ix_visit_{column}", "visit", [column])


def downgrade():
    op.drop_table("visit")
