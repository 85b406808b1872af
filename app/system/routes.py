"""Health, and the assets of the API docs page."""

from functools import lru_cache

from alembic.script import ScriptDirectory
from flask import current_app, send_from_directory
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from swagger_ui_bundle import swagger_ui_path

from app.extensions import db, replaced_if_dropped

blp = Blueprint("system", __name__, url_prefix="/api", description="Health and docs")


class Health(Schema):
    status = fields.String()
    database = fields.String()
    schema = fields.String(metadata={"description": "current, or behind: run flask db upgrade"})
    revision = fields.String(allow_none=True)


@lru_cache(maxsize=1)
def _head_revision(directory):
    return ScriptDirectory(directory).get_current_head()


_REVISION = "SELECT version_num FROM alembic_version"


def _revision(engine):
    """The schema's revision, asked of the database on every call, on a connection of the
    pool but outside the ORM: no session to make and close for one tiny read. On PostgreSQL
    a prepared statement (parsed and planned once per connection) in autocommit: one round
    trip, no BEGIN before it and no ROLLBACK after. When the database dropped the connection,
    the pool's connections are replaced; the exception is raised."""
    connection = engine.raw_connection()
    try:
        dbapi = connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            dbapi.autocommit = True
            try:
                row = dbapi.execute(_REVISION, prepare=True).fetchone()
            finally:
                dbapi.autocommit = False
        else:
            cursor = dbapi.cursor()
            try:
                row = cursor.execute(_REVISION).fetchone()
            finally:
                cursor.close()
    except Exception as error:
        replaced_if_dropped(engine, connection, error)
        raise
    finally:
        connection.close()
    return row[0] if row else None


@blp.get("/health")
@blp.response(200, Health)
@blp.alt_response(503, schema=Health, description="database unreachable or schema not current")
def health():
    """Whether the database answers and its schema is the one this code expects: asked of
    the database on every request (a load balancer must not be told a remembered answer)."""
    head = _head_revision(current_app.extensions["migrate"].directory)
    engine = db.engine
    try:
        revision = _revision(engine)
    except Exception:
        down = _json(
            ("status", "down"), ("database", "unreachable or empty"), ("schema", "missing")
        )
        return _response(down, 503)
    current = revision == head
    body = _json(
        ("status", "ok" if current else "degraded"),
        ("database", engine.dialect.name),
        ("schema", "current" if current else "behind"),
        ("revision", revision),
    )
    return _response(body, 200 if current else 503)


@lru_cache(maxsize=16)
def _json(*fields):
    """The answer with these fields, dumped by Health and written as JSON once: a worker
    gives a few different ones in its life, and dumping and writing each request's was a
    tenth of a health check's CPU."""
    return current_app.json.dumps(Health().dump(dict(fields))) + "\n"


def _response(text, status):
    # A Response, which flask-smorest passes on as it is, neither dumped nor written again.
    return current_app.response_class(text, status, mimetype="application/json")


class Basemap(Schema):
    url = fields.String(metadata={"description": "a Leaflet tile URL template, {z}/{x}/{y}"})
    labels = fields.String(
        allow_none=True, metadata={"description": "a template of labels drawn over it, or none"}
    )
    crs = fields.String(metadata={"description": "wgs84, or gcj02: the app converts at the edge"})
    attribution = fields.String()
    subdomains = fields.String()


class Settings(Schema):
    basemap = fields.Nested(Basemap, allow_none=True, metadata={"description": "none: no tiles"})


@blp.get("/settings")
@blp.response(200, Settings)
def settings():
    """What the app needs from the deployment: the basemap, if one is configured
    (BASEMAP_URL, BASEMAP_LABELS_URL, BASEMAP_CRS, BASEMAP_ATTRIBUTION, BASEMAP_SUBDOMAINS)."""
    config = current_app.config
    if not config["BASEMAP_URL"]:
        return {"basemap": None}
    return {
        "basemap": {
            "url": config["BASEMAP_URL"],
            "labels": config["BASEMAP_LABELS_URL"],
            "crs": config["BASEMAP_CRS"],
            "attribution": config["BASEMAP_ATTRIBUTION"],
            "subdomains": config["BASEMAP_SUBDOMAINS"],
        }
    }


@blp.get("/docs/assets/<path:filename>")
@blp.doc(hide=True)
def docs_asset(filename):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
