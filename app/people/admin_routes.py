"""Accounts over HTTP: my password, and the people managers run in their area."""

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from app.errors import error_response
from app.people import accounts
from app.people.schemas import (
    CreatedPerson,
    DeactivateIn,
    MoveIn,
    OneTimeCode,
    PasswordChangeIn,
    PeopleQuery,
    PersonDetail,
    PersonIn,
    PersonOut,
)
from app.security import DOCS, PUBLIC_API

blp = Blueprint("accounts", __name__, url_prefix="/api", description="Accounts (账号管理)")

# What a user logged in with a one-time code may still do: learn who they are, choose a
# password, and what needs no login (leave, log in again, read the docs).
_BEFORE_CHANGE = {"/api/me", "/api/me/password", *PUBLIC_API}


@blp.before_app_request
def require_own_password():
    if (
        request.path.startswith("/api")
        and request.path not in _BEFORE_CHANGE
        and not request.path.startswith(DOCS)
        and current_user.is_authenticated
        and current_user.password_change_required
    ):
        return error_response(
            403,
            "password_change_required",
            "You logged in with a one-time code: choose your own password first "
            "(POST /api/me/password).",
        )
    return None


@blp.post("/me/password")
@blp.arguments(PasswordChangeIn)
@blp.response(204)
def change_password(body):
    """Choose a new password (the current one, or a one-time code, is required); every other
    session of mine ends."""
    accounts.change_password(
        current_user, body["old_password"], body["new_password"], request.remote_addr
    )


@blp.get("/people")
@blp.arguments(PeopleQuery, location="query")
@blp.response(200, PersonOut(many=True))
def people(filters):
    """The people of my area (secretaries, street and district admins)."""
    return accounts.listing(current_user, filters)


@blp.post("/people")
@blp.arguments(PersonIn)
@blp.response(201, CreatedPerson)
def create(body):
    """A new account in my area (street and district admins); its one-time code is shown
    in this response only."""
    person, code, expires_at = accounts.create(current_user, body)
    return {"person": person, "one_time_code": code, "expires_at": expires_at}


@blp.get("/people/<int:person_id>")
@blp.response(200, PersonDetail)
def person(person_id):
    """A person of my area, with every change to their account."""
    found = accounts.get_person(current_user, person_id)
    return {"person": found, "history": accounts.history(found)}


@blp.post("/people/<int:person_id>/move")
@blp.arguments(MoveIn)
@blp.response(200, PersonOut)
def move(body, person_id):
    """Serve other units of my area; open work in the units left goes back."""
    return accounts.move(current_user, person_id, body["units"])


@blp.post("/people/<int:person_id>/deactivate")
@blp.arguments(DeactivateIn)
@blp.response(200, PersonOut)
def deactivate(body, person_id):
    """No more logins; every session ends; open claims and dispatched cases go back."""
    return accounts.deactivate(current_user, person_id, body["reason"])


@blp.post("/people/<int:person_id>/reactivate")
@blp.response(200, PersonOut)
def reactivate(person_id):
    """The person may log in again (with the password they had)."""
    return accounts.reactivate(current_user, person_id)


@blp.post("/people/<int:person_id>/reset")
@blp.response(200, OneTimeCode)
def reset(person_id):
    """A forgotten password: a one-time code, shown in this response only; the person's
    sessions end and they choose a password at the next login."""
    code, expires_at = accounts.reset(current_user, person_id)
    return {"one_time_code": code, "expires_at": expires_at}
