"""The leaders' live view at district scale: each roll-call's figures per street, community
and grid from one grouped query, a tag of the whole answer so an unchanged poll is a 304, and
the silent named on demand, per unit, paged, grouped by grid with who answers for each.

Many leaders poll the same view every few seconds: a roll-call's figures for one area are read
and written as JSON once per SHARED_S and shared by every caller of that area (every thread of
a worker); the answer says when they were read (`at`) and its tag is the hash of what it says.
The figures are plain dicts of exactly LiveFigures' fields, written by the app's JSON encoder,
not dumped node by node through marshmallow; LiveOut stays their one description (the OpenAPI
document's, which a contract test holds the answer to)."""

import hashlib
import threading
from datetime import UTC, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app import clock
from app.emergency import rollcalls, services
from app.emergency.models import RollCall, RollCallPerson
from app.emergency.schemas import SwitchOut
from app.errors import Invalid
from app.extensions import db
from app.people import services as people
from app.people.models import SECRETARY, STREET_ADMIN, User
from app.privacy import mask_phone
from app.rules import require
from app.tasks import services as tasks
from app.units.models import Unit

POLL_AFTER_S = 5  # short polling: no worker is held by a waiting client
# The people of a street or community who answer for no unit below it are counted (and named)
# under the unit itself, with these labels: the street's admins, a community's secretaries.
OWN = {"street": "街道本级", "community": "社区本级"}
SHARED_S = 2  # figures are read at most once per this long per (roll-call, area)

_shared = {}  # (roll-call id, area) → (read at, JSON text)
_reading = {}  # (roll-call id, area) → the lock of the one thread reading them
_lock = threading.Lock()


def _figures(asked, acked):
    return {"asked": asked, "acknowledged": acked, "outstanding": asked - acked}


def _names(unit_ids):
    found = db.session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(list(unit_ids)))
    ).all()
    return {unit_id: {"code": code, "name": name} for unit_id, code, name in found}


def _named(names, unit_id, above):
    """A unit's code and name, or (no id) the label of the people of the unit `above` who
    answer for none below it."""
    return names.get(unit_id, {"code": None, "name": OWN[above]})


def _node(names, unit_id, above):
    return {**_named(names, unit_id, above), **_figures(0, 0)}


def _add(node, asked, acked):
    node["asked"] += asked
    node["acknowledged"] += acked
    node["outstanding"] += asked - acked


def figures(user, item):
    """The roll-call's figures within the caller's area: the total, and streets → communities
    → grids, from one query grouped by the three (a few hundred rows for 13,000 people)."""
    rows = db.session.execute(
        select(
            RollCallPerson.street_id,
            RollCallPerson.community_id,
            RollCallPerson.grid_id,
            func.count(),
            func.count(RollCallPerson.acknowledged_at),
        )
        .where(RollCallPerson.roll_call_id == item.id, rollcalls._in_area(user, item))
        .group_by(RollCallPerson.street_id, RollCallPerson.community_id, RollCallPerson.grid_id)
    ).all()
    names = _names({unit for row in rows for unit in row[:3] if unit is not None})
    total = {"id": item.id, **_figures(0, 0), "streets": []}
    streets, communities = {}, {}
    for street_id, community_id, grid_id, asked, acked in rows:
        _add(total, asked, acked)
        street = streets.get(street_id)
        if street is None:
            street = streets[street_id] = {**_node(names, street_id, "street"), "communities": []}
            total["streets"].append(street)
        _add(street, asked, acked)
        key = (street_id, community_id)
        community = communities.get(key)
        if community is None:
            community = communities[key] = {
                **_node(names, community_id, "street"),
                "grids": [],
            }
            street["communities"].append(community)
        _add(community, asked, acked)
        if community_id is not None:
            community["grids"].append(
                {**_node(names, grid_id, "community"), **_figures(asked, acked)}
            )
    # In code order, the unit's own people first (as the phone tree reads).
    by_code = lambda node: node["code"] or ""  # noqa: E731
    total["streets"].sort(key=by_code)
    for street in total["streets"]:
        street["communities"].sort(key=by_code)
        for community in street["communities"]:
            community["grids"].sort(key=by_code)
    return total


def _json(value):
    """JSON as the app writes its answers (its encoder: sorted keys), without spaces."""
    return current_app.json.dumps(value, separators=(",", ":"))


def _area(user, item):
    """What of a roll-call the caller follows (rollcalls._in_area): all of it, or the people of
    these communities and streets; callers of one area see the same figures."""
    if rollcalls.follows_all(user, item):
        return ()
    return tuple(sorted((unit.level, unit.id) for unit in rollcalls._area_filter(user)))


def shared_figures(user, item):
    """(when read, the JSON text of figures(user, item)): read once per SHARED_S for everyone
    following the same area of the call; a thread that finds them being read waits for them."""
    key = (item.id, _area(user, item))

    def fresh():
        found = _shared.get(key)
        return found if found and clock.now() - found[0] < timedelta(seconds=SHARED_S) else None

    with _lock:
        found = fresh()
        reading = found is None and _reading.setdefault(key, threading.Lock())
    if found:
        return found
    with reading:
        with _lock:
            found = fresh()
        if found:
            return found
        found = (clock.now(), _json(figures(user, item)))
        with _lock:
            old = clock.now() - timedelta(seconds=SHARED_S)
            for stale in [k for k, (at, _) in _shared.items() if at < old]:
                _shared.pop(stale)
                _reading.pop(stale, None)
            _shared[key] = found
        return found


