"""Flask extensions, created once here and bound to the app in create_app."""

import functools
import hmac
import logging
import time

from flask import current_app, g, request, session
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect, same_origin
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import MetaData

from app.errors import JsonApi

# Named constraints so that Alembic can alter them on SQLite and PostgreSQL alike.
db = SQLAlchemy(
    # Services commit and then show what they wrote: reloading every row after each commit
    # would cost a round trip per object for nothing.
    session_options={"expire_on_commit": False},
    metadata=MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    ),
)
migrate = Migrate()


def replaced_if_dropped(engine, pooled, error):
    """Whether `error`, raised on the pooled connection `pooled` outside SQLAlchemy's own
    execution (a DBAPI call of the hot paths), says the database dropped it; if so, as
    SQLAlchemy does on a disconnect in a query of its own, that connection and every pooled
    one older than it are replaced (a restart dropped them all)."""
    if not engine.dialect.is_disconnect(error, pooled.dbapi_connection, None):
        return False
    engine.pool._invalidate(pooled, error)
    return True


login_manager = LoginManager()


class SmallFirstCompress(Compress):
    """Flask-Compress, passing a body under COMPRESS_MIN_SIZE (most API answers) before its
    dozen other checks; the answer still varies by Accept-Encoding, as Flask-Compress says."""

    def after_request(self, response):
        length = response.content_length if response else None
        if length is not None and length < current_app.config["COMPRESS_MIN_SIZE"]:
            vary = response.headers.get("Vary")
            if not vary:
                response.headers["Vary"] = "Accept-Encoding"
            elif "accept-encoding" not in vary.lower():
                response.headers["Vary"] = f"{vary}, Accept-Encoding"
            return response
        return super().after_request(response)


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class RememberedCSRF(CSRFProtect):
    """Flask-WTF's CSRF check, its token's signature checked once per token in a worker.

    Flask-WTF made a serializer (deriving its keys), checked the token's HMAC and decoded it
    on every write, after parsing a form a JSON body does not have: 10 % of an
    acknowledgement's CPU. A token whose signature checked out is remembered with what it
    said and when it was signed, keyed by the signing keys (a rotation checks afresh); every
    write still compares what it said with its own session's secret (a token of another
    session fails) and checks its age when WTF_CSRF_TIME_LIMIT sets one. A token that fails
    is not remembered, so it costs what it did. The rest is Flask-WTF's `protect`."""

    CHECKED = 8192  # tokens remembered per worker

    def __init__(self, app=None):
        self._checked = functools.lru_cache(maxsize=self.CHECKED)(self._check)
        super().__init__(app)

    @staticmethod
    def _check(keys, token):
        serializer = URLSafeTimedSerializer(list(keys), salt="wtf-csrf-token")
        said, signed_at = serializer.loads(token, return_timestamp=True)
        return said, signed_at.timestamp()

    def _get_csrf_token(self):
        if request.mimetype in _FORMS:
            return super()._get_csrf_token()
        for header in current_app.config["WTF_CSRF_HEADERS"]:  # no form to look in
            token = request.headers.get(header)
            if token:
                return token
        return None

    def _problem(self, config):
        """Why this request's token does not pass, or None; in Flask-WTF's words."""
        token = self._get_csrf_token()
        if not token:
            return "The CSRF token is missing."
        field = config["WTF_CSRF_FIELD_NAME"]
        if field not in session:
            return "The CSRF session token is missing."
        keys = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        keys = tuple(keys) if isinstance(keys, list | tuple) else (keys,)
        try:
            said, signed_at = self._checked(keys, token)
        except BadData:
            return "The CSRF token is invalid."
        limit = config["WTF_CSRF_TIME_LIMIT"]
        if limit is not None and not 0 <= time.time() - signed_at <= limit:
            return "The CSRF token has expired."
        if not isinstance(said, str) or not hmac.compare_digest(session[field], said):
            return "The CSRF tokens do not match."
        return None

    def protect(self, apply_exemptions=False):
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        config = current_app.config
        if request.method not in config["WTF_CSRF_METHODS"]:
            return
        problem = self._problem(config)
        if problem is not None:
            logging.getLogger("flask_wtf.csrf").info(problem)
            self._error_response(problem)
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True


compress = SmallFirstCompress()
csrf = RememberedCSRF()
api = JsonApi()
