"""Accounts over their life (账号管理): the password policy, changing one's password, one-time
codes, and the people admins create, move and deactivate in their area."""

import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select
from werkzeug.security import generate_password_hash

from app import clock, transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope, timeline
from app.incidents import services as incidents
from app.notify import push
from app.people import passwords, sessions
from app.people import services as people
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    FORCES,
    ROLES,
    SCOPE_LEVEL,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    Department,
    LoginAttempt,
    User,
    user_scope,
)
from app.rules import require
from app.tasks import services as tasks
from app.units.models import Unit

MIN_LENGTH = 8
PHONE_TAIL = 6  # a phone's last digits are the first thing tried, and a common initial password

CREATE, MOVE, DEACTIVATE, REACTIVATE, RESET = "create", "move", "deactivate", "reactivate", "reset"
ACTIONS = (CREATE, MOVE, DEACTIVATE, REACTIVATE, RESET)
# Whom a manager may act on: action -> the roles of the people concerned. A secretary resets
# the members of their community; a street admin runs its communities' people; the district
# runs everyone. Where (which units) is checked apart, against the manager's area.
MAY = {
    SECRETARY: {RESET: people.FIELD},
    STREET_ADMIN: dict.fromkeys(ACTIONS, (*people.FIELD, SECRETARY)),
    DISTRICT_ADMIN: dict.fromkeys(ACTIONS, ROLES),
}

# Read out over the phone or copied from a screen: no 0/o, 1/l/i to mistake for each other.
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
# A code is random (31^12, about 2^59) and short-lived: unlike a password people choose, it
# needs no slow hash to resist guessing from a stolen database, so a cheap work factor does,
# and importing a district's 13,000 people takes minutes, not hours (scrypt's default costs
# about 0.5 s a hash on a busy server).
_CODE_HASH = "scrypt:1024:8:1"


# -- passwords --------------------------------------------------------------------------------


