"""What a request pays to know who is calling: `python -m bench.session_lookup [DATABASE_URL]`.

Times, in a fresh database session each as a request has, the lookup by user id the loader
did before sessions were records (`db.session.get(User, id)`), the server-side session's
lookup (`sessions.load(token)`: one primary-key lookup joined with the user), and the write
of "last seen" that one request in every SESSION_TOUCH_MINUTES per session makes. Prints
microseconds per call (median of rounds) as JSON. Without a URL it uses a temporary SQLite
file; a PostgreSQL URL's schema `public` is dropped first: give it a database of its own.
"""

import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta

import flask_migrate

from app import create_app
from app.extensions import db
from app.people import sessions
from app.people.models import GRID_MEMBER, User
from bench.database import reset_postgis

CALLS, ROUNDS = 500, 7


def _app(url):
    if url.startswith("postgresql"):
        reset_postgis(url)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _per_call_us(work):
    started = time.perf_counter()
    for _ in range(CALLS):
        work()
        db.session.remove()  # the next request starts with an empty identity map
    return (time.perf_counter() - started) / CALLS * 1e6


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else None
    url = url or "sqlite:///" + tempfile.mkdtemp() + "/gridlink.db"
    app = _app(url)
    with app.test_request_context():
        user = User(phone="13800000001", name="bench", password_hash="-", role=GRID_MEMBER)
        db.session.add(user)
        db.session.commit()
        sessions.start(user, remember=True, ip="127.0.0.1")
        db.session.commit()
        user_id, token = user.id, user.login_token
        figures = {"get_user": [], "load_session": [], "load_and_touch": []}
        for _ in range(ROUNDS):  # alternating, so a noisy moment hits each alike
            app.config["SESSION_TOUCH"] = timedelta(days=1)
            figures["get_user"].append(_per_call_us(lambda: db.session.get(User, user_id)))
            figures["load_session"].append(_per_call_us(lambda: sessions.load(token)))
            app.config["SESSION_TOUCH"] = timedelta(0)  # every load writes: the touch's cost
            figures["load_and_touch"].append(_per_call_us(lambda: sessions.load(token)))
        backend = db.engine.dialect.name
    median = {name: round(statistics.median(values), 1) for name, values in figures.items()}
    print(json.dumps({"backend": backend, "us_per_call": median}))


if __name__ == "__main__":
    main()
