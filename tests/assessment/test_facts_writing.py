"""The entities' facts are written as they were made (by COPY's text format on PostgreSQL,
formatted by the assessment itself): ids with characters COPY escapes, late days, values."""

from datetime import date

from sqlalchemy import select

from app.assessment import facts
from app.assessment.models import EntityFact


def test_facts_are_written_as_made(db):
    rows = [
        ("incident", "a\tb\\c\nd\re", "unit", 7, "due", date(2026, 3, 2), 1.0, None),
        ("incident", "plain-id", "person", 8, "handle_h", date(2026, 3, 2), 0.1 + 0.2, None),
        ("ack", "12:34", "unit", 9, "rc_asked", date(2026, 4, 1), -3.5, date(2026, 3, 9)),
    ]
    facts._insert(rows)
    db.session.flush()
    read = db.session.execute(
        select(*(getattr(EntityFact, c) for c in facts._COLUMNS)).order_by(EntityFact.subject_id)
    ).all()
    assert [tuple(r) for r in read] == rows
