"""The migrations build the schema the models describe: a column added to a model but not
to a migration (or the reverse) fails here, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import app.emergency.models  # noqa: F401  (every model on the metadata)
import app.journal.models  # noqa: F401
import app.notify.models  # noqa: F401

# Differences on purpose, each kept by a migration the models cannot express.
KNOWN = {
    ("remove_table", "spatial_ref_sys"),  # PostGIS's own
    ("remove_index", "ix_history_grid_id"),  # the pull's indexes (app/sync/feed.py)
    ("remove_index", "ix_history_community_id"),
    ("remove_index", "ix_history_xid"),
    ("remove_column", "xid"),  # set by PostgreSQL for the pull cursor
    ("remove_index", "ix_unit_geom"),  # GiST, made by the migration
    ("modify_nullable", "geom"),  # a unit is imported with its boundary
    # SQLite cannot add a foreign key by ALTER: kept by PostgreSQL and by the code.
    ("add_fk", "fk_task_emergency_id_emergency_switch"),
    # SQLite keeps the declared VARCHAR of what became ciphertext (migration 0013 says why).
    ("modify_type", "resident_name"),
    ("modify_type", "resident_phone"),
}
SQLITE_ONLY = ("add_fk", "modify_type")


def _name(diff):
    if isinstance(diff, list):  # column modifications come as a list of one
        diff = diff[0]
        return diff[0], diff[3]
    kind, thing = diff[0], diff[-1]
    return kind, getattr(thing, "name", None) or str(thing)


@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")  # the pull cursor's
def test_migrations_match_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = {_name(diff) for diff in compare_metadata(context, db.metadata)}
    dialect = db.engine.dialect.name
    expected = {k for k in KNOWN if dialect == "sqlite" or k[0] not in SQLITE_ONLY}
    assert found <= expected, sorted(found - expected)


def test_the_migrations_are_one_line_with_one_head():
    """Two engineers' migrations on one parent make two heads, and `flask db upgrade` then
    refuses to run: every revision has at most one child, and its number follows its file's."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).parent.parent / "migrations"
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1, scripts.get_heads()
    for revision in scripts.walk_revisions():
        assert Path(revision.path).name.startswith(f"{revision.revision}_"), revision.path
