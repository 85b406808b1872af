"""Guards shared by the domains' services: who may act, and on what state."""

from app.errors import Conflict, Forbidden


def require(allowed, message):
    """403 unless `allowed`: the caller sees the thing but may not do this to it."""
    if not allowed:
        raise Forbidden(message, code="not_allowed")


def require_state(thing, states, action):
    """409 unless `thing` (an incident, a task, or what stands for one and says its `noun`)
    is in one of `states`."""
    if thing.state not in states:
        noun = getattr(thing, "noun", None) or type(thing).__name__.lower()
        article = "an" if noun[0] in "aeiou" else "a"
        raise Conflict(
            f"Cannot {action} {article} {noun} that is {thing.state}.",
            code="wrong_state",
            extra={"state": thing.state},
        )
