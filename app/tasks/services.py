"""Rules of tasks: creation with the 五定, claims whose capacity the database enforces,
progress, completion with evidence, verification. Every change is one history entry."""

import uuid
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from app import clock, transaction
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, record_many, register_scope, timeline
from app.incidents.models import Incident
from app.notify import services as inbox
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, User
from app.photos import services as photos
from app.rules import require, require_state
from app.schemas import Shown
from app.tasks.models import CANCELLED, COMPLETED, EMERGENCY, OPEN, VERIFIED, Claim, Task
from app.tasks.schemas import Holder
from app.units import spatial
from app.units.models import Unit

# A completion point further than this outside the task's area is flagged for the
# secretary: GPS on a cheap phone in a street canyon is often off by 30-50 m.
OFF_SITE_TOLERANCE_M = 50

# function(task, user) of the domains that follow work when it passes, in the verifying
# transaction: a meeting's decision closes its problem (销号, app/meetings).
VERIFIED_HOOKS = []


def visible(user, task):
    """Whether `user` may see `task` (a Task, or the _Scope a claim reads)."""
    if user.role == DISTRICT_ADMIN:
        return True
    if task.responsible_id == user.id:  # 定责任: who answers for it follows it
        return True
    unit = _area(user, task)
    return people.can_view(user, unit) or people.serves(user, unit) or _holds(user, task)


def _area(user, task):
    """The task's grid, or its community for a pool task. Most often it is one of the user's
    own units (a member claiming in their grid), found among them rather than read again."""
    unit_id = task.grid_id or task.community_id
    own = () if user.role in people.NO_AREA else user.units
    return next((unit for unit in own if unit.id == unit_id), None) or db.session.get(Unit, unit_id)


def _holds(user, task):
    if isinstance(task, _Scope):
        return task.held_by(user.id)
    return _live_claim(task.id, user.id) is not None


def _live_claim(task_id, user_id):
    return db.session.execute(
        select(Claim).where(Claim.task_id == task_id, Claim.user_id == user_id, Claim.live)
    ).scalar()


def get_visible(user, task_id):
    task = db.session.get(Task, task_id, options=SHOWN_WITH)  # shown with them, one query
    if task is None or not visible(user, task):
        raise NotFound("No such task.", fields={"id": [task_id]})
    return task


def _unit(code, field):
    unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar() if code else None
    if unit is None:
        raise Invalid(f"No unit with code {code}.", fields={field: [code]})
    return unit


