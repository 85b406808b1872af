"""Auth and the caller's own profile."""

from flask import g, request
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from app.people import services
from app.people.schemas import CsrfSchema, LoginSchema, MeSchema

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
@blp.response(200, MeSchema)
def me():
    """Who I am: my role, the units I serve and those I answer for."""
    return current_user
