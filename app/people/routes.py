"""Auth and the caller's own profile."""

from flask import g, request
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from app.people import accounts, services, sessions
from app.people.schemas import CsrfSchema, EndedOut, LoginSchema, MeSchema, SessionOut
from app.transaction import reads_only

blp = Blueprint("people", __name__, url_prefix="/api", description="Login and the caller")


@blp.get("/auth/csrf")
@blp.response(200, CsrfSchema)
def csrf_token():
    """A CSRF token for this session: send it as X-CSRFToken on every unsafe request."""
    return {"csrf_token": generate_csrf()}


@blp.post("/auth/login")
@blp.arguments(LoginSchema)
@blp.response(200, MeSchema)
def login(body):
    """Log in with a mobile number and password; `remember` keeps the phone logged in for weeks."""
    user = services.log_in(body["phone"], body["password"], body["remember"], request.remote_addr)
    # Logging in starts a new session, so the client needs the new session's token, not the
    # one Flask-WTF cached for this request.
    g.pop("csrf_token", None)
    return user, 200, {"X-CSRFToken": generate_csrf()}


@blp.post("/auth/logout")
@blp.response(204)
def logout():
    services.log_out()


@blp.get("/me")
@reads_only
@blp.response(200, MeSchema)
def me():
    """Who I am: my role, the units I serve and those I answer for."""
    return current_user


@blp.get("/auth/sessions")
@blp.response(200, SessionOut(many=True))
def my_sessions():
    """Where I am logged in (登录设备), newest first; `current` marks this one."""
    return sessions.live(current_user)


@blp.delete("/auth/sessions/<session_id>")
@blp.response(204)
def end_my_session(session_id):
    """Log one of my browsers or phones out (this one too, if it is `current`)."""
    sessions.end(current_user, session_id)


@blp.get("/people/<int:person_id>/sessions")
@blp.response(200, SessionOut(many=True))
def person_sessions(person_id):
    """A person's live sessions: for their secretary (members), their street or the district."""
    return sessions.live(accounts.sessions_of(current_user, person_id))


@blp.delete("/people/<int:person_id>/sessions")
@blp.response(200, EndedOut)
def end_person_sessions(person_id):
    """Log a person out everywhere (a lost phone): their queued commands wait on the phone
    until they log in again on it."""
    person = accounts.sessions_of(current_user, person_id)
    return {"ended": sessions.end_sessions(person, keep=sessions.current())}


@blp.delete("/people/<int:person_id>/sessions/<session_id>")
@blp.response(204)
def end_person_session(person_id, session_id):
    """End one of a person's sessions."""
    sessions.end(accounts.sessions_of(current_user, person_id), session_id)