def create(user, body):
    """A task for a grid or, given only a community, for the community's pool."""
    if body.get("id"):
        existing = db.session.get(Task, body["id"])
        if existing is not None:
            if existing.created_by_id != user.id:
                raise Conflict("That id is taken.", code="id_taken", fields={"id": [body["id"]]})
            return existing, False
    if body.get("grid"):
        grid = _unit(body["grid"], "grid")
        if grid.level != "grid":
            raise Invalid("Not a grid.", fields={"grid": [body["grid"]]})
        community = grid.parent
    else:
        grid, community = None, _unit(body.get("community"), "community")
        if community.level != "community":
            raise Invalid("Not a community.", fields={"community": [body.get("community")]})
    require(
        people.manages(user, grid or community),
        "Tasks are created by the community's secretary, the street or the district.",
    )
    responsible = db.session.get(User, body.get("responsible_id") or user.id)
    if responsible is None or not responsible.active:
        raise Invalid("No such person.", fields={"responsible_id": [body.get("responsible_id")]})
    if body["deadline"] <= clock.now():
        raise Invalid("The deadline must be in the future.", fields={"deadline": ["in the past"]})
    incident_id = body.get("incident_id")
    if incident_id and db.session.get(Incident, incident_id) is None:
        raise Invalid("No such incident.", fields={"incident_id": [incident_id]})
    now = clock.now()
    task = Task(
        id=body.get("id") or str(uuid.uuid4()),
        title=body["title"],
        kind=body["kind"],
        incident_id=incident_id,
        community_id=community.id,
        grid_id=grid.id if grid else None,
        target=body["target"],
        capacity=body["capacity"],
        claimed=0,
        responsible_id=responsible.id,
        deadline=body["deadline"],
        measures=body.get("measures"),
        state=OPEN,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(task)
    record(
        "task",
        task.id,
        "create",
        user,
        to_state=OPEN,
        note=body["title"],
        scope=(task.grid_id, task.community_id),
        data={
            "capacity": task.capacity,
            "grid": grid.code if grid else None,
            "community": community.code,
        },
    )
    transaction.commit()
    return task, True


def create_for_emergency(user, switch_id, specs):
    """Emergency tasks from a template, in bulk (a whole district is 514 grids times the
    template): two statements, whatever the number. Each spec holds title, target, measures,
    capacity, hours (its natural-hour time limit), stage, grid_id, community_id and
    responsible_id. The number made."""
    if not specs:
        return 0
    now = clock.now()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "title": spec["title"],
            "kind": EMERGENCY,
            "emergency_id": switch_id,
            "community_id": spec["community_id"],
            "grid_id": spec["grid_id"],
            "target": spec["target"],
            "capacity": spec["capacity"],
            "claimed": 0,
            "responsible_id": spec["responsible_id"],
            "deadline": now + timedelta(hours=spec["hours"]),
            "measures": spec["measures"],
            "state": OPEN,
            "created_by_id": user.id,
            "created_at": now,
            "updated_at": now,
        }
        for spec in specs
    ]
    db.session.execute(insert(Task), rows)
    record_many(
        "task",
        "create",
        user,
        [
            {
                "entity_id": row["id"],
                "scope": (row["grid_id"], row["community_id"]),
                "to_state": OPEN,
                "note": row["title"],
                "data": {"emergency": switch_id, "stage": spec["stage"]},
            }
            for row, spec in zip(rows, specs, strict=True)
        ],
    )
    return len(rows)