@cache
def common_passwords():
    text = Path(__file__).with_name("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(password, phone):
    """What makes a new password too easy to guess, in words; empty when it will do."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if phone and phone[-PHONE_TAIL:] in password:
        problems.append("Do not use your phone number or its last digits.")
    if password.lower() in common_passwords():
        problems.append("This password is one of the most common: choose another.")
    return problems


def issue_code(user, hours=None):
    """Make the user's password a fresh one-time code, to be changed at the next login:
    (code, expires_at). Only its hash is kept; the caller shows the code once."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    code = "-".join((raw[:4], raw[4:8], raw[8:]))
    hours = hours or current_app.config["ONE_TIME_CODE_HOURS"]
    user.password_hash = generate_password_hash(code, method=_CODE_HASH)
    user.password_change_required = True
    user.password_expires_at = clock.now() + timedelta(hours=hours)
    return code, user.password_expires_at


def change_password(user, old_password, new_password, ip):
    """The user chooses a new password, knowing the current one (or their one-time code);
    every other session of theirs ends. Wrong guesses count as failed logins."""
    people.throttle(user.phone, ip)
    with passwords.checking():
        known = passwords.matches(user.password_hash, old_password)
    if not known:
        db.session.add(LoginAttempt(phone=user.phone, ip=ip, succeeded=False, at=clock.now()))
        transaction.commit()
        raise Invalid(
            "The current password is wrong.",
            code="wrong_password",
            fields={"old_password": ["Not your current password."]},
        )
    if new_password == old_password:
        raise Invalid(
            "Choose a password other than the current one.",
            code="weak_password",
            fields={"new_password": ["The same as the current one."]},
        )
    problems = password_problems(new_password, user.phone)
    if problems:
        raise Invalid(
            "The password is too easy to guess.",
            code="weak_password",
            fields={"new_password": problems},
        )
    user.password_hash = people.hash_password(new_password)
    user.password_change_required = False
    user.password_expires_at = None
    record("person", user.id, "change_password", user)
    sessions.end_sessions(user, keep=sessions.current())  # last: it commits


# -- people in a manager's area ---------------------------------------------------------------


def _in_area(actor, person):
    return actor.role == DISTRICT_ADMIN or any(people.can_view(actor, u) for u in person.units)


def get_person(actor, user_id):
    """A person of the actor's area; elsewhere nobody is there (404)."""
    person = db.session.get(User, user_id)
    if person is None or not _in_area(actor, person):
        raise NotFound("No such person in your area.")
    return person


def sessions_of(actor, user_id):
    """The person whose sessions the actor may see and end (a lost phone): themselves, or
    whom they may reset."""
    if user_id == actor.id:
        return actor
    person = get_person(actor, user_id)
    _require_may(actor, RESET, person.role, person.units)
    return person


def _require_may(actor, action, role, units):
    require(
        role in MAY.get(actor.role, {}).get(action, ()),
        f"A {actor.role} may not {action} the account of a {role}.",
    )
    outside = [u.code for u in units if not people.manages(actor, u)]
    if outside:
        raise Forbidden(
            f"{', '.join(outside)} is outside your area.",
            code="out_of_scope",
            extra={"unit": outside[0]},
        )


def _managed(actor, user_id, action):
    person = get_person(actor, user_id)
    require(person.id != actor.id, "Not on your own account (change your password instead).")
    _require_may(actor, action, person.role, person.units)
    return person


def _units(role, codes, known=None):
    """The units of these codes for a person of `role`: (units, problems). A role serving
    the district may leave them out. `known`: units by code, looked up once for an import."""
    level = SCOPE_LEVEL.get(role)
    if known is None:
        wanted = Unit.code.in_(codes) if codes else Unit.level == "district"
        known = {u.code: u for u in db.session.execute(select(Unit).where(wanted)).scalars()}
    if not codes:
        if level == "district":
            return [u for u in known.values() if u.level == "district"], []
        return [], ["Name the unit(s) the person serves."]
    problems = [f"No unit {c}." for c in codes if c not in known]
    problems += [
        f"{c} is a {known[c].level}; a {role} serves a {level}."
        for c in codes
        if c in known and level and known[c].level != level
    ]
    return [known[c] for c in dict.fromkeys(codes) if c in known], problems


def resolve(values, units=None, departments=None):
    """Check a person's fields (phone, name, role, force, department code, unit codes) and
    look their references up: (fields with department and units as objects, {field:
    [problems]}). Shared by the API and the import, which passes every unit and department
    by code."""
    problems = {}
    role = values.get("role")
    if role not in ROLES:
        problems["role"] = [f"Not a role: one of {', '.join(ROLES)}."]
    if not people.PHONE.match(values.get("phone") or ""):
        problems["phone"] = ["Not a mainland mobile number (11 digits, 1[3-9]...)."]
    if not (values.get("name") or "").strip():
        problems["name"] = ["Required."]
    force = values.get("force") or None
    if force is not None and force not in FORCES:
        problems["force"] = [f"Not a force: one of {', '.join(FORCES)}."]
    elif role == TEAM_MEMBER and force is None:
        problems["force"] = ["A team member belongs to one of the four forces."]
    elif force is not None and role in ROLES and role not in people.FIELD:
        problems["force"] = ["Only grid and team members belong to a force."]
    department = None
    if values.get("department"):
        if departments is None:
            departments = {
                d.code: d
                for d in db.session.execute(
                    select(Department).where(Department.code == values["department"])
                ).scalars()
            }
        department = departments.get(values["department"])
        if department is None:
            problems["department"] = [f"No department {values['department']}."]
    if role == DEPARTMENT and not values.get("department"):
        problems["department"] = ["A department's account names its department."]
    elif role in ROLES and role != DEPARTMENT and values.get("department"):
        problems["department"] = ["Only a department's account names a department."]
    units, wrong = _units(role, values.get("units") or (), units)
    if wrong:
        problems["units"] = wrong
    resolved = dict(values, force=force, department=department, units=units)
    return resolved, problems


def _codes(units):
    return [u.code for u in units]


def apply(person, values):
    person.name = values["name"].strip()
    person.role = values["role"]
    person.force = values["force"]
    person.department_id = values["department"].id if values["department"] else None
    person.units = values["units"]


def create(actor, body):
    """A new account in the actor's area; its password is a one-time code shown once:
    (person, code, expires_at)."""
    values, problems = resolve(body)
    if problems:
        raise Invalid("Some fields are invalid.", fields=problems)
    _require_may(actor, CREATE, values["role"], values["units"])
    if db.session.execute(select(User.id).where(User.phone == values["phone"])).scalar():
        raise Conflict(
            "That phone number already has an account.",
            code="phone_taken",
            fields={"phone": ["Already has an account."]},
        )
    person = User(
        phone=values["phone"],
        password_hash="",
        active=True,
        created_at=clock.now(),
    )
    apply(person, values)
    code, expires = issue_code(person)
    db.session.add(person)
    db.session.flush()
    record(
        "person",
        person.id,
        "create",
        actor,
        data={"role": person.role, "units": _codes(person.units)},
    )
    transaction.commit()
    return person, code, expires


def hand_back(person, actor, note, *, moved=False):
    """Open work the person can no longer do goes back, each step in the history: places on
    open tasks are freed, dispatched cases return to be dispatched again (回退); after a
    move, only the work of the units they no longer serve. Work they finished stays theirs."""

    def keep(unit):
        return moved and (people.serves(person, unit) or people.manages(person, unit))

    return {
        "tasks_released": tasks.withdraw(person, actor, note, keep),
        "incidents_returned": incidents.withdraw(person, actor, note, keep),
    }


def move(actor, user_id, unit_codes):
    """The person serves other units of the actor's area from now on; work in the units they
    leave goes back (hand_back)."""
    person = _managed(actor, user_id, MOVE)
    units, problems = _units(person.role, unit_codes)
    if problems:
        raise Invalid("Some units are invalid.", fields={"units": problems})
    _require_may(actor, MOVE, person.role, units)
    before = _codes(person.units)
    person.units = units
    db.session.flush()
    handed = hand_back(person, actor, "moved", moved=True)
    record(
        "person",
        person.id,
        "move",
        actor,
        data={"from": before, "to": _codes(person.units), **handed},
    )
    transaction.commit()
    return person


def deactivate(actor, user_id, reason):
    """The person can no longer log in, every session ends and their open work goes back;
    the account and its history stay (they may be reactivated)."""
    person = _managed(actor, user_id, DEACTIVATE)
    if not person.active:
        return person
    person.active = False
    push.forget_phones(person)
    handed = hand_back(person, actor, reason)
    record("person", person.id, "deactivate", actor, note=reason, data=handed)
    sessions.end_sessions(person)  # last: it commits
    return person


def reactivate(actor, user_id):
    person = _managed(actor, user_id, REACTIVATE)
    if not person.active:
        person.active = True
        record("person", person.id, "reactivate", actor)
        transaction.commit()
    return person


def reset(actor, user_id):
    """The person forgot their password: it becomes a one-time code, shown once to the actor,
    and every session of theirs ends. (code, expires_at)."""
    person = _managed(actor, user_id, RESET)
    code, expires = issue_code(person)
    record("person", person.id, "reset", actor, data={"expires_at": expires.isoformat()})
    sessions.end_sessions(person)  # last: it commits
    return code, expires


def listing(actor, filters):
    """People of the actor's area, for those who manage one."""
    require(actor.role in MAY, "Only secretaries, street and district admins list people.")
    query = select(User).order_by(User.name, User.id)
    served = select(user_scope.c.user_id).join(Unit, Unit.id == user_scope.c.unit_id)
    if actor.role != DISTRICT_ADMIN:
        query = query.where(
            User.id.in_(
                served.where(
                    or_(*(Unit.code.startswith(area.code, autoescape=True) for area in actor.units))
                )
            )
        )
    if filters.get("unit"):
        query = query.where(
            User.id.in_(served.where(Unit.code.startswith(filters["unit"], autoescape=True)))
        )
    if filters.get("q"):
        q = filters["q"]
        query = query.where(
            or_(User.name.contains(q, autoescape=True), User.phone.startswith(q, autoescape=True))
        )
    for name in ("role", "active"):
        if filters.get(name) is not None:
            query = query.where(getattr(User, name) == filters[name])
    return (
        db.session.execute(query.limit(filters["limit"]).offset(filters["offset"])).scalars().all()
    )


def history(person):
    return timeline("person", person.id)


# Account changes are audit, not area work: they belong to no grid, and phones do not pull them.
register_scope("person", lambda user_id: (None, None))
