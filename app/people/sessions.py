"""Server-side sessions: one record per login, so that logging out, a lost phone or a new
password ends a session for real, whoever holds a copy of its cookies."""

import collections
import copy
import functools
import hashlib
import re
import secrets
import time

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie
from itsdangerous import BadSignature
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached

from app import clock, transaction
from app.errors import NotFound
from app.extensions import db, login_manager, replaced_if_dropped
from app.people.models import User, UserSession


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetimes(remember):
    """(idle, absolute): a remembered phone may stay offline for days; a desk's browser not."""
    config = current_app.config
    if remember:
        return config["REMEMBER_IDLE"], config["REMEMBER_COOKIE_DURATION"]
    return config["SESSION_IDLE"], config["PERMANENT_SESSION_LIFETIME"]


def ends_at(record):
    """When the session ends if it is not used again: idle or absolute, whichever is first."""
    idle, _ = _lifetimes(record.remember)
    return min(record.expires_at, record.last_seen_at + idle)


def start(user, remember, ip):
    """A new session for `user`; its token goes into the cookies via `user.get_id()`."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    record = UserSession(
        id=_digest(token),
        user_id=user.id,
        remember=remember,
        user_agent=(request.user_agent.string or None) and request.user_agent.string[:255],
        ip=ip,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetimes(remember)[1],
    )
    db.session.add(record)
    user.login_token = token
    g.user_session, g.user_session_id = record, record.id
    return record


# What a request's lookup reads: the session's lifetimes, then every column of its user.
_SEEN = ("remember", "expires_at", "last_seen_at", "revoked_at")
_LOAD = (
    select(*(UserSession.__table__.c[name] for name in _SEEN), *User.__table__.c)
    .join(User.__table__, User.id == UserSession.user_id)
    .where(UserSession.id == bindparam("id"))
)
_Seen = collections.namedtuple("_Seen", _SEEN)
_USER_KEYS = [User.__mapper__.get_property_by_column(column).key for column in User.__table__.c]
_ID, _ACTIVE = _USER_KEYS.index("id"), _USER_KEYS.index("active")


@functools.lru_cache(maxsize=8)
def _compiled(dialect):
    """_LOAD's SQL for `dialect`, whether it takes its parameter by position, and each
    column's result processor (what SQLAlchemy would apply: UTC times, SQLite's booleans)."""
    compiled = _LOAD.compile(dialect=dialect)
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _LOAD.selected_columns
    ]
    return compiled.string, compiled.positional, processors


def _lookup(digest):
    """(_Seen, the user's column values) of the session `digest`, or None.

    On every logged-in request, so it skips SQLAlchemy's execution (400 Python calls, a
    quarter of a locate's CPU, through the ORM): the DBAPI runs the statement on the
    request's own connection (its transaction, or autocommit in a reads_only view; psycopg
    prepares it after five runs) and each value goes through its column type's processor,
    as SQLAlchemy's result would. A connection the database dropped is invalidated and the
    error raised as SQLAlchemy raises it (a 503 to retry, app/errors.py)."""
    connection = db.session.connection()
    sql, positional, processors = _compiled(connection.dialect)
    dbapi = connection.connection.dbapi_connection
    try:
        cursor = dbapi.execute(sql, (digest,) if positional else {"id": digest})
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
    except connection.dialect.loaded_dbapi.Error as error:
        dropped = replaced_if_dropped(connection.engine, connection.connection, error)
        if dropped:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql,
            None,
            error,
            connection.dialect.loaded_dbapi.Error,
            connection_invalidated=dropped,
            dialect=connection.dialect,
        ) from error
    if row is None:
        return None
    values = [
        v if process is None else process(v) for process, v in zip(processors, row, strict=True)
    ]
    return _Seen._make(values[: len(_SEEN)]), values[len(_SEEN) :]


def _persistent_user(values):
    """The User of these column values, in the request's database session, as a query would
    have loaded it (its relationships load when first read), without the ORM's query."""
    session = db.session()
    mapper = User.__mapper__
    key = mapper.identity_key_from_primary_key((values[_ID],))
    user = session.identity_map.get(key)
    if user is None:
        user = mapper.class_manager.new_instance()
        # Loaded, not changed: the ORM's loading fills the instance's dict the same way.
        user.__dict__.update(zip(_USER_KEYS, values, strict=True))
        make_transient_to_detached(user)
        session.add(user)
    return user


def load(token):
    """Flask-Login's user loader: the user of a live session, in one primary-key lookup."""
    if not token or len(token) > 64:
        return None
    digest = _digest(token)
    found = _lookup(digest)
    if found is None:
        return None
    seen, values = found
    now = clock.now()
    if seen.revoked_at is not None or not values[_ACTIVE] or now >= ends_at(seen):
        return None
    # Seen is written at most every few minutes: a write per request would cost every
    # request a commit, and the list only needs to tell today from last week.
    if now - seen.last_seen_at >= current_app.config["SESSION_TOUCH"]:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == digest)
            .values(last_seen_at=now, ip=request.remote_addr)
        )
        db.session.commit()
    user = _persistent_user(values)
    user.login_token = token
    g.user_session_id = digest
    return user


