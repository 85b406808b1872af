"""Changes down: what changed in a user's area since their cursor, and a first snapshot.

The cursor is a position in the append-only history, never a clock. On PostgreSQL the
position is (transaction id, row id) and a pull returns only rows of transactions older than
every transaction still running that could write this database (the horizon, below): row ids
are handed out at insert but transactions commit in any order, so a pull that went by id
alone would step past a row whose transaction commits later, and never see it. SQLite runs
one writer at a time, so there ids commit in order and the position is (0, row id).

The cursor is signed and names its user, the area it covers and when it was issued; a cursor
older than the retention gets "resync" (the phone re-snapshots and keeps its outbox).
"""

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import String, and_, cast, inspect, or_, select, text

from app import clock, security
from app.emergency import rollcalls
from app.emergency import services as emergency
from app.emergency.models import EmergencySwitch, RollCall, SwitchGrid
from app.emergency.schemas import RollCallOut, SwitchOut
from app.errors import ApiError
from app.extensions import db
from app.history.models import HistoryEntry
from app.households import services as households
from app.households.models import Household
from app.households.schemas import HouseholdOut
from app.incidents import services as incidents
from app.incidents.models import Incident, Whistle
from app.incidents.schemas import IncidentOut
from app.journal import services as journal
from app.journal.models import JournalEntry
from app.journal.schemas import JournalOut
from app.notify import services as inbox
from app.notify.models import Message
from app.notify.schemas import MessageOut
from app.patrols import plans as patrol_plans
from app.patrols import services as patrols
from app.patrols.models import Patrol, PatrolPlan
from app.patrols.schemas import PatrolOut, PatrolPlanOut
from app.people import services as people
from app.people.models import DEPARTMENT, DISTRICT_ADMIN
from app.tasks import services as tasks
from app.tasks.models import Claim, Task
from app.tasks.schemas import TaskOut
from app.units.models import Unit
from app.visits import services as visits
from app.visits.models import Visit
from app.visits.schemas import HouseholdVisitOut
from app.volunteering import services as volunteering
from app.volunteering.models import Activity
from app.volunteering.schemas import ActivityOut
from app.wishes import services as wishes
from app.wishes.models import Wish
from app.wishes.schemas import WishOut

RECENT = timedelta(days=30)  # a first sync brings open work and what changed in 30 days

# What a phone holds, in the order a first sync brings it: entity -> (the domain's module,
# its model, what rows load with, how its id reads from the history's text, the output schema
# its route answers with: a pulled entity is what that route shows, written the same way).
ENTITIES = {
    "incident": (incidents, Incident, incidents.SHOWN_WITH, str, IncidentOut()),
    "task": (tasks, Task, tasks.SHOWN_WITH, str, TaskOut()),
    "emergency": (emergency, EmergencySwitch, (), str, SwitchOut()),
    "rollcall": (rollcalls, RollCall, (), str, RollCallOut()),
    "message": (inbox, Message, (), int, MessageOut()),
    "wish": (wishes, Wish, wishes.SHOWN_WITH, str, WishOut()),
    "activity": (volunteering, Activity, volunteering.SHOWN_WITH, str, ActivityOut()),
    "household": (households, Household, households.SHOWN_WITH, str, HouseholdOut()),
    "visit": (visits, Visit, (), str, HouseholdVisitOut()),
    "patrol": (patrols, Patrol, patrols.SHOWN_WITH, str, PatrolOut()),
    "patrol_plan": (patrol_plans, PatrolPlan, patrol_plans.SHOWN_WITH, int, PatrolPlanOut()),
    "journal": (journal, JournalEntry, journal.SHOWN_WITH, str, JournalOut()),
}
# A member's own, and their managers': never another member's (their grid's entries of
# these reach field members only when they are their own).
PERSONAL = {"patrol": Patrol, "journal": JournalEntry}
FIRST = "incident"
NEXT = dict(zip(ENTITIES, list(ENTITIES)[1:], strict=False))


def _serializer():
    # Every key still accepted: a rotated key keeps phones' cursors (no needless resync).
    return URLSafeSerializer(security.signing_keys(current_app), salt="gridlink-sync-cursor")


def _postgis():
    return db.session.get_bind().dialect.name == "postgresql"


