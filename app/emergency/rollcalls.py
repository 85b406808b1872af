"""叫应 roll-calls: everyone who answers for a part of the map is asked, each acknowledges
once (one conditional UPDATE, so a phone's resends count once), figures per grid, community
and street, re-issue to those outstanding, and escalation of those still silent to whoever
answers for them."""

import uuid
from datetime import timedelta

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from app import clock, transaction
from app.emergency import scope
from app.emergency.models import RollCall, RollCallPerson
from app.errors import Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.notify import services as inbox
from app.people import services as people
from app.people.models import (
    DISTRICT_ADMIN,
    LIAISON,
    SECRETARY,
    STREET_ADMIN,
    User,
    responsibility,
    user_scope,
)
from app.privacy import mask_phone
from app.rules import require
from app.schemas import Shown
from app.units.models import Unit

ESCALATE_AFTER_MIN = 10  # outstanding people go up the chain after this many minutes
LEVELS = ("grid", "community", "street")


def people_in(grids):
    """{user id: (grid id, community id, street id)} of everyone who answers for `grids`
    (rows of (grid id, code, community id, street id)): the members serving them, the
    secretaries of their communities, the 包保 leaders of any of those units and the admins
    of their streets; each person once, placed where they answer most closely."""
    where = {g: (g, c, s) for g, _, c, s in grids}
    streets = {s for *_, s in grids}
    where.update({c: (None, c, s) for _, _, c, s in grids})
    where.update({s: (None, None, s) for s in streets})
    grid_ids = [g for g, *_ in grids]
    community_ids = list({c for _, _, c, _ in grids})
    found = {}
    asks = (
        (user_scope, grid_ids, (*people.FIELD, LIAISON)),  # 联户长 are asked too
        (user_scope, community_ids, (SECRETARY,)),
        (responsibility, list(where), None),
        (user_scope, list(streets), (STREET_ADMIN,)),
    )
    for table, unit_ids, roles in asks:
        query = (
            select(table.c.user_id, table.c.unit_id)
            .join(User, User.id == table.c.user_id)
            .where(table.c.unit_id.in_(unit_ids), User.active)
            .order_by(table.c.unit_id)
        )
        if roles:
            query = query.where(User.role.in_(roles))
        for user_id, unit_id in db.session.execute(query):
            found.setdefault(user_id, where[unit_id])
    return found


def call(user, grids, message, escalate_after_min, switch=None):
    """Ask everyone over `grids` (but the caller): (the roll-call, the ids of those asked)."""
    asked = people_in(grids)
    asked.pop(user.id, None)
    now = clock.now()
    item = RollCall(
        id=str(uuid.uuid4()),
        switch_id=switch.id if switch else None,
        message=message,
        drill=bool(switch and switch.drill),
        created_by_id=user.id,
        created_at=now,
        escalate_after_min=escalate_after_min,
        issues=1,
        last_issued_at=now,
    )
    db.session.add(item)
    db.session.flush()
    if asked:
        db.session.execute(
            insert(RollCallPerson),
            [
                {
                    "roll_call_id": item.id,
                    "user_id": user_id,
                    "grid_id": g,
                    "community_id": c,
                    "street_id": s,
                }
                for user_id, (g, c, s) in asked.items()
            ],
        )
    record("rollcall", item.id, "issue", user, note=message, data={"asked": len(asked)})
    inbox.deliver(_asked(item), "rollcall", f"叫应：{message}", None, "rollcall", item.id)
    return item, list(asked)


def _asked(item, *where):
    """Those a roll-call asked (and who also meet `where`), as a query."""
    return select(RollCallPerson.user_id).where(RollCallPerson.roll_call_id == item.id, *where)


def call_on_demand(user, body):
    """A roll-call without a switch: a street over its street, a secretary over their
    community, the district anywhere."""
    grids = scope.grids_of(body["scope"], user)
    require(
        scope.may_act_over(user, grids),
        "Roll-calls are called by the district, a street over its street and a secretary "
        "over their community.",
    )
    item, _ = call(user, grids, body["message"], body["escalate_after_min"])
    transaction.commit()
    return item


