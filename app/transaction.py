"""Who commits. A service commits its own change, unless its caller groups several changes
into one transaction: a sync push with its receipts, a bulk assignment. A view that only
reads runs without one (`reads_only`).

A service never rolls back: that would undo its caller's work too (a push's earlier commands).
To undo its own (an insert that lost a race), it runs it in a savepoint of its own,
`with db.session.begin_nested():`, and rolls back only to there. Nor does it commit in a
group: that is refused."""

import contextvars
from contextlib import contextmanager

from flask import g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

_grouped = contextvars.ContextVar("gridlink_grouped", default=False)
_savepoints_kept = contextvars.ContextVar("gridlink_savepoints_kept", default=False)


@event.listens_for(Session, "before_commit")
def _not_in_a_group(session):
    # A push's commands would commit without their receipts, and apply again when resent.
    if _grouped.get() and not session.in_nested_transaction():
        raise RuntimeError("A commit inside a caller's transaction: call transaction.commit().")


def commit():
    """Commit the service's change, or only flush it when the caller commits for the group."""
    if _grouped.get():
        db.session.flush()
    else:
        db.session.commit()


@contextmanager
def grouped():
    """Run services without letting them commit; the caller commits or rolls back once."""
    token = _grouped.set(True)
    try:
        yield
    finally:
        _grouped.reset(token)


@contextmanager
def savepoints_kept():
    """Within, on PostgreSQL, a savepoint that ends well is not released: each `RELEASE
    SAVEPOINT` is a round trip that changes nothing a caller sees. The savepoint stays
    defined, the next one nests inside it, a rollback to any of them still undoes only what
    came after it, and the transaction's end (COMMIT or ROLLBACK) ends them all. (Released
    or not, a savepoint that wrote is a subtransaction until the end: the caller bounds how
    many there are.) For a push's commands, each in its savepoint, and a claim."""
    token = _savepoints_kept.set(True)
    try:
        yield
    finally:
        _savepoints_kept.reset(token)


def _keep_savepoints(dialect):
    release = dialect.do_release_savepoint

    def do_release_savepoint(connection, name):
        if not _savepoints_kept.get():
            release(connection, name)

    dialect.do_release_savepoint = do_release_savepoint


def reads_only(view):
    """Mark a view that only reads. On PostgreSQL it runs without a transaction (autocommit):
    no BEGIN before its first query and no ROLLBACK after its last, two of a locate's four
    round trips. Under READ COMMITTED each statement of a transaction sees a snapshot of its
    own anyway, so the reads see what they would have. A write there would commit at once,
    on its own: an ORM flush in such a view is refused."""
    view.reads_only = True
    return view


def answer_reads_only():
    """Call after the request's write has committed, when all that is left is reading its
    answer: as in a `reads_only` view, on PostgreSQL those reads run without a transaction
    (no BEGIN before them and no ROLLBACK after: two of a claim's round trips), and a flush
    from here on is refused. If the write had nothing to commit (a claim sent again), its
    transaction, holding nothing, reads the answer."""
    g.reads_only = True
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def init_app(app):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _keep_savepoints(db.engine.dialect)

    @app.before_request
    def _without_a_transaction():
        if not getattr(app.view_functions.get(request.endpoint), "reads_only", False):
            return
        g.reads_only = True
        if db.engine.dialect.name == "postgresql":  # SQLite's BEGIN waits for a write anyway
            # Before anything reads (the session's lookup): the request's one connection.
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@event.listens_for(Session, "before_flush")
def _not_when_reading(session, context, instances):
    if g and g.get("reads_only"):
        raise RuntimeError("A write in a view marked reads_only.")
