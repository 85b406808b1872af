"""Health, and the assets of the API docs page."""

from functools import lru_cache

from alembic.script import ScriptDirectory
from flask import current_app, send_from_directory
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path

from app.extensions import db
from app.transaction import reads_only

blp = Blueprint("system", __name__, url_prefix="/api", description="Health and docs")


class Health(Schema):
    status = fields.String()
    database = fields.String()
    schema = fields.String(metadata={"description": "current, or behind: run flask db upgrade"})
    revision = fields.String(allow_none=True)


@lru_cache(maxsize=1)
def _head_revision(directory):
    return ScriptDirectory(directory).get_current_head()


@blp.get("/health")
@reads_only
@blp.response(200, Health)
@blp.alt_response(503, schema=Health, description="database unreachable or schema not current")
def health():
    """Whether the database answers and its schema is the one this code expects."""
    head = _head_revision(current_app.extensions["migrate"].directory)
    try:
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        db.session.rollback()
        return {"status": "down", "database": "unreachable or empty", "schema": "missing"}, 503
    current = revision == head
    body = {
        "status": "ok" if current else "degraded",
        "database": db.session.get_bind().dialect.name,
        "schema": "current" if current else "behind",
        "revision": revision,
    }
    return body, 200 if current else 503


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