class Area:
    """What a user pulls: history rows of these grids and communities, plus what they are
    personally part of (reported, dispatched to, claimed, called to)."""

    def __init__(self, user):
        self.user = user
        self.everything = user.role == DISTRICT_ADMIN
        self.units = sorted(people.areas(user), key=lambda unit: unit.code)
        self.key = [unit.id for unit in self.units]
        self.codes = {unit.id: unit.code for unit in self.units}
        self.held = []

    def hold_units(self):
        """The units inside the area, read in one query and held while a page is presented:
        whether an entity may be seen asks for its grid or community, which the session then
        has, where it would read each of them alone (a secretary's page asked eleven times)."""
        if not self.everything and self.units and not self.held:
            inside = or_(*(Unit.code.startswith(unit.code, autoescape=True) for unit in self.units))
            self.held = db.session.execute(select(Unit).where(inside)).scalars().all()

    def _unit_ids(self, level):
        ids = [u.id for u in self.units if u.level == level]
        for unit in self.units:
            if unit.level == "street" and level == "community":
                ids.extend(c.id for c in unit.children)
            if unit.level == "district" and level == "community":
                ids.extend(c.id for s in unit.children for c in s.children)
        return ids

    def history_filter(self):
        user = self.user
        # Messages are personal, whoever the reader: batches holding one of theirs.
        own_messages = and_(
            HistoryEntry.entity == "inbox",
            HistoryEntry.entity_id.in_(select(Message.batch).where(Message.user_id == user.id)),
        )
        if self.everything:
            return or_(HistoryEntry.entity != "inbox", own_messages)
        mine_incidents = select(Incident.id).where(
            or_(Incident.reporter_id == user.id, Incident.assignee_id == user.id)
        )
        mine_tasks = select(Claim.task_id).where(Claim.user_id == user.id)
        own = [
            and_(HistoryEntry.entity == "incident", HistoryEntry.entity_id.in_(mine_incidents)),
            and_(HistoryEntry.entity == "task", HistoryEntry.entity_id.in_(mine_tasks)),
        ]
        if user.role == DEPARTMENT:
            mine = Whistle.department_id == user.department_id
            called = select(Whistle.incident_id).where(mine)
            calls = select(cast(Whistle.id, String)).where(mine)
            own.append(and_(HistoryEntry.entity == "incident", HistoryEntry.entity_id.in_(called)))
            # Only its own calls: another department's call must not even name the incident.
            own.append(and_(HistoryEntry.entity == "whistle", HistoryEntry.entity_id.in_(calls)))
        grids = self._unit_ids("grid")
        communities = self._unit_ids("community")
        switched = select(SwitchGrid.switch_id).where(
            or_(SwitchGrid.grid_id.in_(grids), SwitchGrid.community_id.in_(communities))
        )
        requested = select(EmergencySwitch.id).where(EmergencySwitch.requested_by_id == user.id)
        own.append(
            and_(
                HistoryEntry.entity == "emergency",
                or_(HistoryEntry.entity_id.in_(switched), HistoryEntry.entity_id.in_(requested)),
            )
        )
        own.append(rollcalls.feed_filter(user, HistoryEntry))
        own.append(households.feed_filter(user, HistoryEntry))
        own.append(own_messages)
        own.append(wishes.feed_filter(user, HistoryEntry))
        own.append(volunteering.feed_filter(user, HistoryEntry))
        for entity, model in PERSONAL.items():
            theirs = select(model.id).where(model.member_id == user.id)
            own.append(and_(HistoryEntry.entity == entity, HistoryEntry.entity_id.in_(theirs)))
        if grids:
            own.append(
                and_(HistoryEntry.grid_id.in_(grids), HistoryEntry.entity.not_in(list(PERSONAL)))
            )
            # A member's pool: tasks of the community around their grid with no grid of their own.
            parents = [u.parent_id for u in self.units if u.level == "grid"]
            own.append(and_(HistoryEntry.grid_id.is_(None), HistoryEntry.community_id.in_(parents)))
        if communities:
            own.append(HistoryEntry.community_id.in_(communities))
        return or_(*own)


# The oldest transaction id still running that may write this database's history: the
# running ids of the current snapshot, less those the server's activity view places in
# another database of the cluster (a long import next door must not hold every phone back).
# An id it cannot place counts as ours, and with none running the horizon is the next id.
# Any transaction below the horizon had finished when it was read, so its rows are visible to
# every later statement: the horizon may be read apart from the rows.
_HORIZON = text(
    """
    WITH now AS (SELECT pg_current_snapshot() AS s)
    SELECT CAST(coalesce(
        (SELECT min(x) FROM now, pg_snapshot_xip(now.s) AS x
         WHERE CAST(x AS xid) NOT IN (
             SELECT backend_xid FROM pg_stat_activity
             WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())),
        (SELECT pg_snapshot_xmax(s) FROM now)) AS text)
    """
)


