"""The backends under test: which of them run, and a fresh demo database for each."""

import json
import os
import subprocess
import time

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from bench.common import BIN, ROOT, BenchError

BACKENDS = ("sqlite", "postgis")


def postgis_url():
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def skip_reason(backend):
    """Why a backend cannot run here, or None."""
    if backend == "postgis" and not postgis_url():
        return "neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set (postgresql+psycopg://...)"
    return None


def database_url(backend, instance_dir):
    if backend == "sqlite":
        return "sqlite:///" + os.path.join(instance_dir, "gridlink.db")
    return postgis_url()


def describe(url):
    """The URL without its password, for the report."""
    return make_url(url).render_as_string(hide_password=True)


def app_env(instance_dir, url):
    """The environment of every flask, gunicorn and in-process run for one backend."""
    return {
        **os.environ,
        "FLASK_APP": "wsgi",
        "GRIDLINK_INSTANCE": os.path.abspath(instance_dir),
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "COOKIE_SECURE": "0",  # the bench speaks plain http to 127.0.0.1
    }


def prepare(backend, env, members):
    """Empty the database, build the schema, load the demo district; returns seconds taken."""
    started = time.perf_counter()
    if backend == "postgis":
        reset_postgis(env["DATABASE_URL"])
    flask(env, "db", "upgrade")
    flask(env, "demo", "load", "--members", str(members))
    return time.perf_counter() - started


def demo_logins(env):
    """The demo logins as `flask demo logins --json` lists them."""
    return json.loads(flask(env, "demo", "logins", "--json"))


def demo_login(logins, role="grid_member"):
    """(phone, password) of the demo login with this role."""
    for login in logins:
        if login["role"] == role:
            return login["phone"], login["password"]
    raise BenchError(f"no {role} among the demo logins")


def password_of(logins, phone):
    """The password of any demo account: its own if it is a printed login, else the one the
    bulk accounts share (listed as role "everyone else")."""
    own = {login["phone"]: login["password"] for login in logins}
    return own.get(phone) or demo_login(logins, "everyone else")[1]


def query(url, sql, **params):
    """The rows of one read-only SQL statement, on a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    except SQLAlchemyError as error:
        raise BenchError(f"query on {describe(url)} failed: {error}") from error
    finally:
        engine.dispose()


def flask(env, *args):
    """Run a flask command in the project; its stdout, or BenchError with its output."""
    done = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError.of_process(f"flask {' '.join(args)}", done)
    return done.stdout


def reset_postgis(url):
    # As tests/conftest.py does: the migration recreates the postgis extension in the new schema.
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except SQLAlchemyError as error:
        raise BenchError(f"cannot reset {describe(url)}: {error}") from error
    finally:
        engine.dispose()
