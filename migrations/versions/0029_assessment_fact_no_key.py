"""The entities' facts keep no primary key: they are only ever summed, and the six columns'
index was the costliest part of a month's rebuild (its COPY). A rebuild finds an entity's facts
by (entity, entity id), a drill-down a subject's by (subject, subject id, measure), without the
day, which the drill-down filters on a subject's few rows.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TABLE = "assessment_entity_fact"
KEY = ["entity", "entity_id", "subject", "subject_id", "measure", "day"]


def upgrade():
    op.drop_index("ix_assessment_entity_fact_subject", TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint("pk_assessment_entity_fact", type_="primary")
    op.create_index("ix_assessment_entity_fact_entity", TABLE, ["entity", "entity_id"])
    op.create_index("ix_assessment_entity_fact_subject", TABLE, ["subject", "subject_id", "measure"])


def downgrade():
    op.drop_index("ix_assessment_entity_fact_subject", TABLE)
    op.drop_index("ix_assessment_entity_fact_entity", TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.create_primary_key("pk_assessment_entity_fact", KEY)
    op.create_index("ix_assessment_entity_fact_subject", TABLE, [*KEY[2:5], "day"])