def view(user):
    """The live view as JSON text, and its tag (the same answer, the same tag): each active
    switch the caller may run, its newest roll-call's figures (shared, see above) and how its
    tasks stand; `at` is when the oldest figures in it were read."""
    switches = [item for item in services.listing(user) if services._answers_for(user, item)]
    at = clock.now()
    entries = []
    for item, shown in zip(switches, services.present(user, switches), strict=True):
        call = shown.roll_call
        figures_json = "null"
        if call:
            read_at, figures_json = shared_figures(user, db.session.get(RollCall, call))
            at = min(at, read_at)
        switch_json = _json(SwitchOut().dump(shown))
        tasks_json = _json(tasks.emergency_figures(item.id))
        # In key order, as the app writes every answer.
        entries.append(
            f'{{"roll_call":{figures_json},"switch":{switch_json},"tasks":{tasks_json}}}'
        )
    written = ",".join(entries)
    # The caller is in the tag: two leaders' answers differ by their area, never by chance.
    seen = f"{user.id}|{POLL_AFTER_S}|{written}"
    tag = hashlib.sha256(seen.encode()).hexdigest()[:32]
    at_text = _json(at.astimezone(UTC).isoformat())
    body = f'{{"at":{at_text},"poll_after_s":{POLL_AFTER_S},"switches":[{written}]}}'
    return body, tag


def _unit_condition(code):
    unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar()
    if unit is None or unit.level not in rollcalls.LEVELS:
        raise Invalid("Name a street, community or grid.", fields={"unit": [code]})
    return unit, getattr(RollCallPerson, f"{unit.level}_id") == unit.id


def _contacts(user, ids):
    shown = people.sees_contacts(user)
    return {
        found.id: {
            "id": found.id,
            "name": found.name,
            "role": found.role,
            "phone": found.phone if shown else mask_phone(found.phone),
        }
        for found in db.session.execute(select(User).where(User.id.in_(list(ids)))).scalars()
    }


def _answering(groups):
    """{(street, community, grid) ids: [user id]}: who answers for each group's people, the one
    to phone: a grid's community secretaries and 包保 leaders; a community's own people's
    street admins and the community's 包保 leaders; a street's own people's 包保 leaders."""
    communities = {c for _, c, g in groups if g is not None}
    streets = {s for s, c, g in groups if g is None and c is not None}
    secretaries = people.holders(SECRETARY, communities)
    admins = people.holders(STREET_ADMIN, streets)
    leaders = people.holders(None, {unit for group in groups for unit in group if unit})
    found = {}
    for street, community, grid in groups:
        if grid is not None:
            ids = secretaries.get(community, []) + leaders.get(grid, [])
        elif community is not None:
            ids = admins.get(street, []) + leaders.get(community, [])
        else:
            ids = leaders.get(street, [])
        found[(street, community, grid)] = list(dict.fromkeys(ids))
    return found


def silent(user, call_id, code, page, limit):
    """Those still silent within the caller's area (and the unit `code`), a page at a time in
    map order, grouped by grid: each group's count first, then who answers for it (with their
    phones for those who dispatch, masked otherwise), then the page's people of it."""
    item = rollcalls.get_visible(user, call_id)
    require(rollcalls._runs(user, item), "The silent are named to who runs the roll-call.")
    where = [
        RollCallPerson.roll_call_id == item.id,
        RollCallPerson.acknowledged_at.is_(None),
        rollcalls._in_area(user, item),
    ]
    unit = None
    if code:
        unit, condition = _unit_condition(code)
        where.append(condition)
    place = (RollCallPerson.street_id, RollCallPerson.community_id, RollCallPerson.grid_id)
    counts = {
        tuple(row[:3]): row[3]
        for row in db.session.execute(select(*place, func.count()).where(*where).group_by(*place))
    }
    street, community, grid = (aliased(Unit) for _ in range(3))
    rows = db.session.execute(
        select(*place, RollCallPerson.user_id)
        .join(User, User.id == RollCallPerson.user_id)
        .outerjoin(street, street.id == RollCallPerson.street_id)
        .outerjoin(community, community.id == RollCallPerson.community_id)
        .outerjoin(grid, grid.id == RollCallPerson.grid_id)
        .where(*where)
        .order_by(
            street.code.nulls_first(),
            community.code.nulls_first(),
            grid.code.nulls_first(),
            User.name,
            User.id,
        )
        .offset((page - 1) * limit)
        .limit(limit)
    ).all()
    keys = list(dict.fromkeys(tuple(row[:3]) for row in rows))
    answering = _answering(keys)
    contacts = _contacts(
        user, {row.user_id for row in rows} | {i for ids in answering.values() for i in ids}
    )
    names = _names({unit_id for key in keys for unit_id in key if unit_id is not None})
    groups = {}
    for *key, user_id in rows:
        key = tuple(key)
        if key not in groups:
            street_id, community_id, grid_id = key
            groups[key] = {
                "street": names.get(street_id),
                "community": _named(names, community_id, "street") if street_id else None,
                "grid": _named(names, grid_id, "community") if community_id else None,
                "outstanding": counts[key],
                "answering": [contacts[i] for i in answering[key] if i in contacts],
                "people": [],
            }
        groups[key]["people"].append(contacts[user_id])
    return {
        "id": item.id,
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level} if unit else None,
        "outstanding": sum(counts.values()),
        "page": page,
        "limit": limit,
        "groups": list(groups.values()),
    }
