"""A resident's name and phone on a case are encrypted at rest (app/privacy): the columns
become text wide enough for a ciphertext (on PostgreSQL), and the rows there are encrypted
under the current PERSONAL_DATA_KEY.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from app.privacy import crypto

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = ("resident_name", "resident_phone")
incident = sa.table("incident", sa.column("id"), *(sa.column(c) for c in COLUMNS))


def _rewrite(change):
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(incident).where(sa.or_(*(incident.c[c].isnot(None) for c in COLUMNS)))
    ).all()
    for row in rows:
        connection.execute(
            incident.update()
            .where(incident.c.id == row.id)
            .values({c: change(getattr(row, c)) for c in COLUMNS})
        )


def _postgresql():
    # SQLite holds text of any length in any column: it keeps the declared VARCHAR, since
    # changing it means making the table again, which fails once whistles and followers
    # point at its cases.
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        for column in COLUMNS:
            op.alter_column("incident", column, type_=sa.Text())
    _rewrite(crypto.encrypt)


def downgrade():
    _rewrite(crypto.decrypt)
    if _postgresql():
        op.alter_column("incident", "resident_name", type_=sa.String(50))
        op.alter_column("incident", "resident_phone", type_=sa.String(20))
