"""Channel accounts: the reporter of what came through a system rather than a person (the
residents' page, an Open311 client). Such an account never logs in: it is inactive, has no
password and no scope, and its phone is not a phone number (no login form accepts it)."""

import secrets

from sqlalchemy import select

from app.extensions import db
from app.people.models import CHANNEL, User

RESIDENTS_PAGE = "随手拍"  # the account of the residents' page


def account(name):
    """A new channel account named `name`, in the caller's transaction."""
    user = User(
        phone="c" + secrets.token_hex(5),
        name=name,
        password_hash="!",  # no hash: check_password_hash refuses every password
        role=CHANNEL,
        active=False,
    )
    db.session.add(user)
    db.session.flush()
    return user


def residents_page():
    """The residents' page's account, made on first use."""
    found = db.session.execute(
        select(User)
        .where(User.role == CHANNEL, User.name == RESIDENTS_PAGE)
        .order_by(User.id)  # two first reports at once may have made two: the first is it
        .limit(1)
    ).scalar()
    return found or account(RESIDENTS_PAGE)
