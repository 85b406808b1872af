"""Rules of 平急结合: who may switch which part of the map into emergency mode, what a switch
brings (its kind's task template in every grid, a roll-call, the word to everyone in scope),
changing its level, ending it, and members sent to reinforce grids meanwhile.

A grid's effective mode is the most severe active switch over it. A switch's grids are fixed
when it is made (a polygon selects the grids it touches), so the map can change under it
without changing what was switched.
"""

import uuid
from pathlib import Path

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import aliased

from app import clock, transaction
from app.catalogue import services as reference
from app.emergency import rollcalls, scope
from app.emergency.models import (
    ACTIVE,
    ENDED,
    KINDS,
    LEVELS,
    REFUSED,
    REQUESTED,
    EmergencySwitch,
    Reinforcement,
    RollCall,
    RollCallPerson,
    SwitchGrid,
)
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.notify import services as inbox
from app.patrols import plans as patrol_plans
from app.people import services as people
from app.people.models import (
    DISTRICT_ADMIN,
    LIAISON,
    SECRETARY,
    STREET_ADMIN,
    User,
    user_scope,
)
from app.rules import require, require_state
from app.schemas import Shown
from app.tasks import services as tasks
from app.units.models import Unit

TEMPLATES = "templates"
STAGES = ("before", "during", "after")
reference.ship(TEMPLATES, Path(__file__).parent / "data" / "templates.json")

NUMERALS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
KIND_NAMES = {
    "flood": "防汛",
    "fire": "消防",
    "geohazard": "地质灾害",
    "epidemic": "疫情防控",
    "other": "应急",
}


def title(switch):
    """防汛Ⅱ级应急响应 (演练), as a banner and a message say it."""
    name = f"{KIND_NAMES[switch.kind]}{NUMERALS[switch.level]}级应急响应"
    return f"{name}（演练）" if switch.drill else name


# -- task templates ---------------------------------------------------------------------------


def validate_templates(data):
    """{field path: [problem]} of a templates document; empty when it is sound."""
    problems = {}
    if not isinstance(data, dict):
        return {"data": ["an object of kind → task list"]}
    for kind, items in data.items():
        if kind not in KINDS:
            problems[kind] = [f"not a kind of emergency: {', '.join(KINDS)}"]
            continue
        if not isinstance(items, list) or not items:
            problems[kind] = ["a non-empty list of tasks"]
            continue
        for n, item in enumerate(items):
            where = f"{kind}[{n}]"
            if not isinstance(item, dict):
                problems[where] = ["an object"]
                continue
            if item.get("stage") not in STAGES:
                problems[f"{where}.stage"] = [f"one of {', '.join(STAGES)}"]
            for field in ("title", "target"):
                if not isinstance(item.get(field), str) or not item[field].strip():
                    problems[f"{where}.{field}"] = ["required text"]
            if len(item.get("title") or "") > 200:
                problems[f"{where}.title"] = ["at most 200 characters"]
            capacity = item.get("capacity")
            if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity:
                problems[f"{where}.capacity"] = ["a whole number of places, at least 1"]
            hours = item.get("hours")
            names = [name for name, _ in LEVELS.values()]
            if not isinstance(hours, dict) or any(
                not isinstance(hours.get(name), int | float)
                or isinstance(hours.get(name), bool)
                or hours[name] <= 0
                for name in names
            ):
                problems[f"{where}.hours"] = [f"positive hours for each level: {', '.join(names)}"]
    return problems


def replace_templates(data, user):
    require(user.role == DISTRICT_ADMIN, "Only district admins edit the task templates.")
    problems = validate_templates(data)
    if problems:
        raise Invalid("The task templates have problems.", fields=problems)
    return reference.save_document(TEMPLATES, data, user)


def _answers_for(user, switch):
    """Who decides on, changes and ends a switch: the district, or the admin of its street."""
    if user.role == DISTRICT_ADMIN:
        return True
    return user.role == STREET_ADMIN and switch.street_id in scope.own(user, "street")