def _runs(user, item):
    """Who sees the figures and re-issues: its caller, the district, and the secretaries and
    street admins over the people it asked."""
    if follows_all(user, item):
        return True
    return user.role in (SECRETARY, STREET_ADMIN) and bool(_area_filter(user))


def _area_filter(user):
    """The units whose people a manager follows: their communities and streets."""
    return [unit for unit in user.units if unit.level in ("community", "street")]


def _over(units):
    """A condition on RollCallPerson: the people of these communities and streets."""
    return or_(
        RollCallPerson.community_id.in_([u.id for u in units if u.level == "community"]),
        RollCallPerson.street_id.in_([u.id for u in units if u.level == "street"]),
    )


def follows_all(user, item):
    """Whether the caller follows everyone the call asked: the district, and who called it
    (the others follow the people of their communities and streets, _area_filter)."""
    return user.role == DISTRICT_ADMIN or item.created_by_id == user.id


def _in_area(user, item):
    """A condition on RollCallPerson: the people the caller follows in this call."""
    if follows_all(user, item):
        return RollCallPerson.roll_call_id == item.id
    return _over(_area_filter(user))


def _asking(user):
    """The roll-calls that ask the user, as a query of their ids."""
    return select(RollCallPerson.roll_call_id).where(RollCallPerson.user_id == user.id)


def _managed(user, column):
    """Conditions on a roll-call id column: the calls the user made, and for a secretary or
    street admin those asking people of their community or street."""
    conditions = [column.in_(select(RollCall.id).where(RollCall.created_by_id == user.id))]
    units = _area_filter(user) if user.role in (SECRETARY, STREET_ADMIN) else []
    if units:
        conditions.append(column.in_(select(RollCallPerson.roll_call_id).where(_over(units))))
    return conditions


def _seen_by(user):
    """A condition on RollCall: the calls asking the user and those they run (all, for the
    district), so lists filter in the database, not call by call."""
    if user.role == DISTRICT_ADMIN:
        return RollCall.id.is_not(None)
    return or_(RollCall.id.in_(_asking(user)), *_managed(user, RollCall.id))


def visible(user, item):
    found = select(RollCall.id).where(RollCall.id == item.id, _seen_by(user))
    return db.session.execute(found).first() is not None


def get_visible(user, call_id):
    item = db.session.get(RollCall, call_id)
    if item is None or not visible(user, item):
        raise NotFound("No such roll-call.", fields={"id": [call_id]})
    return item


# Built once, run on the session's connection (Core): the acknowledgement is the roll-call's
# hottest request (the whole district at once), and the ORM's bulk-update path and building
# the statement cost more than running it.
_PERSON = RollCallPerson.__table__
_ACK = (
    update(_PERSON)
    .where(
        _PERSON.c.roll_call_id == bindparam("b_call"),
        _PERSON.c.user_id == bindparam("b_user"),
        _PERSON.c.acknowledged_at.is_(None),
    )
    .values(
        acknowledged_at=bindparam("at", type_=_PERSON.c.acknowledged_at.type),
        device_time=bindparam("device", type_=_PERSON.c.device_time.type),
    )
    .returning(_PERSON.c.acknowledged_at)
)
_ACKED = select(_PERSON.c.acknowledged_at).where(
    _PERSON.c.roll_call_id == bindparam("b_call"), _PERSON.c.user_id == bindparam("b_user")
)


def acknowledge(user, call_id, device_time=None):
    """Acknowledge once: a resend finds the row answered and changes nothing. The answer:
    {id, acknowledged_at, first} (first: this request was the acknowledgement)."""
    who = {"b_call": call_id, "b_user": user.id}
    connection = db.session.connection()
    at = connection.execute(_ACK, {**who, "at": clock.now(), "device": device_time}).scalar()
    if at is not None:
        record("rollcall", call_id, "acknowledge", user, device_time=device_time)
        transaction.commit()
        return {"id": call_id, "acknowledged_at": at, "first": True}
    found = connection.execute(_ACKED, who).first()
    if found is None:
        raise NotFound("You were not asked by this roll-call.", fields={"id": [call_id]})
    return {"id": call_id, "acknowledged_at": found.acknowledged_at, "first": False}


