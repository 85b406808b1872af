"""Rules about people: logging in, rate limits, and who may see which unit."""

import math
import re

from flask import current_app, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock, transaction
from app.errors import ApiError, Forbidden
from app.extensions import db
from app.people import sessions
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    LoginAttempt,
    User,
    responsibility,
    user_scope,
)

PHONE = re.compile(r"^1[3-9]\d{9}$")

# Compared against when the phone is unknown, so a wrong phone costs as much time as a
# wrong password and timing does not reveal which phones have accounts.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password):
    return generate_password_hash(password)


def _throttled(column, value, limit, window):
    since = clock.now() - window
    failures = db.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
        )
    ).one()
    if failures[0] < limit:
        return None
    return max(1, math.ceil((failures[1] + window - clock.now()).total_seconds()))


def log_in(phone, password, remember, ip):
    """Check the password and start a session; rate-limited by phone and by address."""
    config = current_app.config
    window = config["LOGIN_FAILURE_WINDOW"]
    for column, value, limit in (
        (LoginAttempt.phone, phone, config["LOGIN_MAX_FAILURES_PER_PHONE"]),
        (LoginAttempt.ip, ip, config["LOGIN_MAX_FAILURES_PER_IP"]),
    ):
        retry_after = _throttled(column, value, limit, window)
        if retry_after:
            raise ApiError(
                f"Too many failed logins. Try again in {retry_after} seconds.",
                status=429,
                code="rate_limited",
                headers={"Retry-After": str(retry_after)},
                extra={"retry_after": retry_after},
            )
    user = db.session.execute(select(User).where(User.phone == phone)).scalar()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.active
    expired = ok and user.password_expired(clock.now())  # a one-time code, past its time
    ok = ok and not expired
    db.session.add(LoginAttempt(phone=phone, ip=ip, succeeded=ok, at=clock.now()))
    if not ok:
        transaction.commit()
        if expired:
            raise ApiError(
                "This one-time code has expired: ask for a new one.",
                status=401,
                code="code_expired",
            )
        raise ApiError("Wrong phone number or password.", status=401, code="invalid_credentials")
    user.last_login_at = clock.now()
    session.clear()  # a fresh session for a fresh login: nothing carried over
    session.permanent = True
    sessions.start(user, remember, ip)
    transaction.commit()
    login_user(user, remember=remember, duration=config["REMEMBER_COOKIE_DURATION"])
    return user


def log_out():
    """End this device's session for real; other devices stay logged in."""
    if current_user.is_authenticated:
        sessions.end(current_user)
    session.clear()
    logout_user()  # after the clear: it leaves the flag that deletes the remember-me cookie


MANAGERS = (SECRETARY, STREET_ADMIN, DISTRICT_ADMIN)
FIELD = (GRID_MEMBER, TEAM_MEMBER)


def areas(user):
    """The units whose details a user may see: where they serve and what they answer for.

    A department serves the whole district but sees details only where it answers for the
    unit; what it is called to (吹哨) it sees through the incident, not the map.
    """
    if user.role == DEPARTMENT:
        return list(user.responsible_for)
    return [*user.units, *user.responsible_for]


def can_view(user, unit):
    """A unit's details are for those whose scope or responsibility (包保) covers it."""
    if user.role == DISTRICT_ADMIN:
        return True
    if user.role != DEPARTMENT and any(area.contains(unit) for area in user.units):
        return True  # most often: without loading what the user answers for
    return any(area.contains(unit) for area in user.responsible_for)


def manages(user, unit):
    """Secretaries, street and district admins dispatch and verify work in their area."""
    return user.role in MANAGERS and can_view(user, unit)


def serves(user, unit):
    """A field member serves a grid inside their area; a community pool is served by every
    member of one of its grids."""
    return user.role in FIELD and any(
        area.contains(unit) or unit.contains(area) for area in user.units
    )


def require_view(user, unit):
    if not can_view(user, unit):
        raise Forbidden(
            f"{unit.code} is outside your area.", code="out_of_scope", extra={"unit": unit.code}
        )


def sees_contacts(user):
    """Colleagues' phone numbers in full are for those who dispatch work."""
    return user.role in (SECRETARY, STREET_ADMIN, DISTRICT_ADMIN, DEPARTMENT)


def mask_phone(phone):
    return phone[:3] + "****" + phone[-4:]


def holders(role, unit_ids):
    """{unit id: [user id, lowest first]} of the active people of `role` whose scope is each
    of the units (a community's secretaries, a street's admins), or who answer for it (包保)
    with role None."""
    table = responsibility if role is None else user_scope
    found = {}
    for unit_id, user_id in db.session.execute(
        select(table.c.unit_id, User.id)
        .join(User, User.id == table.c.user_id)
        .where(
            table.c.unit_id.in_(list(unit_ids)),
            User.active,
            *([] if role is None else [User.role == role]),
        )
        .order_by(User.id)
    ):
        found.setdefault(unit_id, []).append(user_id)
    return found