def end_emergency(user, switch_id, reason):
    """The switch's open tasks end with it, their places freed; the number cancelled."""
    open_tasks = db.session.execute(
        select(Task.id, Task.grid_id, Task.community_id).where(
            Task.emergency_id == switch_id, Task.state == OPEN
        )
    ).all()
    if not open_tasks:
        return 0
    ids = [row.id for row in open_tasks]
    now = clock.now()
    db.session.execute(
        update(Claim)
        .where(Claim.task_id.in_(ids), Claim.live)
        .values(live=False, released_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Task)
        .where(Task.id.in_(ids))
        .values(state=CANCELLED, claimed=0, reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    record_many(
        "task",
        "cancel",
        user,
        [
            {
                "entity_id": row.id,
                "scope": (row.grid_id, row.community_id),
                "from_state": OPEN,
                "to_state": CANCELLED,
                "note": reason,
            }
            for row in open_tasks
        ],
    )
    return len(ids)


def emergency_figures(switch_id):
    """How a switch's tasks stand: open (of which claimed and overdue), completed, verified,
    cancelled."""
    now = clock.now()
    figures = dict.fromkeys(("open", "claimed", "overdue", "completed", "verified", "cancelled"), 0)
    held = func.sum(case((Task.claimed > 0, 1), else_=0))
    late = func.sum(case((Task.deadline < now, 1), else_=0))
    for state, count, claimed, overdue in db.session.execute(
        select(Task.state, func.count(), held, late)
        .where(Task.emergency_id == switch_id)
        .group_by(Task.state)
    ):
        figures[state] += count
        if state == OPEN:
            figures["claimed"], figures["overdue"] = claimed, overdue
    return figures


# -- claims -------------------------------------------------------------------------------------


def _holders_of(task_ids):
    """{task id: [holder]} for many tasks in one query, earliest claim first."""
    rows = db.session.execute(
        select(Claim.task_id, Claim.user_id, User.name, Claim.claimed_at)
        .join(User, User.id == Claim.user_id)
        .where(Claim.task_id.in_(list(task_ids)), Claim.live)
        .order_by(Claim.claimed_at)
    ).all()
    found = {}
    for row in rows:
        found.setdefault(row.task_id, []).append(_holder(row))
    return found


def _holder(row):
    """A holder as Holder shows it, from a row of a claim joined with its member."""
    return {"user_id": row.user_id, "name": row.name, "claimed_at": row.claimed_at}


# A claim's statements, built once (Core, on the session's connection: a rush of claims on a
# task is the hottest write there is, and the ORM's paths cost more than the statements).
_TASKS, _CLAIMS, _USERS = Task.__table__, Claim.__table__, User.__table__
# What deciding a claim or a release needs, in one read: who may see the task (its units and
# who answers for it), its state and places, and who holds them (earliest first).
_SCOPE = (
    select(
        _TASKS.c.id,
        _TASKS.c.state,
        _TASKS.c.capacity,
        _TASKS.c.claimed,
        _TASKS.c.responsible_id,
        _TASKS.c.grid_id,
        _TASKS.c.community_id,
        _CLAIMS.c.user_id,
        _USERS.c.name,
        _CLAIMS.c.claimed_at,
    )
    .select_from(_TASKS)
    .outerjoin(_CLAIMS, and_(_CLAIMS.c.task_id == _TASKS.c.id, _CLAIMS.c.live))
    .outerjoin(_USERS, _USERS.c.id == _CLAIMS.c.user_id)
    .where(_TASKS.c.id == bindparam("b_task"))
    .order_by(_CLAIMS.c.claimed_at)
)


class _Scope(NamedTuple):
    """A task as a claim or a release decides on it: one Core row per holder (`_SCOPE`),
    not the task with its units and responsible person loaded as objects, which cost a
    claim three times its statements."""

    id: str
    state: str
    capacity: int
    claimed: int
    responsible_id: int
    grid_id: int | None
    community_id: int
    holders: list  # [{user_id, name, claimed_at}], earliest first
    noun = "task"  # what app.rules calls it in a refusal

    @classmethod
    def read(cls, task_id):
        """The task's scope, or None if there is no such task."""
        rows = db.session.connection().execute(_SCOPE, {"b_task": task_id}).all()
        if not rows:
            return None
        return cls(*rows[0][:7], [_holder(row) for row in rows if row.user_id is not None])

    def held_by(self, user_id):
        return any(holder["user_id"] == user_id for holder in self.holders)

    def full(self):
        return self.state != OPEN or self.claimed >= self.capacity


def _visible_scope(user, task_id):
    """The scope of a task the user may see; else 404, as for a task that does not exist."""
    scope = _Scope.read(task_id)
    if scope is None or not visible(user, scope):
        raise NotFound("No such task.", fields={"id": [task_id]})
    return scope


# One place more while one is free and the member holds none; the answer is the new count.
_TAKE = (
    update(_TASKS)
    .where(
        _TASKS.c.id == bindparam("b_task"),
        _TASKS.c.state == OPEN,
        _TASKS.c.claimed < _TASKS.c.capacity,
        ~exists().where(
            _CLAIMS.c.task_id == bindparam("b_task"),
            _CLAIMS.c.user_id == bindparam("b_user"),
            _CLAIMS.c.live,
        ),
    )
    .values(
        claimed=_TASKS.c.claimed + 1, updated_at=bindparam("b_at", type_=_TASKS.c.updated_at.type)
    )
    .returning(_TASKS.c.claimed, _TASKS.c.updated_at)
)
_GIVE_BACK = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("b_task"))
    .values(claimed=_TASKS.c.claimed - 1)
    .returning(_TASKS.c.claimed)
)
_claim_inserts = {}


def _claim_insert(dialect):
    """INSERT of a live claim that does nothing if the member already holds one (the partial
    unique index), returning the new claim's id: one statement per dialect, built once."""
    if dialect not in _claim_inserts:
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _claim_inserts[dialect] = (
            make(_CLAIMS)
            .on_conflict_do_nothing(
                index_elements=[_CLAIMS.c.task_id, _CLAIMS.c.user_id], index_where=_CLAIMS.c.live
            )
            .returning(_CLAIMS.c.id)
        )
    return _claim_inserts[dialect]