def reissue(user, call_id):
    """Ask again those still outstanding (within the caller's area): the escalation clock
    starts again for them."""
    item = get_visible(user, call_id)
    require(_runs(user, item), "Only who called it and the managers over it re-issue it.")
    if item.closed_at is not None:
        raise Invalid("The roll-call is closed.", code="closed", fields={"id": [call_id]})
    outstanding = _asked(item, RollCallPerson.acknowledged_at.is_(None), _in_area(user, item))
    item.issues += 1
    item.last_issued_at = clock.now()
    asked = inbox.deliver(
        outstanding, "rollcall", f"再次叫应：{item.message}", None, "rollcall", item.id
    )
    record("rollcall", item.id, "reissue", user, data={"asked": asked})
    transaction.commit()
    return asked


def figures(user, call_id, level="community"):
    """Asked, acknowledged and outstanding per unit of `level` within the caller's area,
    with the people outstanding."""
    if level not in LEVELS:
        raise Invalid("Count by grid, community or street.", fields={"level": [level]})
    item = get_visible(user, call_id)
    require(_runs(user, item), "Figures are for who called it and the managers over it.")
    column = getattr(RollCallPerson, f"{level}_id")
    unit = aliased(Unit)
    rows = db.session.execute(
        select(
            column,
            unit.code,
            unit.name,
            func.count(),
            func.count(RollCallPerson.acknowledged_at),
        )
        .outerjoin(unit, unit.id == column)
        .where(RollCallPerson.roll_call_id == item.id, _in_area(user, item))
        .group_by(column, unit.code, unit.name)
        .order_by(unit.code)
    ).all()
    silent = {}
    for unit_id, user_id, name, phone, role in db.session.execute(
        select(column, User.id, User.name, User.phone, User.role)
        .join(User, User.id == RollCallPerson.user_id)
        .where(
            RollCallPerson.roll_call_id == item.id,
            RollCallPerson.acknowledged_at.is_(None),
            _in_area(user, item),
        )
        .order_by(User.name)
    ):
        silent.setdefault(unit_id, []).append(
            {
                "id": user_id,
                "name": name,
                "role": role,
                "phone": phone if people.sees_contacts(user) else mask_phone(phone),
            }
        )
    units = [
        {
            "code": code,
            "name": name,
            "asked": asked,
            "acknowledged": acked,
            "outstanding": asked - acked,
            "outstanding_people": silent.get(unit_id, []),
        }
        for unit_id, code, name, asked, acked in rows
    ]
    return {
        "id": item.id,
        "level": level,
        "asked": sum(u["asked"] for u in units),
        "acknowledged": sum(u["acknowledged"] for u in units),
        "outstanding": sum(u["outstanding"] for u in units),
        "units": units,
    }