def _grids(switch):
    return db.session.execute(
        select(SwitchGrid.grid_id, Unit.code, SwitchGrid.community_id, SwitchGrid.street_id)
        .join(Unit, Unit.id == SwitchGrid.grid_id)
        .where(SwitchGrid.switch_id == switch.id)
        .order_by(Unit.code)
    ).all()


# -- switching --------------------------------------------------------------------------------


def switch(user, body):
    """Switch an area into emergency mode, or (a secretary) request it: (switch, created)."""
    if body.get("id"):
        existing = db.session.get(EmergencySwitch, body["id"])
        if existing is not None:
            if existing.requested_by_id != user.id:
                raise Conflict("That id is taken.", code="id_taken", fields={"id": [body["id"]]})
            return existing, False
    grids = scope.grids_of(body["scope"], user)
    direct = user.role != SECRETARY and scope.may_act_over(user, grids)
    request = (
        user.role == SECRETARY
        and body["scope"]["level"] not in ("street", "district")
        and scope.may_act_over(user, grids)
    )
    require(
        direct or request,
        "Street admins switch within their street and the district anywhere; "
        "a secretary may request a switch for their own community.",
    )
    streets = {street for *_, street in grids}
    now = clock.now()
    item = EmergencySwitch(
        id=body.get("id") or str(uuid.uuid4()),
        kind=body["kind"],
        level=body["level"],
        drill=body["drill"],
        reason=body["reason"],
        state=REQUESTED,
        scope=body["scope"]["level"],
        scope_codes=body["scope"].get("codes"),
        polygon=body["scope"].get("geometry"),
        street_id=streets.pop() if len(streets) == 1 else None,
        requested_by_id=user.id,
        requested_at=now,
        updated_at=now,
    )
    db.session.add(item)
    db.session.flush()
    db.session.execute(
        insert(SwitchGrid),
        [
            {"switch_id": item.id, "grid_id": g, "community_id": c, "street_id": s}
            for g, _, c, s in grids
        ],
    )
    if direct:
        _start(user, item, grids, body)
    else:
        record("emergency", item.id, "request", user, to_state=REQUESTED, note=item.reason)
        deciders = people.holders(STREET_ADMIN, [item.street_id]).get(item.street_id, [])
        inbox.deliver(deciders, "mode", f"申请启动{title(item)}", item.reason, "emergency", item.id)
    transaction.commit()
    return item, True


def _start(user, item, grids, options, requested=False):
    now = clock.now()
    from_state = REQUESTED if requested else None
    item.state, item.started_at, item.updated_at = ACTIVE, now, now
    item.decided_by_id, item.decided_at = user.id, now
    made = _instantiate(user, item, grids)
    record(
        "emergency",
        item.id,
        "approve" if from_state else "start",
        user,
        from_state=from_state,
        to_state=ACTIVE,
        note=item.reason,
        data={"level": LEVELS[item.level][0], "grids": len(grids), "tasks": made},
    )
    # Its roll-call's message is the word of the switch to everyone asked.
    rollcalls.call(
        user,
        grids,
        options.get("roll_call_message") or f"{title(item)}已启动，请立即回复确认在岗。",
        options.get("escalate_after_min") or rollcalls.ESCALATE_AFTER_MIN,
        switch=item,
    )


