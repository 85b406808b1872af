"""GridLink (网格通): the Flask API for urban grid governance."""

import os

from flask import Flask

from app import config as settings
from app import encoding, inputs, security, transaction
from app.errors import register_errors
from app.extensions import api, compress, csrf, db, login_manager, migrate
from app.privacy.crypto import use_key as use_personal_data_key


class GridLink(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks `inspect` for
    every hook and view of every request (a dozen a request, 5 % of a health check's CPU)."""

    _SYNCED = 4096  # functions remembered; past that, asked each time (a per-request closure)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._synced = {}

    def ensure_sync(self, func):
        try:
            return self._synced[func]
        except KeyError:
            synced = super().ensure_sync(func)
            if len(self._synced) < self._SYNCED:
                self._synced[func] = synced
            return synced
        except TypeError:  # unhashable
            return super().ensure_sync(func)


def create_app(config=None, overrides=None):
    """The app, configured by name ("dev", "test", "prod"; default $GRIDLINK_ENV or dev)."""
    app = GridLink(__name__, instance_path=os.environ.get("GRIDLINK_INSTANCE") or None)
    app.config.from_object(settings.load(config))
    app.config.update(overrides or {})
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "gridlink.db"
        )
    if not app.config.get("PHOTO_ROOT"):
        app.config["PHOTO_ROOT"] = os.path.join(app.instance_path, "photos")
    if not app.config.get("UPLOAD_ROOT"):
        app.config["UPLOAD_ROOT"] = os.path.join(app.instance_path, "uploads")
    security.use_secret_key(app)
    use_personal_data_key(app)
    register_extensions(app)
    inputs.init_app(app)
    encoding.init_app(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    return app


def register_extensions(app):
    from app import sqlite  # noqa: F401  (connection pragmas)
    from app.people import sessions

    db.init_app(app)
    transaction.init_app(app)  # first: it decides how the request's first query is sent
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    sessions.init_app(app)
    # Phones roam between networks all day: tying a session to an address would log them out.
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    compress.init_app(app)
    api.init_app(app)
    security.init_app(app)


def register_blueprints(app):
    from app.assessment.routes import blp as assessment
    from app.catalogue.routes import blp as catalogue
    from app.dispatch.routes import blp as dispatch
    from app.emergency.routes import blp as emergency
    from app.emergency.routes import calls as rollcalls
    from app.households.routes import blp as households
    from app.incidents.routes import blp as incidents
    from app.journal.routes import blp as journal
    from app.meetings.routes import blp as meetings
    from app.notify.routes import blp as notify
    from app.open311.routes import bp as open311
    from app.open311.routes import keys as open311_keys
    from app.party.routes import blp as party
    from app.patrols.routes import blp as patrols
    from app.people.admin_routes import blp as accounts
    from app.people.routes import blp as people
    from app.photos.routes import blp as photos
    from app.privacy.routes import blp as privacy
    from app.projects.routes import blp as projects
    from app.pwa import bp as pwa
    from app.residents.routes import blp as residents
    from app.residents.routes import hotline_blp as hotline
    from app.return_visits.routes import blp as return_visits
    from app.sync.routes import blp as sync
    from app.system.routes import blp as system
    from app.tasks.routes import blp as tasks
    from app.units.routes import blp as units
    from app.uploads.routes import blp as uploads
    from app.visits.routes import blp as visits
    from app.volunteering.routes import blp as activities
    from app.wishes.routes import blp as wishes

    for blueprint in (
        system,
        people,
        accounts,
        units,
        catalogue,
        incidents,
        tasks,
        dispatch,
        emergency,
        rollcalls,
        photos,
        sync,
        uploads,
        notify,
        return_visits,
        open311_keys,
        privacy,
        residents,
        hotline,
        party,
        wishes,
        meetings,
        activities,
        projects,
        assessment,
        households,
        visits,
        patrols,
        journal,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(open311)
    app.register_blueprint(pwa)


def register_commands(app):
    from app.cli import bp
    from app.notify.cli import worker_cli

    app.register_blueprint(bp)
    app.cli.add_command(worker_cli)
