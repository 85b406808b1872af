"""An entity's fact is one row with its subjects beside it (unit, person, department), not a
row per subject: a month's rebuild wrote every case's measures twice, its grid's and its
handler's, and their COPY was most of its time. A drill-down finds a subject's facts by its
column and the day (integers and dates: the strings' collation made the string indexes the
costly ones).

The facts already made are kept as they are, one subject to a row: each subject's sums stay
what they were, and a rebuild of the entity writes its facts anew in one row.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

TABLE = "assessment_entity_fact"
COLUMNS = {"unit": "unit_id", "person": "person_id", "department": "department_id"}


def _where(name):
    return sa.text(f"{name} IS NOT NULL")


def upgrade():
    op.drop_index("ix_assessment_entity_fact_subject", TABLE)
    with op.batch_alter_table(TABLE) as batch:
        for name in COLUMNS.values():
            batch.add_column(sa.Column(name, sa.Integer, nullable=True))
    for subject, name in COLUMNS.items():
        op.execute(f"UPDATE {TABLE} SET {name} = subject_id WHERE subject = '{subject}'")
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("subject_id")
        batch.drop_column("subject")
    for name in COLUMNS.values():
        op.create_index(
            f"ix_assessment_entity_fact_{name}",
            TABLE,
            [name, "day"],
            postgresql_where=_where(name),
            sqlite_where=_where(name),
        )


def downgrade():
    for name in COLUMNS.values():
        op.drop_index(f"ix_assessment_entity_fact_{name}", TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("subject", sa.String(12), nullable=True))
        batch.add_column(sa.Column("subject_id", sa.Integer, nullable=True))
    columns = "entity, entity_id, subject, subject_id, measure, day, value, counted_for"
    for subject, name in COLUMNS.items():  # a row of two subjects is two rows again
        op.execute(
            f"INSERT INTO {TABLE} ({columns}) SELECT entity, entity_id, '{subject}', {name}, "
            f"measure, day, value, counted_for FROM {TABLE} WHERE {name} IS NOT NULL"
        )
    op.execute(f"DELETE FROM {TABLE} WHERE subject IS NULL")
    with op.batch_alter_table(TABLE) as batch:
        for name in COLUMNS.values():
            batch.drop_column(name)
        batch.alter_column("subject", existing_type=sa.String(12), nullable=False)
        batch.alter_column("subject_id", existing_type=sa.Integer, nullable=False)
    op.create_index(
        "ix_assessment_entity_fact_subject", TABLE, ["subject", "subject_id", "measure"]
    )