def _instantiate(user, item, grids):
    """The kind's task template in every grid of the scope, with the level's time limits.
    A grid already under another active switch of the same kind keeps the tasks it has."""
    _, data = reference.document(TEMPLATES)
    template = data.get(item.kind) or []
    taken = set(
        db.session.execute(
            select(SwitchGrid.grid_id)
            .join(EmergencySwitch, EmergencySwitch.id == SwitchGrid.switch_id)
            .where(
                EmergencySwitch.state == ACTIVE,
                EmergencySwitch.kind == item.kind,
                EmergencySwitch.id != item.id,
            )
        ).scalars()
    )
    secretaries = people.holders(SECRETARY, {c for _, _, c, _ in grids})
    level = LEVELS[item.level][0]
    specs = [
        {
            "title": task["title"],
            "target": task["target"],
            "measures": task.get("measures"),
            "capacity": task["capacity"],
            "hours": task["hours"][level],
            "stage": task["stage"],
            "grid_id": grid_id,
            "community_id": community_id,
            "responsible_id": secretaries.get(community_id, [user.id])[0],
        }
        for grid_id, _, community_id, _ in grids
        if grid_id not in taken
        for task in template
    ]
    patrol_plans.for_emergency(user, item, grids, level)
    return tasks.create_for_emergency(user, item.id, specs)


def get_visible(user, switch_id):
    item = db.session.get(EmergencySwitch, switch_id)
    if item is None or not visible(user, item):
        raise NotFound("No such emergency switch.", fields={"id": [switch_id]})
    return item


def _seen_by(user):
    """A condition on EmergencySwitch: those over the user's area and those they asked for
    (true for the district), so lists filter in the database, not switch by switch."""
    if user.role == DISTRICT_ADMIN:
        return EmergencySwitch.id.is_not(None)
    own = EmergencySwitch.requested_by_id == user.id
    areas = people.areas(user)
    if not areas:
        return own
    over = (
        select(SwitchGrid.switch_id)
        .join(Unit, Unit.id == SwitchGrid.grid_id)
        .where(or_(*(Unit.code.startswith(area.code) for area in areas)))
    )
    return or_(own, EmergencySwitch.id.in_(over))


def visible(user, item):
    if user.role == DISTRICT_ADMIN or item.requested_by_id == user.id:
        return True
    found = select(EmergencySwitch.id).where(EmergencySwitch.id == item.id, _seen_by(user))
    return db.session.execute(found).first() is not None


def decide(user, switch_id, approve, note=None, options=None):
    """The street (or district) approves or refuses a secretary's request."""
    item = get_visible(user, switch_id)
    require(_answers_for(user, item), "Only the street's admin or the district decides.")
    require_state(item, (REQUESTED,), "decide on")
    if approve:
        _start(user, item, _grids(item), options or {}, requested=True)
    else:
        if not note:
            raise Invalid("Say why the request is refused.", fields={"note": ["required"]})
        now = clock.now()
        item.state, item.note, item.updated_at = REFUSED, note, now
        item.decided_by_id, item.decided_at = user.id, now
        record(
            "emergency", item.id, "refuse", user, from_state=REQUESTED, to_state=REFUSED, note=note
        )
        inbox.deliver(
            [item.requested_by_id],
            "mode",
            f"{title(item)}申请未获批准",
            note,
            "emergency",
            item.id,
        )
    transaction.commit()
    return item


def _in_scope(item):
    """Everyone a switch concerns, each once, as a query: the people its roll-calls asked and
    the 联户长 of its grids now (one appointed since the roll-call hears of a change and the
    end too)."""
    asked = (
        select(RollCallPerson.user_id)
        .join(RollCall, RollCall.id == RollCallPerson.roll_call_id)
        .where(RollCall.switch_id == item.id)
    )
    grids = select(SwitchGrid.grid_id).where(SwitchGrid.switch_id == item.id)
    liaisons = select(user_scope.c.user_id).where(user_scope.c.unit_id.in_(grids))
    return select(User.id).where(
        User.active,
        or_(User.id.in_(asked), (User.role == LIAISON) & User.id.in_(liaisons)),
    )


