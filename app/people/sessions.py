"""Server-side sessions: one record per login, so that logging out, a lost phone or a new
password ends a session for real, whoever holds a copy of its cookies."""

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
from sqlalchemy.orm.attributes import set_committed_value

from app import clock, transaction
from app.errors import NotFound
from app.extensions import db, login_manager
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
    g.user_session = record
    return record


# Built once: this runs on every request, and building the statement cost as much as
# running it (bench/session_lookup.py).
_LOAD = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.id == bindparam("id"))
)


def load(token):
    """Flask-Login's user loader: the user of a live session, in one primary-key lookup."""
    if not token or len(token) > 64:
        return None
    found = db.session.execute(_LOAD, {"id": _digest(token)}).first()
    if found is None:
        return None
    record, user = found
    now = clock.now()
    if record.revoked_at is not None or not user.active or now >= ends_at(record):
        return None
    # Seen is written at most every few minutes: a write per request would cost every
    # request a commit, and the list only needs to tell today from last week.
    if now - record.last_seen_at >= current_app.config["SESSION_TOUCH"]:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == record.id)
            .values(last_seen_at=now, ip=request.remote_addr)
        )
        db.session.commit()
        # As loaded, not as changed: the UPDATE above wrote them, a flush must not again.
        set_committed_value(record, "last_seen_at", now)
        set_committed_value(record, "ip", request.remote_addr)
    user.login_token = token
    g.user_session = record
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
