"""Who commits. A service commits its own change, unless its caller groups several changes
into one transaction: a sync push with its receipts, a bulk assignment.

A service never rolls back: that would undo its caller's work too (a push's earlier commands).
To undo its own (an insert that lost a race), it runs it in a savepoint of its own,
`with db.session.begin_nested():`, and rolls back only to there."""

import contextvars
from contextlib import contextmanager

from app.extensions import db

_grouped = contextvars.ContextVar("gridlink_grouped", default=False)


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
