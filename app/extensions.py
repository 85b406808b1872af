"""Flask extensions, created once here and bound to the app in create_app."""

from flask import current_app
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
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


compress = SmallFirstCompress()
csrf = CSRFProtect()
api = JsonApi()
