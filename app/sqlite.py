"""Settings for the embedded SQLite default: concurrent readers beside one writer (WAL), waiting
for a busy database instead of failing, as two gunicorn workers need, and real savepoints.

pysqlite's own transaction handling opens a transaction only before an INSERT, UPDATE or
DELETE, and so a SAVEPOINT issued first opens one of its own that its RELEASE commits: the
caller's transaction would not be one any more. SQLAlchemy's documented recipe ("Serializable
isolation / Savepoints / Transactional DDL") turns pysqlite's handling off and emits BEGIN
itself. Here the BEGIN waits for the first statement that is not a read, and takes the write
lock at once (IMMEDIATE), as pysqlite did: reads before it see the newest data and hold
nothing, and a transaction that began by reading can never find, when it first writes, that
another writer committed since its snapshot (SQLITE_BUSY at once, whatever busy_timeout says).
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_BEGIN = "gridlink_begin"  # in the connection's info: a transaction began, no BEGIN sent yet
_READS = ("SELECT", "PRAGMA")


@event.listens_for(Engine, "connect")
def _pragmas(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # pysqlite sends no BEGIN or COMMIT of its own
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(conn):
    if conn.dialect.name == "sqlite":
        conn.info[_BEGIN] = True


@event.listens_for(Engine, "before_cursor_execute")
def _begin_before_writing(conn, cursor, statement, parameters, context, executemany):
    if conn.info.get(_BEGIN) and not statement.lstrip()[:6].upper().startswith(_READS):
        conn.info[_BEGIN] = False
        cursor.connection.execute("BEGIN IMMEDIATE")


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _end(conn):
    # Not on a connection the database dropped: its info cannot be read until the rollback
    # this is part of has finished (PendingRollbackError), and there is nothing to forget.
    if conn.dialect.name == "sqlite" and not conn.invalidated:
        conn.info.pop(_BEGIN, None)
