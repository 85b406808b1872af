"""Helpers for the sync property, race and crash tests: emptying what sync writes between
examples of one test, a simulated server restart, and logged-in clients of the same user."""

import uuid

import pytest

from app.catalogue import services as catalogue
from app.extensions import db as _db
from app.photos import services as photos
from app.units import services as units
from app.units import spatial
from tests.conftest import TABLES, Auth, empty

# What phones and their commands write (TABLES runs children first, down to the incidents);
# people and the map stay.
WRITTEN = TABLES[: TABLES.index("incident") + 1]


def empty_written():
    """Empty the tables sync writes (the `db` fixture empties everything only after the
    test; a property test runs many examples in one test). Needs an app context."""
    _db.session.rollback()
    empty(WRITTEN)
    _db.session.commit()


def restart_server(app):
    """What a restart of the server process loses: its pooled connections and its
    in-process caches (catalogue, grid index, rendered maps, photo store)."""
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    catalogue._cache.clear()
    spatial._indexes.clear()
    units._collections._items.clear()
    photos._store_at.cache_clear()


def logged_in(app, user):
    """A new client (its own session cookie) logged in as `user`."""
    client = app.test_client()
    Auth(client).login(user)
    return client


def is_postgis(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def postgis_only(app):
    if not is_postgis(app):
        pytest.skip("concurrent writers and a killed server process need PostgreSQL")


def command(seq, type_, args, command_id=None):
    return {"command_id": command_id or str(uuid.uuid4()), "seq": seq, "type": type_, "args": args}