def _before_horizon():
    horizon = db.session.execute(_HORIZON).scalar()
    return text("history.xid < CAST(:horizon AS xid8)").bindparams(horizon=horizon)


def _position_after(position):
    xid, row = position
    if _postgis():
        return and_(
            text("(history.xid, history.id) > (CAST(:cursor_xid AS xid8), :cursor_id)").bindparams(
                cursor_xid=str(xid), cursor_id=row
            ),
            _before_horizon(),
        )
    return HistoryEntry.id > row


def _columns():
    xid = text("CAST(CAST(history.xid AS text) AS bigint)") if _postgis() else text("0")
    return (HistoryEntry.id, xid, HistoryEntry.entity, HistoryEntry.entity_id)


def _order():
    return (text("history.xid"), HistoryEntry.id) if _postgis() else (HistoryEntry.id,)


def current_position():
    """The newest position before which every transaction has finished."""
    query = select(*_columns()).order_by(HistoryEntry.id.desc())
    if _postgis():
        query = (
            select(*_columns())
            .where(_before_horizon())
            .order_by(text("history.xid DESC"), HistoryEntry.id.desc())
        )
    row = db.session.execute(query.limit(1)).first()
    return (row[1], row[0]) if row else (0, 0)


def _encode(user, area, position, snapshot=None):
    return _serializer().dumps(
        {
            "u": user.id,
            "a": area.key,
            "p": list(position),
            "s": snapshot,
            "t": int(clock.now().timestamp()),
        }
    )


def _decode(user, token):
    try:
        cursor = _serializer().loads(token)
    except BadSignature:
        raise ApiError(
            "Not a cursor of this server.", code="bad_cursor", fields={"cursor": ["invalid"]}
        ) from None
    if not _well_formed(cursor):
        raise ApiError(
            "Not a cursor of this server.", code="bad_cursor", fields={"cursor": ["malformed"]}
        )
    if cursor["u"] != user.id:
        raise ApiError(
            "This cursor belongs to another user.",
            code="bad_cursor",
            fields={"cursor": ["another user's"]},
        )
    retention = timedelta(days=current_app.config["SYNC_RETENTION_DAYS"])
    if clock.now().timestamp() - cursor["t"] > retention.total_seconds():
        raise ApiError(
            "The phone was away longer than changes are kept: take a new snapshot "
            "(pull without a cursor) and keep the outbox.",
            status=410,
            code="resync",
        )
    return cursor


def _int(value, bits=63):
    return type(value) is int and 0 <= value < 2**bits


def _well_formed(cursor):
    """Whether a signed cursor has the shape _encode gives it: a cursor signed by another
    version of the server (or with a leaked key) must be a 400, never a 500."""
    if not isinstance(cursor, dict) or not {"u", "a", "p", "s", "t"} <= cursor.keys():
        return False
    position, snapshot = cursor["p"], cursor["s"]
    return (
        _int(cursor["u"])
        and _int(cursor["t"])
        and isinstance(cursor["a"], list)
        and all(_int(unit) for unit in cursor["a"])
        and isinstance(position, list)
        and len(position) == 2
        and _int(position[0], 64)
        and _int(position[1])
        and (
            snapshot is None
            or isinstance(snapshot, list)
            and len(snapshot) == 2
            and snapshot[0] in ENTITIES
            and (isinstance(snapshot[1], str) or _int(snapshot[1]))
        )
    )


def pull(user, token=None, limit=500):
    """One page of changes: {changes, cursor, has_more, snapshot, drop_scopes}."""
    area = Area(user)
    cursor = _decode(user, token) if token else None
    drop = []
    if cursor is not None and cursor["a"] != area.key:
        # The user's area changed: purge what left it, and bring what came in by a snapshot.
        old = set(cursor["a"])
        drop = sorted(_codes(old - set(area.key)))
        cursor = {"p": cursor["p"], "s": [FIRST, ""]}
    if cursor is None:
        cursor = {"p": list(current_position()), "s": [FIRST, ""]}
    if cursor.get("s"):
        page = _snapshot_page(user, area, cursor, limit)
    else:
        page = _feed_page(user, area, cursor, limit)
    page["drop_scopes"] = drop
    return page


