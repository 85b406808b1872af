"""The server's clock, in one place so that tests can move time instead of sleeping."""

from datetime import UTC, datetime


def now():
    return datetime.now(UTC)