def _take_place(task, member, assigned_by=None):
    """Take one place on the task (a Task, or its _Scope) for `member`: True, or False if
    they already held one.

    Capacity rests on the database: one conditional UPDATE raises `claimed` only while it is
    below `capacity` and the member holds no live claim (PostgreSQL re-checks the count on
    the locked row, SQLite runs one writer at a time), a CHECK refuses anything above, and a
    partial unique index allows one live claim per member. Two requests of the same member
    at once both pass the UPDATE (the second after the first commits): the second's INSERT
    meets the first's claim and does nothing, and it gives its place back. No savepoint: a
    claim that takes no place has written nothing. A scope read a moment ago that shows the
    task full, or the member holding a place, answers without the UPDATE: as if the claim
    had come at that moment (most claims of a rush find the task full).
    """
    if isinstance(task, _Scope) and (task.held_by(member.id) or task.full()):
        return _no_place(task, member)
    connection = db.session.connection()
    now = clock.now()
    taken = connection.execute(_TAKE, {"b_task": task.id, "b_user": member.id, "b_at": now}).first()
    if taken is not None:
        claim_id = connection.execute(
            _claim_insert(connection.dialect.name),
            {
                "task_id": task.id,
                "user_id": member.id,
                "claimed_at": now,
                "live": True,
                "assigned_by_id": assigned_by.id if assigned_by else None,
            },
        ).scalar()
        if claim_id is not None:
            _counted(task.id, taken.claimed, taken.updated_at)
            return True
        # The member's other request, a moment earlier, took a place: give this one back.
        _counted(task.id, connection.execute(_GIVE_BACK, {"b_task": task.id}).scalar())
        return False
    scope = _Scope.read(task.id)
    if scope is None:
        raise NotFound("No such task.", fields={"id": [task.id]})
    return _no_place(scope, member)


def _no_place(scope, member):
    """False if the member holds a place already (sent again: harmless, not a refusal
    naming the member to itself); else why the task has none for them (409)."""
    if scope.held_by(member.id):
        return False
    require_state(scope, (OPEN,), "claim")
    names = ", ".join(f"{h['name']} at {clock.told(h['claimed_at'])}" for h in scope.holders)
    raise Conflict(
        f"Task full: claimed by {names}.",
        code="task_full",
        extra={"holders": Holder(many=True).dump(scope.holders), "capacity": scope.capacity},
    )


def _counted(task_id, claimed, updated_at=None):
    """The task's count as the database just changed it, in the session's copy of the task
    if it holds one (an earlier command of a push may have loaded it)."""
    task = db.session.identity_map.get(db.session.identity_key(Task, task_id))
    if task is not None:
        set_committed_value(task, "claimed", claimed)
        if updated_at is not None:
            set_committed_value(task, "updated_at", updated_at)


def claim(user, task_id, device_time=None):
    """A member serving the task's grid takes a place; claiming again is harmless. The
    task's id (the answer reads the task as claimed: `shown`)."""
    scope = _visible_scope(user, task_id)
    require(
        people.serves(user, _area(user, scope)),
        "Only members serving the task's grid may claim it.",
    )
    if _take_place(scope, user):
        record(
            "task",
            scope.id,
            "claim",
            user,
            device_time=device_time,
            scope=(scope.grid_id, scope.community_id),
        )
        transaction.commit()
    return scope.id


def _free_place(task, member, actor, action, note=None, data=None):
    """End the member's live claim and give its place back; False if there was none.

    One conditional UPDATE ends the claim, so of two releases at once (a member and the
    secretary, or a retried request) only one frees the place and `claimed` never drifts.
    """
    connection = db.session.connection()
    now = clock.now()
    ended = connection.execute(_END, {"b_task": task.id, "b_user": member.id, "b_at": now}).rowcount
    if not ended:
        return False
    left = connection.execute(_FREE, {"b_task": task.id, "b_at": now}).first()
    _counted(task.id, left.claimed, left.updated_at)
    if action is not None:
        data = data or {"member": member.id}
        scope = (task.grid_id, task.community_id)
        record("task", task.id, action, actor, note=note, data=data, scope=scope)
    return True