def change_level(user, switch_id, level, note=None):
    item = get_visible(user, switch_id)
    require(_answers_for(user, item), "Only the street's admin or the district changes it.")
    require_state(item, (ACTIVE,), "change the level of")
    if level == item.level:
        return item
    before = LEVELS[item.level][0]
    item.level, item.updated_at = level, clock.now()
    record(
        "emergency",
        item.id,
        "level",
        user,
        note=note,
        data={"from": before, "to": LEVELS[level][0]},
    )
    inbox.deliver(_in_scope(item), "mode", f"调整为{title(item)}", note, "emergency", item.id)
    transaction.commit()
    return item


def end(user, switch_id, note=None):
    """End a switch: its open emergency tasks end with it (work done still waits for
    verification), its roll-calls close and its reinforcements go home."""
    item = get_visible(user, switch_id)
    require(_answers_for(user, item), "Only the street's admin or the district ends it.")
    require_state(item, (ACTIVE,), "end")
    now = clock.now()
    item.state, item.note, item.updated_at = ENDED, note, now
    item.ended_by_id, item.ended_at = user.id, now
    cancelled = tasks.end_emergency(user, item.id, f"{title(item)}结束")
    patrol_plans.end_emergency(user, item.id)
    db.session.execute(
        update(RollCall)
        .where(RollCall.switch_id == item.id, RollCall.closed_at.is_(None))
        .values(closed_at=now)
    )
    for reinforcement in db.session.execute(
        select(Reinforcement).where(Reinforcement.switch_id == item.id, Reinforcement.added)
    ).scalars():
        db.session.execute(
            delete(user_scope).where(
                user_scope.c.user_id == reinforcement.user_id,
                user_scope.c.unit_id == reinforcement.grid_id,
            )
        )
    record(
        "emergency",
        item.id,
        "end",
        user,
        from_state=ACTIVE,
        to_state=ENDED,
        note=note,
        data={"tasks_cancelled": cancelled},
    )
    inbox.deliver(_in_scope(item), "mode", f"{title(item)}结束", note, "emergency", item.id)
    transaction.commit()
    return item


def reinforce(user, switch_id, member_id, grid_code):
    """Send a member (district support, social reserve, or from another community) to serve
    a grid of the switch until it ends: central dispatch then assigns them there."""
    item = get_visible(user, switch_id)
    require(_answers_for(user, item), "Only the street's admin or the district sends members.")
    require_state(item, (ACTIVE,), "reinforce")
    grid = db.session.execute(
        select(Unit)
        .join(SwitchGrid, SwitchGrid.grid_id == Unit.id)
        .where(SwitchGrid.switch_id == item.id, Unit.code == grid_code)
    ).scalar()
    if grid is None:
        raise Invalid("That grid is not in the switch's area.", fields={"grid": [grid_code]})
    member = db.session.get(User, member_id)
    if member is None or not member.active or member.role not in people.FIELD:
        raise Invalid("Send an active team member.", fields={"user_id": [member_id]})
    exists = db.session.get(Reinforcement, (item.id, member.id, grid.id))
    if exists is None:
        serves = any(unit.id == grid.id for unit in member.units)
        if not serves:
            db.session.execute(insert(user_scope).values(user_id=member.id, unit_id=grid.id))
        db.session.add(
            Reinforcement(
                switch_id=item.id,
                user_id=member.id,
                grid_id=grid.id,
                added=not serves,
                at=clock.now(),
            )
        )
        record(
            "emergency", item.id, "reinforce", user, data={"member": member.id, "grid": grid.code}
        )
        inbox.deliver(
            [member.id], "dispatch", f"{title(item)}：支援{grid.name}", None, "emergency", item.id
        )
    transaction.commit()
    return item


