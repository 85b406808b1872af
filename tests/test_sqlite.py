"""The embedded SQLite's transactions: savepoints inside the caller's transaction, and readers
that hold nothing, so that a writer never fails on a snapshot another writer made stale."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import app.sqlite  # noqa: F401  (the connection settings under test)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'transactions.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE item (n INTEGER PRIMARY KEY)"))
    yield engine
    engine.dispose()


def items(engine):
    with engine.connect() as connection:
        return connection.execute(text("SELECT n FROM item ORDER BY n")).scalars().all()


def test_a_savepoint_is_part_of_the_transaction_it_is_in(engine):
    """pysqlite on its own lets a first SAVEPOINT open a transaction its RELEASE commits."""
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM item"))  # a read first, as a push does
        with session.begin_nested():
            session.execute(text("INSERT INTO item VALUES (1)"))
        undone = session.begin_nested()
        session.execute(text("INSERT INTO item VALUES (2)"))
        undone.rollback()
        session.execute(text("INSERT INTO item VALUES (3)"))
        assert session.execute(text("SELECT n FROM item")).scalars().all() == [1, 3]
        session.rollback()
    assert items(engine) == []

    with Session(engine) as session:
        with session.begin_nested():
            session.execute(text("INSERT INTO item VALUES (1)"))
        undone = session.begin_nested()
        session.execute(text("INSERT INTO item VALUES (2)"))
        undone.rollback()
        session.commit()
    assert items(engine) == [1]


def test_a_transaction_that_read_first_still_writes_after_another_writer_committed(engine):
    """Its reads took no snapshot it must keep: the write waits for the lock, not SQLITE_BUSY."""
    with Session(engine) as first, Session(engine) as second:
        assert first.execute(text("SELECT count(*) FROM item")).scalar() == 0
        second.execute(text("INSERT INTO item VALUES (1)"))  # while `first` is open
        second.commit()
        first.execute(text("INSERT INTO item VALUES (2)"))
        first.commit()
    assert items(engine) == [1, 2]


def test_a_writer_holds_the_database_until_it_commits(engine):
    """Two writers never interleave: the second waits (busy_timeout) for the first's commit."""
    with Session(engine) as first, Session(engine) as second:
        first.execute(text("INSERT INTO item VALUES (1)"))
        second.connection().exec_driver_sql("PRAGMA busy_timeout=50")
        with pytest.raises(Exception, match="locked"):
            second.execute(text("INSERT INTO item VALUES (2)"))
        second.rollback()
        first.commit()
        second.execute(text("INSERT INTO item VALUES (2)"))
        second.commit()
    assert items(engine) == [1, 2]