# A release's statements, built once as a claim's are: the member's live claim ended, then
# the place given back (the new count and time returned for the session's copy).
_END = (
    update(_CLAIMS)
    .where(
        _CLAIMS.c.task_id == bindparam("b_task"),
        _CLAIMS.c.user_id == bindparam("b_user"),
        _CLAIMS.c.live,
    )
    .values(live=False, released_at=bindparam("b_at", type_=_CLAIMS.c.released_at.type))
)
_FREE = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("b_task"))
    .values(
        claimed=_TASKS.c.claimed - 1,
        updated_at=bindparam("b_at", type_=_TASKS.c.updated_at.type),
    )
    .returning(_TASKS.c.claimed, _TASKS.c.updated_at)
)


def release(user, task_id, note=None):
    """A claimant gives the place back; releasing what one does not hold is harmless.
    Secretaries take places away with unassign, not release. The task's id (the answer
    reads the task as released: `shown`)."""
    scope = _visible_scope(user, task_id)
    require(
        people.serves(user, _area(user, scope)) or scope.held_by(user.id),
        "Only a member who may claim the task may release it; secretaries unassign.",
    )
    require_state(scope, (OPEN,), "release")
    _free_place(scope, user, user, "release", note)
    transaction.commit()
    return scope.id


def withdraw(member, actor, note, keep):
    """A member who leaves (moved away, deactivated) gives back their places on open tasks,
    unless `keep(unit)`; in the caller's transaction. How many."""
    held = db.session.execute(
        select(Task).join(Claim).where(Claim.user_id == member.id, Claim.live, Task.state == OPEN)
    ).scalars()
    return sum(
        _free_place(task, member, actor, "unassign", note)
        for task in held.all()
        if not keep(task.grid or task.community)
    )


def _manager(user, task):
    require(
        people.manages(user, task.grid or task.community),
        "Only the community's secretary, the street or the district may do that.",
    )


def _member(user_id, task):
    member = db.session.get(User, user_id)
    if (
        member is None
        or not member.active
        or not people.serves(member, task.grid or task.community)
    ):
        raise Invalid(
            "Assign to an active member who serves the task's grid.",
            code="bad_assignee",
            fields={"user_id": [user_id]},
        )
    return member


def assign(user, task_id, member_id, replace_id=None):
    """A secretary gives a place to a member directly, or moves one from `replace_id`
    (one change: one "reassign" entry in the history)."""
    task = get_visible(user, task_id)
    _manager(user, task)
    require_state(task, (OPEN,), "assign")
    member = _member(member_id, task)
    if replace_id is None:
        if _take_place(task, member, assigned_by=user):
            record("task", task.id, "assign", user, data={"member": member.id})
            _tell_assigned(member, task)
        transaction.commit()
        return task
    if replace_id == member.id or _live_claim(task.id, member.id) is not None:
        raise Invalid(
            "That member already holds a place on the task.",
            code="already_holds",
            fields={"user_id": [member_id]},
        )
    previous = db.session.get(User, replace_id)
    if previous is None or not _free_place(task, previous, user, None):
        raise Invalid("That member holds no place on the task.", fields={"replace": [replace_id]})
    _take_place(task, member, assigned_by=user)
    record("task", task.id, "reassign", user, data={"member": member.id, "replaces": previous.id})
    _tell_assigned(member, task)
    transaction.commit()
    return task


def _tell_assigned(member, task):
    """派单: the member hears of it in the inbox and by push."""
    inbox.deliver([member.id], "dispatch", f"派单：{task.title}", task.target, "task", task.id)


def unassign(user, task_id, member_id, note=None):
    task = get_visible(user, task_id)
    _manager(user, task)
    require_state(task, (OPEN,), "unassign")
    member = db.session.get(User, member_id)
    if member is None or not _free_place(task, member, user, "unassign", note):
        raise Invalid("That member holds no place on the task.", fields={"user_id": [member_id]})
    transaction.commit()