def _codes(unit_ids):
    if not unit_ids:
        return []
    return db.session.execute(select(Unit.code).where(Unit.id.in_(unit_ids))).scalars().all()


def _feed_page(user, area, cursor, limit):
    rows = db.session.execute(
        select(*_columns())
        .where(_position_after(cursor["p"]), area.history_filter())
        .order_by(*_order())
        .limit(limit + 1)  # one more than a page says whether another page follows
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1][1], rows[-1][0]) if rows else tuple(cursor["p"])
    touched = {entity: {} for entity in ENTITIES}  # dicts as ordered sets
    batches = []  # of messages: the user's own in them, found in one query below
    for _, _, entity, entity_id in rows:
        if entity == "whistle":
            whistle = db.session.get(Whistle, int(entity_id))
            entity, entity_id = "incident", whistle.incident_id
        if entity == "inbox":
            batches.append(entity_id)
            continue
        if entity in touched:  # not account changes (person): audit, not what phones hold
            touched[entity][entity_id] = None
    if batches:
        touched["message"] = dict.fromkeys(sorted(inbox.in_batches(user, batches)))
    if rows:
        area.hold_units()
    return {
        "changes": _changes(user, {entity: list(ids) for entity, ids in touched.items()}),
        "cursor": _encode(user, area, position),
        "has_more": has_more,
        "snapshot": False,
    }


def _changes(user, touched, loaded=None):
    """put for what the user sees now; del (a tombstone) for what they no longer see.
    `loaded` ({entity: rows}) are rows a snapshot read already, with what they show: each
    domain's snapshot reads through its own query of what the user may see, so its rows are
    not asked one by one again (`visible` took 6 % of a secretary's first sync, a query per
    roll-call; tests/sync/test_pull_snapshot.py holds every kind's snapshot to `visible`)."""
    changes = []
    for entity, (module, model, shown_with, key, schema) in ENTITIES.items():
        rows = (loaded or {}).get(entity)
        snapshot = bool(rows)  # read through the domain's query of what the user may see
        ids = [row.id for row in rows] if rows else [key(i) for i in touched.get(entity, ())]
        if not ids:
            continue
        if not rows or _unloaded(rows, shown_with):
            query = select(model).options(*shown_with).where(model.id.in_(ids))
            rows = db.session.execute(query).unique().scalars().all()
        found = {row.id: row for row in rows}
        shown = [
            found[i] for i in ids if i in found and (snapshot or module.visible(user, found[i]))
        ]
        for data in schema.dump(module.present(user, shown), many=True):
            changes.append({"entity": entity, "id": data["id"], "op": "put", "data": data})
        shown_ids = {s.id for s in shown}
        gone = [i for i in ids if i not in shown_ids]
        changes.extend({"entity": entity, "id": i, "op": "del", "data": None} for i in gone)
    return changes


def _unloaded(rows, shown_with):
    """Whether the rows lack a relationship they are shown with (a domain's snapshot that
    read them without it): read again with it, rather than once per row when presented."""
    keys = {element.path[1].key for option in shown_with for element in option.context}
    return bool(keys & inspect(rows[0]).unloaded)


def _snapshot_page(user, area, cursor, limit):
    """The open work, modes, roll-calls and messages and the last 30 days in the user's
    area, one kind after the other (ENTITIES), a page filled across kinds: a member's whole
    first sync is most often one page, not one per kind."""
    following, loaded, room = cursor["s"], {}, limit
    since = clock.now() - RECENT
    while following is not None and room:
        entity, after = following
        rows = ENTITIES[entity][0].snapshot(user, after, since, room)
        loaded[entity] = rows
        if len(rows) == room:
            following = [entity, rows[-1].id]
        else:
            following = [NEXT[entity], ""] if entity in NEXT else None
        room -= len(rows)
    if room < limit:
        area.hold_units()
    return {
        "changes": _changes(user, {}, loaded),
        "cursor": _encode(user, area, cursor["p"], following),
        "has_more": following is not None or _has_more_after(user, area, cursor["p"]),
        "snapshot": True,
    }


def _has_more_after(user, area, position):
    return (
        db.session.execute(
            select(HistoryEntry.id).where(_position_after(position), area.history_filter()).limit(1)
        ).first()
        is not None
    )
