"""Late history: an entity's facts may be counted on more than one day (the day its counting
rule gives, frozen with a published period, and the day a later change arrived), so the day is
part of an entity fact's key; counted_for is the day a late change was counted for by the rule.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

KEY = ["entity", "entity_id", "subject", "subject_id", "measure"]


def upgrade():
    with op.batch_alter_table("assessment_entity_fact") as batch:
        batch.add_column(sa.Column("counted_for", sa.Date, nullable=True))
        batch.drop_constraint("pk_assessment_entity_fact", type_="primary")
        batch.create_primary_key("pk_assessment_entity_fact", [*KEY, "day"])


def downgrade():
    op.execute("DELETE FROM assessment_entity_fact WHERE counted_for IS NOT NULL")
    with op.batch_alter_table("assessment_entity_fact") as batch:
        batch.drop_constraint("pk_assessment_entity_fact", type_="primary")
        batch.create_primary_key("pk_assessment_entity_fact", KEY)
        batch.drop_column("counted_for")
