"""Who commits. A service commits its own change, unless its caller groups several changes
into one transaction: a sync command with its receipt, a bulk assignment."""

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