# -- doing the work -----------------------------------------------------------------------------


def _claimant(user, task_id, states, action):
    task = get_visible(user, task_id)
    require(_holds(user, task), "Only a member holding the task may do that.")
    require_state(task, states, action)
    return task


def progress(user, task_id, note, evidence=(), device_time=None, point=None):
    task = _claimant(user, task_id, (OPEN,), "report progress on")
    photos.attach("task", task.id, list(evidence), user)
    record("task", task.id, "progress", user, note=note, device_time=device_time, point=point)
    transaction.commit()
    return task


def complete(user, task_id, note, lat, lng, evidence, device_time=None):
    """Done, with at least one photo and the point where it was done."""
    task = _claimant(user, task_id, (OPEN,), "complete")
    if not evidence:
        raise Invalid(
            "Completion needs at least one photo.",
            code="evidence_required",
            fields={"photos": ["at least one"]},
        )
    area = db.session.execute(
        select(Unit)
        .where(Unit.id == (task.grid_id or task.community_id))
        .options(undefer(Unit.geom))
    ).scalar()
    off_by = spatial.distance_to_m(area.geom, lat, lng)
    now = clock.now()
    task.state = COMPLETED
    task.completed_by_id = user.id
    task.completed_at = now
    task.completion_note = note
    task.completion_lat, task.completion_lng = lat, lng
    task.off_site_m = off_by if off_by > OFF_SITE_TOLERANCE_M else None
    task.updated_at = now
    photos.attach("task", task.id, evidence, user)
    record(
        "task",
        task.id,
        "complete",
        user,
        from_state=OPEN,
        to_state=COMPLETED,
        note=note,
        device_time=device_time,
        point=(lat, lng),
        data={"off_site_m": round(off_by)} if task.off_site_m else None,
    )
    transaction.commit()
    return task


def verify(user, task_id, passed, reason=None):
    """The secretary checks completed work: it passes, or returns with a reason."""
    task = get_visible(user, task_id)
    _manager(user, task)
    require_state(task, (COMPLETED,), "verify")
    if not passed and not reason:
        raise Invalid("Say why the work goes back.", fields={"reason": ["required"]})
    task.state = VERIFIED if passed else OPEN
    task.reason = None if passed else reason
    task.updated_at = clock.now()
    record(
        "task",
        task.id,
        "verify" if passed else "return",
        user,
        from_state=COMPLETED,
        to_state=task.state,
        note=reason,
    )
    for hook in VERIFIED_HOOKS if passed else ():
        hook(task, user)
    transaction.commit()
    return task


def cancel(user, task_id, reason):
    task = get_visible(user, task_id)
    _manager(user, task)
    require_state(task, (OPEN, COMPLETED), "cancel")
    from_state = task.state
    # A cancelled task holds nobody: its places go back with it, so members' loads are true.
    db.session.execute(
        update(Claim)
        .where(Claim.task_id == task.id, Claim.live)
        .values(live=False, released_at=clock.now())
    )
    task.claimed = 0
    task.state, task.reason, task.updated_at = CANCELLED, reason, clock.now()
    record("task", task.id, "cancel", user, from_state=from_state, to_state=CANCELLED, note=reason)
    transaction.commit()
    return task


# -- reading ------------------------------------------------------------------------------------


# What a task is shown with, loaded with it rather than one query per row.
SHOWN_WITH = (joinedload(Task.community), joinedload(Task.grid), joinedload(Task.responsible))


def _visible_to(user):
    """The tasks a user may see, as a query to narrow."""
    query = select(Task).options(*SHOWN_WITH)
    if user.role != DISTRICT_ADMIN:
        mine = select(Claim.task_id).where(Claim.user_id == user.id, Claim.live)
        own = [Task.id.in_(mine), Task.responsible_id == user.id]
        for area in people.areas(user):
            own.append(_within(area))
        if user.role in people.FIELD:
            # Pool tasks of the communities around a member's grids.
            parents = [area.parent_id for area in user.units if area.level == "grid"]
            own.append(Task.grid_id.is_(None) & Task.community_id.in_(parents))
        query = query.where(or_(*own))
    return query


