"""The bare stack: a minimal Flask app on the same gunicorn, driver and database as GridLink,
doing only each endpoint's own work (`gunicorn bench.bare:app`, DATABASE_URL as the server's).

- `GET /hello`: a small JSON answer, no I/O (what health is compared with);
- `GET /locate?lat=&lng=`: the grid, community and street holding a point, in one query (on
  PostGIS a prepared statement over the same grids; on SQLite shapely's STRtree, then the row);
- `POST /insert`: the body of a report, one INSERT of a row shaped like an incident into
  `bench_incident` (made by `create_table`) and a COMMIT.

No sessions, CSRF, compression, schemas or ORM: the gap between an endpoint and its bare
equivalent is what GridLink adds around the same work. One connection per thread, kept open,
as SQLAlchemy's pool keeps GridLink's.
"""

import os
import sqlite3
import threading
from datetime import UTC, datetime

import shapely
from flask import Flask, jsonify, request
from sqlalchemy import create_engine, make_url, text

TABLE = "bench_incident"
# Shaped like incident: its columns that a new report fills, and its indexes on them.
CREATE = [
    f"""CREATE TABLE {TABLE} (
        id VARCHAR(36) PRIMARY KEY,
        category_code VARCHAR(64) NOT NULL,
        urgent BOOLEAN NOT NULL,
        description TEXT NOT NULL,
        lat FLOAT NOT NULL,
        lng FLOAT NOT NULL,
        reporter_id INTEGER NOT NULL,
        state VARCHAR(16) NOT NULL,
        photos TEXT NOT NULL,
        reported_at VARCHAR(40) NOT NULL,
        updated_at VARCHAR(40) NOT NULL)""",
    f"CREATE INDEX ix_{TABLE}_category_code ON {TABLE} (category_code)",
    f"CREATE INDEX ix_{TABLE}_reporter_id ON {TABLE} (reporter_id)",
    f"CREATE INDEX ix_{TABLE}_state ON {TABLE} (state)",
    f"CREATE INDEX ix_{TABLE}_nearby ON {TABLE} (category_code, reported_at)",
    f"CREATE INDEX ix_{TABLE}_latlng ON {TABLE} (lat, lng)",
]
INSERT = (
    f"INSERT INTO {TABLE} (id, category_code, urgent, description, lat, lng, reporter_id, "
    "state, photos, reported_at, updated_at) VALUES "
    "(%(id)s, %(category)s, false, %(description)s, %(lat)s, %(lng)s, 1, 'reported', "
    "%(photos)s, %(now)s, %(now)s)"
)
# The same answer as GridLink's placement: the grid and its community and street.
PLACEMENT = """
    SELECT g.id, g.code, g.name, c.id, c.code, c.name, s.id, s.code, s.name
    FROM unit g JOIN unit c ON c.id = g.parent_id JOIN unit s ON s.id = c.parent_id
    WHERE {where} ORDER BY g.code LIMIT 1
"""
POSTGIS_WHERE = (
    "g.level = 'grid' AND ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326))"
)
SQLITE_WHERE = "g.id = ?"
LEVELS = (("grid", 0), ("community", 3), ("street", 6))


def create_table(url):
    """The bare /insert's table, made afresh in the bench's database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            for statement in CREATE:
                connection.execute(text(statement))
    finally:
        engine.dispose()


class Postgis:
    def __init__(self, url):
        self._url = url

    def connect(self):
        import psycopg

        return psycopg.connect(self._url)

    def locate(self, connection, lng, lat):
        sql = PLACEMENT.format(where=POSTGIS_WHERE)
        # prepare=True: parsed and planned once per connection, as a prepared statement is.
        row = connection.execute(sql, {"lng": lng, "lat": lat}, prepare=True).fetchone()
        connection.rollback()  # end the read's transaction, as GridLink's request teardown does
        return row

    def insert(self, connection, values):
        connection.execute(INSERT, values, prepare=True)
        connection.commit()


class Sqlite:
    def __init__(self, path):
        self._path = path
        self._lock = threading.Lock()
        self._tree = None

    def connect(self):
        # GridLink's pragmas (app/sqlite.py): WAL, synchronous=NORMAL, waiting when busy.
        connection = sqlite3.connect(self._path, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
            connection.execute(f"PRAGMA {pragma}")
        return connection

    def _grids(self, connection):
        with self._lock:
            if self._tree is None:
                rows = connection.execute(
                    "SELECT id, geom FROM unit WHERE level = 'grid' ORDER BY code"
                ).fetchall()
                self._ids = [row[0] for row in rows]
                self._tree = shapely.STRtree([shapely.from_wkb(row[1]) for row in rows])
            return self._tree

    def locate(self, connection, lng, lat):
        hits = self._grids(connection).query(shapely.Point(lng, lat), predicate="covered_by")
        if not len(hits):
            return None
        sql = PLACEMENT.format(where=SQLITE_WHERE)
        return connection.execute(sql, (self._ids[min(hits)],)).fetchone()

    def insert(self, connection, values):
        sql = INSERT.replace("%(", ":").replace(")s", "")
        connection.execute(sql, values)
        connection.commit()


def _database(url):
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Sqlite(parsed.database)
    return Postgis(parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def create(url):
    app = Flask(__name__)
    database = _database(url)
    local = threading.local()
    opened = app.extensions["bare_connections"] = []

    def connection():
        if getattr(local, "connection", None) is None:
            local.connection = database.connect()
            opened.append(local.connection)
        return local.connection

    @app.get("/hello")
    def hello():
        return jsonify(status="ok")

    @app.get("/locate")
    def locate():
        lat, lng = float(request.args["lat"]), float(request.args["lng"])
        row = database.locate(connection(), lng, lat)
        if row is None:
            return jsonify(error="outside_district"), 404
        return jsonify(
            {level: {"id": row[i], "code": row[i + 1], "name": row[i + 2]} for level, i in LEVELS}
        )

    @app.post("/insert")
    def insert():
        body = request.get_json()
        values = {
            "id": body["id"],
            "category": body["category"],
            "description": body["description"],
            "lat": float(body["lat"]),
            "lng": float(body["lng"]),
            "photos": ",".join(photo["sha256"] for photo in body.get("photos", ())),
            "now": datetime.now(UTC).isoformat(),
        }
        database.insert(connection(), values)
        return jsonify(id=values["id"]), 201

    return app


def close(app):
    """Close the app's connections (a server's go with its worker processes)."""
    for connection in app.extensions["bare_connections"]:
        connection.close()


if os.environ.get("DATABASE_URL"):  # as gunicorn imports it: bench.bare:app
    app = create(os.environ["DATABASE_URL"])