def candidates(user, switch_id, text=None, force=None, limit=50):
    """Members the caller may send to reinforce the switch's grids: for a street admin those
    serving in their street and the district's support force; for the district, anyone."""
    item = get_visible(user, switch_id)
    require(_answers_for(user, item), "Only the street's admin or the district sends members.")
    grid, community = aliased(Unit), aliased(Unit)
    query = (
        select(User, grid)
        .join(user_scope, user_scope.c.user_id == User.id)
        .join(grid, grid.id == user_scope.c.unit_id)
        .join(community, community.id == grid.parent_id)
        .where(User.role.in_(people.FIELD), User.active, grid.level == "grid")
    )
    if user.role != DISTRICT_ADMIN:
        query = query.where(
            or_(
                community.parent_id.in_(scope.own(user, "street")),
                User.force == "district_support",
            )
        )
    if force:
        query = query.where(User.force == force)
    if text:
        query = query.where(or_(User.name.contains(text), User.phone.endswith(text)))
    rows = db.session.execute(query.order_by(User.name, User.id).limit(limit)).all()
    return [
        {
            "id": member.id,
            "name": member.name,
            "force": member.force,
            "phone": member.phone,  # street and district admins dispatch: they see contacts
            "grid": {"code": serving.code, "name": serving.name},
        }
        for member, serving in rows
    ]


# -- reading ----------------------------------------------------------------------------------


def effective():
    """{grid id: the most severe active switch over it}."""
    query = (
        select(SwitchGrid.grid_id, EmergencySwitch)
        .join(EmergencySwitch, EmergencySwitch.id == SwitchGrid.switch_id)
        .where(EmergencySwitch.state == ACTIVE)
        .order_by(EmergencySwitch.level, EmergencySwitch.started_at)
    )
    found = {}
    for grid_id, item in db.session.execute(query):
        found.setdefault(grid_id, item)
    return found


def modes():
    """The map's modes: {grid code: its effective level}, and the active switches."""
    codes = dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.level == "grid")).all())
    grids = {
        codes[grid_id]: {
            "switch": item.id,
            "level": LEVELS[item.level][0],
            "colour": LEVELS[item.level][1],
            "kind": item.kind,
            "drill": item.drill,
            "title": title(item),
        }
        for grid_id, item in effective().items()
    }
    return grids


def listing(user, states=(ACTIVE,)):
    query = select(EmergencySwitch).where(EmergencySwitch.state.in_(states), _seen_by(user))
    return db.session.execute(query.order_by(EmergencySwitch.requested_at.desc())).scalars().all()


def snapshot(user, after_id, since, limit):
    """A first sync's switches: the active ones and those changed lately, over the area."""
    query = select(EmergencySwitch).where(
        or_(EmergencySwitch.state.in_((ACTIVE, REQUESTED)), EmergencySwitch.updated_at >= since),
        EmergencySwitch.id > (after_id or ""),
        _seen_by(user),
    )
    return db.session.execute(query.order_by(EmergencySwitch.id).limit(limit)).scalars().all()


def present(user, switches):
    """Switches as this user sees them, for SwitchOut to dump: the grids each covers and its
    newest roll-call, gathered for all at once."""
    if not switches:
        return []
    ids = [item.id for item in switches]
    codes = {}
    for switch_id, code in db.session.execute(
        select(SwitchGrid.switch_id, Unit.code)
        .join(Unit, Unit.id == SwitchGrid.grid_id)
        .where(SwitchGrid.switch_id.in_(ids))
        .order_by(Unit.code)
    ):
        codes.setdefault(switch_id, []).append(code)
    calls = dict(  # the newest roll-call of each switch
        db.session.execute(
            select(RollCall.switch_id, RollCall.id)
            .where(RollCall.switch_id.in_(ids))
            .order_by(RollCall.created_at)
        ).all()
    )
    return [
        Shown(
            item,
            level=LEVELS[item.level][0],
            colour=LEVELS[item.level][1],
            title=title(item),
            scope={"level": item.scope, "codes": item.scope_codes},
            grids=codes.get(item.id, []),
            roll_call=calls.get(item.id),
            may_decide=_answers_for(user, item),
        )
        for item in switches
    ]


register_scope("emergency", lambda switch_id: (None, None))
