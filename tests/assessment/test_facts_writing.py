"""The entities' facts are written as they were made (by COPY's text format on PostgreSQL,
formatted by the assessment itself): ids with characters COPY escapes, late days, values;
one row for all of a fact's subjects, each of which it counts for, also when they change
after its period froze."""

import gc
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.assessment import facts
from app.assessment.models import APPEAL, PERSON, UNIT, EntityFact, Period
from app.assessment.periods import parse


def test_facts_are_written_as_made(db):
    rows = [
        ("incident", "a\tb\\c\nd\re", 7, 70, None, "due", date(2026, 3, 2), 1.0, None),
        ("incident", "plain-id", None, 8, None, "handle_h", date(2026, 3, 2), 0.1 + 0.2, None),
        ("ack", "12:34", 9, None, None, "rc_asked", date(2026, 4, 1), -3.5, date(2026, 3, 9)),
        ("whistle", "5", None, None, 10, "whistles", date(2026, 4, 1), 1.0, None),
    ]
    facts._insert(rows)
    db.session.flush()
    read = db.session.execute(
        select(*(getattr(EntityFact, c) for c in facts._COLUMNS)).order_by(
            EntityFact.day, EntityFact.entity_id
        )
    ).all()
    assert [tuple(r) for r in read] == rows


def _probe(monkeypatch, subjects):
    """An entity "probe" whose one record, 1 on 2026-03-10, counts for `subjects` (a dict
    changed between rebuilds)."""

    def load(ids, now):
        for i in ids:
            yield facts.Record("probe", i, date(2026, 3, 10), list(subjects.items()), {})

    monkeypatch.setitem(facts.LOADERS, "probe", load)
    monkeypatch.setitem(facts._MEASURES, "probe", [lambda record: {"due": 1}])


def _person_sums(key):
    period = parse(key)
    found = facts.sums(period.start, period.end)
    return {k: v["due"] for k, v in found.items()}


def test_a_fact_is_one_row_counted_for_each_of_its_subjects(db, cast, monkeypatch):
    _probe(monkeypatch, {UNIT: cast.grid.id, PERSON: cast.member.id})
    facts.rebuild("probe", ["p1"])
    assert db.session.query(EntityFact).filter_by(entity="probe").count() == 1
    assert _person_sums("2026-03") == {(UNIT, cast.grid.id): 1.0, (PERSON, cast.member.id): 1.0}
    assert [
        e[:3] for e in facts.entities(PERSON, [cast.member.id], "due", *parse("2026-03")[2:])
    ] == [("probe", "p1", 1.0)]


def test_a_subject_changed_after_its_period_froze_moves_in_the_period_of_arrival(
    db, cast, monkeypatch
):
    """A case's handler changes after March froze: March keeps the first handler's count;
    April takes it from them and gives it to the new one, each marked late; the grid's sums
    do not move; over the two months each person counts what is theirs now."""
    subjects = {UNIT: cast.grid.id, PERSON: cast.member.id}
    _probe(monkeypatch, subjects)
    facts.rebuild("probe", ["p1"])
    db.session.add(
        Period(
            key="2026-03",
            state=APPEAL,
            plan_version=1,
            result={},
            opened_by_id=cast.district_admin.id,
            opened_at=datetime(2026, 4, 1, tzinfo=UTC),
            appeal_until=datetime(2026, 4, 6, tzinfo=UTC),
        )
    )
    subjects[PERSON] = cast.colleague.id
    facts.rebuild("probe", ["p1"], now=datetime(2026, 4, 8, 2, tzinfo=UTC))
    db.session.commit()
    assert _person_sums("2026-03") == {(UNIT, cast.grid.id): 1.0, (PERSON, cast.member.id): 1.0}
    april = _person_sums("2026-04")
    assert april == {(PERSON, cast.member.id): -1.0, (PERSON, cast.colleague.id): 1.0}
    assert facts.entities(PERSON, [cast.colleague.id], "due", *parse("2026-04")[2:]) == [
        ("probe", "p1", 1.0, date(2026, 3, 10))
    ]
    assert facts.entities(UNIT, [cast.grid.id], "due", *parse("2026-04")[2:]) == []
    facts.rebuild("probe", ["p1"], now=datetime(2026, 4, 9, 2, tzinfo=UTC))  # nothing new
    assert _person_sums("2026-04") == april


def test_a_rebuild_gives_the_garbage_collector_back_even_when_it_fails(db, monkeypatch):
    """The collector is paused while a rebuild makes its facts; a worker whose rebuild
    failed would otherwise keep every reference cycle it made from then on."""

    def broken(ids, now):
        assert not gc.isenabled()  # paused while the facts are made
        raise RuntimeError("a loader's bug")
        yield

    monkeypatch.setitem(facts.LOADERS, "probe", broken)
    with pytest.raises(RuntimeError):
        facts.rebuild("probe", ["p1"])
    assert gc.isenabled()
