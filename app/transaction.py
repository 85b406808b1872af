"""Who commits. A service commits its own change, unless its caller groups several changes
into one transaction: a sync push with its receipts, a bulk assignment.

A service never rolls back: that would undo its caller's work too (a push's earlier commands).
To undo its own (an insert that lost a race), it runs it in a savepoint of its own,
`with db.session.begin_nested():`, and rolls back only to there. Nor does it commit in a
group: that is refused."""

import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

_grouped = contextvars.ContextVar("gridlink_grouped", default=False)


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