def escalate_roll_calls(now=None):
    """Escalate the people still silent `escalate_after_min` minutes after the roll-call was
    (re-)issued to whoever answers for them: a grid's people to the community's secretary,
    a secretary to the street's admin, a street to the district. Run every minute (the
    worker does). Each person is escalated once per roll-call; the number escalated."""
    now = now or clock.now()
    escalated = 0
    for item in (
        db.session.execute(select(RollCall).where(RollCall.closed_at.is_(None))).scalars().all()
    ):
        if item.last_issued_at + timedelta(minutes=item.escalate_after_min) > now:
            continue
        silent = db.session.execute(
            select(
                RollCallPerson.user_id,
                User.name,
                RollCallPerson.grid_id,
                RollCallPerson.community_id,
                RollCallPerson.street_id,
            )
            .join(User, User.id == RollCallPerson.user_id)
            .where(
                RollCallPerson.roll_call_id == item.id,
                RollCallPerson.acknowledged_at.is_(None),
                RollCallPerson.escalated_at.is_(None),
            )
        ).all()
        if not silent:
            continue
        secretaries = people.holders(SECRETARY, {p.community_id for p in silent if p.grid_id})
        admins = people.holders(STREET_ADMIN, {p.street_id for p in silent if not p.grid_id})
        district = (
            db.session.execute(select(User.id).where(User.role == DISTRICT_ADMIN, User.active))
            .scalars()
            .all()
        )
        to = {}
        for person in silent:
            if person.grid_id:
                targets = secretaries.get(person.community_id)
            elif person.community_id:
                targets = admins.get(person.street_id)
            else:
                targets = None
            for target in targets or district:
                if target != person.user_id:
                    to.setdefault(target, []).append(person.name)
        for target, names in to.items():
            shown = "、".join(names[:20]) + (f" 等{len(names)}人" if len(names) > 20 else "")
            inbox.deliver(
                [target], "escalation", f"叫应未回复：{len(names)}人", shown, "rollcall", item.id
            )
        db.session.execute(
            update(RollCallPerson)
            .where(
                RollCallPerson.roll_call_id == item.id,
                RollCallPerson.user_id.in_([p.user_id for p in silent]),
            )
            .values(escalated_at=now)
        )
        record("rollcall", item.id, "escalate", None, data={"people": len(silent)})
        escalated += len(silent)
    transaction.commit()
    return escalated


def snapshot(user, after_id, since, limit):
    """A first sync's roll-calls: those asking the user, and those over a manager's area,
    open or lately made."""
    query = select(RollCall).where(
        or_(RollCall.closed_at.is_(None), RollCall.created_at >= since),
        RollCall.id > (after_id or ""),
        _seen_by(user),
    )
    return db.session.execute(query.order_by(RollCall.id).limit(limit)).scalars().all()


def present(user, calls):
    """Roll-calls as this user sees them, for RollCallOut to dump: their own answer, and the
    totals for those who run them, gathered for all at once."""
    if not calls:
        return []
    ids = [item.id for item in calls]
    runs = {item.id: _runs(user, item) for item in calls}
    # The totals are for those who run a call: a member's phone needs its own answer only,
    # and 13,000 answers would each count 13,000 rows for nothing.
    totals = (
        {
            call_id: (asked, acked)
            for call_id, asked, acked in db.session.execute(
                select(
                    RollCallPerson.roll_call_id,
                    func.count(),
                    func.count(RollCallPerson.acknowledged_at),
                )
                .where(RollCallPerson.roll_call_id.in_([i for i in ids if runs[i]]))
                .group_by(RollCallPerson.roll_call_id)
            )
        }
        if any(runs.values())
        else {}
    )
    mine = {
        row.roll_call_id: row
        for row in db.session.execute(
            select(RollCallPerson).where(
                RollCallPerson.roll_call_id.in_(ids), RollCallPerson.user_id == user.id
            )
        ).scalars()
    }
    out = []
    for item in calls:
        asked, acked = totals.get(item.id, (None, None))
        answer = mine.get(item.id)
        out.append(
            Shown(
                item,
                asked=asked,
                acknowledged=acked,
                outstanding=None if asked is None else asked - acked,
                mine={
                    "asked": answer is not None,
                    "acknowledged_at": answer.acknowledged_at if answer else None,
                },
                runs=runs[item.id],
            )
        )
    return out


def feed_filter(user, history):
    """Which history rows of roll-calls reach a user's phone: those of calls asking them
    (but not every colleague's answer), and those they run."""
    own = and_(
        history.entity_id.in_(_asking(user)),
        or_(history.action != "acknowledge", history.actor_id == user.id),
    )
    return and_(history.entity == "rollcall", or_(own, *_managed(user, history.entity_id)))


register_scope("rollcall", lambda call_id: (None, None))
