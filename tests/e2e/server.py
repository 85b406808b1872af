"""The real server for end-to-end runs: gunicorn serving the API and the built PWA (service
worker included) on a free port of 127.0.0.1, over a database made for the run. Used by the
e2e fixtures and by `make audit`; plain functions, no pytest."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from app.config import Test

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("PWA_DIST", ROOT / "pwa" / "dist"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wipe(url):
    """An empty PostgreSQL database (its public schema dropped and made again)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url):
    """The app in this process, on the run's database, with its schema built."""
    import flask_migrate

    from app import create_app

    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
    return app


class Server:
    def __init__(self, url, instance, port=None, env=None):
        self.url = url
        self.env = env or {}  # settings of this server (a basemap, ...)
        self.instance = Path(instance)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = self.instance / "server.log"
        self.process = None

    def start(self, timeout=30):
        # The server serves its own copy of the build: a `npm run build` elsewhere (it empties
        # pwa/dist first) cannot pull files from under a service worker being installed.
        dist = self.instance / "dist"
        shutil.rmtree(dist, ignore_errors=True)
        shutil.copytree(DIST, dist)
        env = {
            **os.environ,
            "GRIDLINK_ENV": "dev",
            "SECRET_KEY": "e2e-only",
            # The key make_app's process writes personal data under: both read each other's.
            "PERSONAL_DATA_KEY": Test.PERSONAL_DATA_KEY,
            "DATABASE_URL": self.url,
            "GRIDLINK_INSTANCE": str(self.instance),
            "PWA_DIST": str(dist),
            # Several people log in at once here; the bound on checks is tested apart.
            "LOGIN_CONCURRENCY": "100",
            **self.env,
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [gunicorn, "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{self.port}",
                 "--access-logfile", "-", "wsgi:app"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{self.log_tail()}")
            time.sleep(0.1)  # polling a starting process, not synchronising a test

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines=60):
        try:
            return "".join(self.log.read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""