_now = time.time  # itsdangerous's clock; tests move it


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signature checked once per cookie in a worker.

    The cookie only names the server-side session (its record is looked up on every request,
    so a revoked session ends at once); checking its HMAC and decoding its JSON on every
    request was a fifth of a health request's CPU. A cookie whose signature checked out is
    remembered with what it said and when it was signed, keyed by the keys that checked it
    (a rotation checks afresh): the next request with that cookie only checks its age, as
    itsdangerous would. A cookie that fails is not remembered, so it costs what it did."""

    CHECKED = 8192  # cookies remembered per worker: a few MB at most

    def __init__(self):
        self._serializers = {}
        self._checked = functools.lru_cache(maxsize=self.CHECKED)(self._check)

    def get_signing_serializer(self, app):
        # Flask makes a serializer (and its signers) per request; the keys rarely change.
        if not app.secret_key:
            return None
        keys = (*app.config["SECRET_KEY_FALLBACKS"], app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def _check(self, serializer, cookie):
        data, signed_at = serializer.loads(cookie, return_timestamp=True)
        return data, int(signed_at.timestamp())

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        try:
            data, signed_at = self._checked(serializer, cookie)
        except BadSignature:
            return self.session_class()
        age = int(_now()) - signed_at
        if not 0 <= age <= app.permanent_session_lifetime.total_seconds():
            return self.session_class()  # expired, or signed in the future: as itsdangerous
        # A copy: the request may change its session; what was checked must stay as signed.
        return self.session_class(
            {k: copy.deepcopy(v) if isinstance(v, (dict, list)) else v for k, v in data.items()}
        )

    def save_session(self, app, session, response):
        # Most requests leave the session as it came: nothing to sign, no cookie to send.
        if not session.modified and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_app(app):
    login_manager.user_loader(load)
    app.session_interface = CookieSessions()

    @app.before_request
    def remember_across_rotation():
        """Flask-Login checks a remember-me cookie against SECRET_KEY alone: one signed with
        a key in SECRET_KEY_FALLBACKS logs its phone in too, and is signed again with the
        current key, as the session cookie is."""
        config = app.config
        if not config["SECRET_KEY_FALLBACKS"]:  # no rotation under way: nothing to do
            return
        cookie = request.cookies.get(config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
        if not cookie or "_user_id" in session or "_remember" in session:
            return
        if decode_cookie(cookie) is not None:
            return
        for key in config["SECRET_KEY_FALLBACKS"]:
            token = decode_cookie(cookie, key=key)
            if token is not None and load(token) is not None:
                session.update(_user_id=token, _fresh=False, _remember="set")
                return


def current():
    """The current request's session record, or None when nobody is logged in."""
    if not current_user.is_authenticated:
        return None
    if g.get("user_session") is None and g.get("user_session_id"):
        # Read only when asked (the session list, a logout): not every request needs it.
        g.user_session = db.session.get(UserSession, g.user_session_id)
    return g.get("user_session")


def live(user):
    """The user's sessions that still work, newest first."""
    now = clock.now()
    records = db.session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id)
    )
    return [record for record in records if ends_at(record) > now]


def end(user, session_id=None):
    """End one of `user`'s sessions (default: the current one): its cookies, wherever they
    were copied, stop working. Another user's session, or none, is 404."""
    record = current() if session_id is None else db.session.get(UserSession, session_id)
    if record is None or record.user_id != user.id:
        raise NotFound("No such session.", fields={"id": [session_id]})
    if record.revoked_at is None:
        record.revoked_at = clock.now()
    transaction.commit()


def end_sessions(user, *, keep=None):
    """End every session of `user` except the record `keep` (the caller's own, after a
    password change); returns how many ended."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(
        query.values(revoked_at=clock.now()), execution_options={"synchronize_session": False}
    ).rowcount
    transaction.commit()
    return ended


_DEVICES = (
    ("HarmonyOS", r"HarmonyOS|OpenHarmony"),
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux"),
)
_BROWSERS = (
    ("WeChat", r"MicroMessenger"),
    ("Edge", r"Edg/"),
    ("Huawei Browser", r"HuaweiBrowser"),
    ("UC", r"UCBrowser"),
    ("QQ Browser", r"MQQBrowser|QQBrowser"),
    ("Firefox", r"Firefox/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
)


def device(user_agent):
    """A short name for the browser a session came from ("Android · Chrome"), to tell a lost
    phone from a desk; None when the user agent says nothing recognisable."""
    found = [
        next((name for name, pattern in table if re.search(pattern, user_agent or "")), None)
        for table in (_DEVICES, _BROWSERS)
    ]
    return " · ".join(name for name in found if name) or None
