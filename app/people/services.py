"""Rules about people: logging in, rate limits, and who may see which unit."""

import math
import re

from flask import current_app, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, or_, select

from app import clock, transaction
from app.errors import ApiError, Forbidden
from app.extensions import db
from app.people import passwords, sessions
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    HOTLINE_OPERATOR,
    LIAISON,
    PARTY_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    LoginAttempt,
    User,
    responsibility,
    user_scope,
)

PHONE = re.compile(r"^1[3-9]\d{9}$")


def hash_password(password):
    return passwords.make(password)


def _wait(phone, ip):
    """Seconds until `phone` may try to log in from `ip` again, or None if it may now.

    Failures are counted per (phone, address) first: five there lock that pair alone, so an
    attacker elsewhere cannot lock a member out. A phone under attack from many addresses,
    or an address trying many phones, puts its pairs on probation: a pair with a failure
    since its last success must wait, a clean one may still try. So a member who types
    the right password from their own phone gets in while their number is under attack,
    and the thousands behind one carrier NAT address keep logging in while someone behind
    it guesses: each further guess costs the guesser a new address or a new phone number.
    """
    config = current_app.config
    window = config["LOGIN_FAILURE_WINDOW"]
    now = clock.now()
    recent = LoginAttempt.at >= now - window
    failures = []  # of this pair, since its last success
    for at, succeeded in db.session.execute(
        select(LoginAttempt.at, LoginAttempt.succeeded)
        .where(LoginAttempt.phone == phone, LoginAttempt.ip == ip, recent)
        .order_by(LoginAttempt.at, LoginAttempt.id)
    ):
        failures = [] if succeeded else [*failures, at]
    if not failures:
        return None
    limit = config["LOGIN_MAX_FAILURES"]
    if len(failures) >= limit:  # until enough of them are older than the window
        return _seconds(failures[len(failures) - limit] + window - now)
    failed = LoginAttempt.succeeded.is_(False)
    of_phone, of_ip = db.session.execute(
        select(
            func.count().filter(LoginAttempt.phone == phone),
            func.count().filter(LoginAttempt.ip == ip),
        ).where(recent, failed, or_(LoginAttempt.phone == phone, LoginAttempt.ip == ip))
    ).one()
    if of_phone >= config["LOGIN_MAX_FAILURES_PER_PHONE"] or (
        of_ip >= config["LOGIN_MAX_FAILURES_PER_IP"]
    ):  # on probation: until this pair's failures are older than the window
        return _seconds(failures[-1] + window - now)
    return None


def _seconds(delta):
    return max(1, math.ceil(delta.total_seconds()))


def throttle(phone, ip):
    """429 while `phone` may not try a password from `ip` (see _wait): logging in, and
    changing a password, which a stolen phone's session could otherwise guess at."""
    retry_after = _wait(phone, ip)
    if retry_after:
        raise ApiError(
            f"Too many failed logins. Try again in {retry_after} seconds.",
            status=429,
            code="rate_limited",
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )


def log_in(phone, password, remember, ip):
    """Check the password and start a session; failures are throttled (see _wait)."""
    config = current_app.config
    throttle(phone, ip)
    user = db.session.execute(select(User).where(User.phone == phone)).scalar()
    with passwords.checking():
        ok = passwords.matches(user.password_hash if user else passwords.dummy(), password)
        ok = ok and user is not None and user.active
        expired = ok and user.password_expired(clock.now())  # a one-time code, past its time
        ok = ok and not expired
        if ok and passwords.outdated(user.password_hash):  # made before, or weaker
            user.password_hash = passwords.make(password)
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
    if current_user.is_authenticated:  # logging in again here ends the session it replaces
        sessions.end(current_user)
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
# Serve the whole district, see a unit's details only where they answer for it (包保).
WHOLE_DISTRICT = (DEPARTMENT, HOTLINE_OPERATOR)
# Whose scope places them but shows them no unit's details: those above, party members (their
# communities are for wishes and activities), and the 联户长, who is asked by its grid's
# roll-calls but sees only its own group (app/households).
NO_AREA = (*WHOLE_DISTRICT, PARTY_MEMBER, LIAISON)


def areas(user):
    """The units whose details a user may see: where they serve and what they answer for.

    A department serves the whole district but sees details only where it answers for the
    unit; what it is called to (吹哨) it sees through the incident, not the map. So does the
    hotline: what it filed it sees as the reporter.
    """
    if user.role in NO_AREA:
        return list(user.responsible_for)
    return [*user.units, *user.responsible_for]


def can_view(user, unit):
    """A unit's details are for those whose scope or responsibility (包保) covers it."""
    if user.role == DISTRICT_ADMIN:
        return True
    if user.role not in NO_AREA and any(area.contains(unit) for area in user.units):
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