def snapshot(user, after_id, since, limit):
    """A page of what a phone's first sync holds: tasks still to do or verify and those
    changed since `since`, in id order after `after_id`."""
    query = _visible_to(user).where(
        or_(Task.state.in_((OPEN, COMPLETED)), Task.updated_at >= since), Task.id > after_id
    )
    return db.session.execute(query.order_by(Task.id).limit(limit)).scalars().all()


def listing(user, filters):
    query = _visible_to(user)
    # Without a state filter, the work still to do or to verify; finished work on request.
    query = query.where(Task.state.in_(filters.get("state") or (OPEN, COMPLETED)))
    if filters.get("grid"):
        query = query.join(Unit, Unit.id == Task.grid_id).where(Unit.code == filters["grid"])
    if filters.get("mine"):
        query = query.where(
            Task.id.in_(select(Claim.task_id).where(Claim.user_id == user.id, Claim.live))
        )
    if filters.get("claimable"):
        query = query.where(Task.state == OPEN, Task.claimed < Task.capacity)
    if filters.get("overdue"):
        query = query.where(Task.state == OPEN, Task.deadline < clock.now())
    # Emergency work first: the normal queue steps back, and is all still there.
    query = query.order_by(Task.emergency_id.is_(None), Task.deadline, Task.created_at)
    return (
        db.session.execute(query.limit(filters.get("limit", 100)).offset(filters.get("offset", 0)))
        .scalars()
        .all()
    )


def _within(area):
    if area.level == "district":
        return Task.id.is_not(None)
    if area.level == "street":
        return Task.community_id.in_(select(Unit.id).where(Unit.parent_id == area.id))
    if area.level == "community":
        return Task.community_id == area.id
    return Task.grid_id == area.id


def present(user, tasks, *, detail=False, holders=None):
    """Tasks as this user sees them, for TaskOut (or TaskDetail) to dump: their holders
    (unless given, {task id: [holder]}) and photos gathered for all of them at once."""
    now = clock.now()
    photo_map = photos.attachments("task", [t.id for t in tasks])
    if holders is None:
        holders = _holders_of([t.id for t in tasks]) if tasks else {}
    out = []
    for task in tasks:
        held = holders.get(task.id, [])
        shown = Shown(
            task,
            holders=held,
            mine=any(h["user_id"] == user.id for h in held),
            overdue=task.state == OPEN and task.deadline < now,
            photos=photo_map.get(task.id, []),
        )
        if detail:
            shown.history = timeline("task", task.id)
        out.append(shown)
    return out


# A task as a claim or a release leaves it: with what it is shown with and its live holders,
# one row per holder (earliest first), in one query.
_SHOWN_WITH_HOLDERS = (
    select(Task, _CLAIMS.c.user_id, _USERS.c.name, _CLAIMS.c.claimed_at)
    .options(*SHOWN_WITH)
    .outerjoin(_CLAIMS, and_(_CLAIMS.c.task_id == Task.id, _CLAIMS.c.live))
    .outerjoin(_USERS, _USERS.c.id == _CLAIMS.c.user_id)
    .where(Task.id == bindparam("b_task"))
    .order_by(_CLAIMS.c.claimed_at)
)


def claimed_detail(user, task_id):
    """The task as the user's claim or release left it, for TaskDetail: read in one query
    with its holders (who may see it the service has just decided)."""
    rows = db.session.execute(_SHOWN_WITH_HOLDERS, {"b_task": task_id}).all()
    holders = [_holder(row) for row in rows if row.user_id is not None]
    return present(user, [rows[0][0]], detail=True, holders={task_id: holders})[0]


def _photo_visible(user, task_id):
    task = db.session.get(Task, task_id)
    return task is not None and visible(user, task)


def _scope(task_id):
    task = db.session.get(Task, task_id)
    return task.grid_id, task.community_id


photos.register_visibility("task", _photo_visible)
register_scope("task", _scope)
