"""Rules of incidents: reporting, the case flow with its deadlines, duplicates, whistles,
escalation of overdue cases. Every change of state is one history entry."""

import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import JSON, Text, bindparam, cast, func, insert, literal_column, null, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.types import TypeDecorator

from app import clock, privacy, transaction
from app.catalogue import services as catalogue
from app.catalogue.calendar import due_state
from app.errors import ApiError, Conflict, Invalid, NotFound
from app.extensions import db
from app.history import services as history
from app.history.models import HistoryEntry
from app.history.services import record, register_scope
from app.incidents.models import (
    ACCEPTED,
    CLOSED,
    DISPATCHED,
    FINAL,
    HANDLED,
    IN_PROGRESS,
    LIAISON,
    MEMBER,
    MERGED,
    OPEN,
    REJECTED,
    REPORTED,
    STAGE,
    Follower,
    Incident,
    Whistle,
)
from app.notify import services as inbox
from app.people import services as people
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    SECRETARY,
    STREET_ADMIN,
    Department,
    User,
)
from app.photos import services as photos
from app.photos.models import Attachment
from app.privacy import mask_name, mask_phone
from app.rules import require, require_state
from app.schemas import Shown
from app.units import services as units
from app.units import spatial
from app.units.models import Unit

DUPLICATE_RADIUS_M = 250
DUPLICATE_DAYS = 7
DUPLICATE_MAX = 5
WHISTLE_DEFAULT_MINUTES = 30


# -- who may do what ---------------------------------------------------------------------------


def visible(user, incident):
    """Whether the incident exists for this user at all (if not: 404, nothing leaks)."""
    if user.role == DISTRICT_ADMIN or incident.reporter_id == user.id:
        return True
    if user.role == DEPARTMENT:
        return _whistled(user, incident.id)
    if incident.assignee_id == user.id or people.can_view(user, incident.grid):
        return True
    return db.session.get(Follower, (incident.id, user.id)) is not None


def _whistled(user, incident_id):
    return (
        user.department_id is not None
        and db.session.execute(
            select(Whistle.id).where(
                Whistle.incident_id == incident_id, Whistle.department_id == user.department_id
            )
        ).first()
        is not None
    )


def get_visible(user, incident_id, *, lock=False):
    if lock:
        query = select(Incident).where(Incident.id == incident_id).with_for_update()
        incident = db.session.execute(query).scalar()
    else:  # from the session's identity map if it holds it (a push's report, then its comment)
        incident = db.session.get(Incident, incident_id)
    if incident is None or not visible(user, incident):
        raise NotFound("No such incident.", fields={"id": [incident_id]})
    return incident


# -- deadlines -----------------------------------------------------------------------------------


def _start_stage(incident, now):
    """Set the deadline of the stage the incident's state is in, from the catalogue."""
    for name, value in _stage(incident.category_code, incident.urgent, incident.state, now):
        setattr(incident, name, value)


def _stage(category_code, urgent, state, now):
    """(column, value) of the stage that `state` starts at `now`: its start and deadline."""
    stage = STAGE.get(state)
    limit = catalogue.catalogue().limit(category_code, stage, urgent) if stage else None
    return (
        ("stage_started_at", now if stage else None),
        ("deadline", catalogue.calendar().deadline(now, limit) if stage else None),
        ("escalation", 0),
    )


def due(incident, now=None, *, cat=None, calendar=None):
    """on_time, due_soon or overdue; None for a closed case. `cat` and `calendar` are the
    catalogue's and the calendar in force, when the caller has them (for many cases)."""
    if incident.deadline is None or incident.state in FINAL:
        return None
    cat = catalogue.catalogue() if cat is None else cat
    limit = cat.limit(incident.category_code, STAGE[incident.state], incident.urgent)
    return due_state(
        now or clock.now(),
        incident.deadline,
        incident.stage_started_at,
        catalogue.calendar() if calendar is None else calendar,
        natural=limit.natural,
    )


# -- reporting -----------------------------------------------------------------------------------


class Reported(NamedTuple):
    """What `report` did: the incident and whether it is new (not the original of a resent
    id); for a new one, where it was placed and, if asked for, its photos as shown, so that
    showing it reads nothing back (see `present_reported`)."""

    incident: Incident
    created: bool
    place: dict | None = None
    photos: list | None = None


# Built once: a report is the hottest write there is (and a push carries hundreds). A resent
# id inserts nothing (rather than failing, which would need a savepoint for each report).
_INSERT = (
    sqlite.insert(Incident.__table__)
    .on_conflict_do_nothing(index_elements=["id"])
    .returning(Incident.__table__.c.id)
)


class _Given:
    """Rows of a table given to a statement as one JSON parameter (`json_populate_recordset`
    over the table's row type, in order): a short statement of one parameter however many
    rows, so that psycopg caches its conversion and prepares it (an array a column, 52 of
    them, cost more to convert than the statements they merged), and each value still as
    its column type binds it (encrypted, in UTC)."""

    def __init__(self, table, name):
        self.table, self.name = table, name
        self.names = [c.name for c in table.c if c is not table.autoincrement_column]
        self.rows = (
            func.json_populate_recordset(
                literal_column(f"NULL::{table.name}"), cast(bindparam(name, type_=Text), JSON)
            )
            # by name: the row type's columns are the table's, in the database's order
            .table_valued(*self.names, with_ordinality="ordinality")
            .alias("given")  # within its own statement, under the CTE's
        )
        self._binds = {}

    def select(self):
        return select(*(self.rows.c[n] for n in self.names))

    def parameter(self, rows, dialect):
        """The statement's parameter for these rows (dicts by column name)."""
        if dialect.name not in self._binds:
            self._binds[dialect.name] = [
                (n, self.table.c[n].type.bind_processor(dialect))
                if isinstance(self.table.c[n].type, TypeDecorator)
                else (n, None)
                for n in self.names
            ]
        binds = self._binds[dialect.name]
        return json.dumps(
            [{n: row[n] if bind is None else bind(row[n]) for n, bind in binds} for row in rows],
            default=datetime.isoformat,
        )


def _one_statement(with_history):
    """On PostgreSQL, a run of reports written by one statement: the incidents (a taken id
    inserts nothing), and for each new one its attachments, which say whether their photos
    have arrived, and (`with_history`) its history entry. Its rows: (id, None, None) for an
    incident inserted, (incident id, sha256, available) for an attachment."""
    incident, attachment = _GIVEN["incident"], _GIVEN["attachment"]
    new = (
        postgresql.insert(incident.table)
        .from_select(incident.names, incident.select().order_by(incident.rows.c.ordinality))
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(incident.table.c.id)
        .cte("new")
    )

    def of_new(given):  # the rows given for the incidents inserted, in order
        rows = given.select().join(new, new.c.id == given.rows.c.entity_id)
        return insert(given.table).from_select(given.names, rows.order_by(given.rows.c.ordinality))

    attached = (
        of_new(attachment)
        .returning(attachment.table.c.entity_id, attachment.table.c.sha256, photos.AVAILABLE)
        .cte("attached")
    )
    statement = select(new.c.id, null(), null()).union_all(
        select(attached.c.entity_id, attached.c.sha256, attached.c.available)
    )
    if with_history:  # PostgreSQL runs a CTE that writes whether or not it is read
        statement = statement.add_cte(of_new(_GIVEN["history"]).cte("recorded"))
    return statement


_GIVEN = {
    given.name: given
    for given in (
        _Given(Incident.__table__, "incident"),
        _Given(Attachment.__table__, "attachment"),
        _Given(HistoryEntry.__table__, "history"),
    )
}
_ONE_STATEMENT = {held: _one_statement(not held) for held in (False, True)}


def report(user, body, *, shown=False, source=None):
    """A new incident, or the same one again if this reporter already sent this id. With
    `shown`, the new incident's photos as `present` shows them are asked in the same
    transaction. `source` is where the server knows the case came from (a patrol, a
    resident's page, a gateway key); otherwise the reporter's word (`body["source"]`) stands.

    A resent id is the rare case: the insert is tried first and the primary key says whether
    the id was taken (rather than a look before every insert), then the original is found."""
    (reported,) = report_many(user, [body], shown=shown, source=source)
    if isinstance(reported, ApiError):
        raise reported
    return reported


def placements(points):
    """For reports at these (lng, lat) points, where each is placed (None: outside every
    grid), for `report_many` to be given."""
    return units.placements(points)


def report_many(user, bodies, *, shown=False, source=None, places=None):
    """`report` for many bodies of one reporter at once (a sync push's run of reports): for
    each body, in order, its `Reported`, or the ApiError that refused it (its own checks,
    done first: a refused body changes nothing). The accepted are placed in one query and
    inserted in one statement, their photos in another, and committed together (in a
    group: flushed). A value the database refuses fails them all: the caller, who holds a
    savepoint round them, replays them one by one. The bodies' ids are distinct."""
    outcomes = [_checked(user, body) for body in bodies]
    accepted = [i for i, outcome in enumerate(outcomes) if outcome is None]
    # Placed already (`places`, by `placements`), or placed now, all in one query.
    places = dict(places or {})
    points = [(bodies[i]["lng"], bodies[i]["lat"]) for i in accepted]
    unplaced = [point for point in points if point not in places]
    places.update(zip(unplaced, units.placements(unplaced), strict=True))
    rows, now = {}, clock.now()
    for i, point in zip(accepted, points, strict=True):
        try:
            rows[i] = _row(user, bodies[i], _placed(bodies[i], places[point]), source, now)
        except ApiError as refused:
            outcomes[i] = refused
    if not rows:
        return outcomes
    inserted, arrived = _insert(
        [row for row, _ in rows.values()],
        photos.attachment_rows(
            "incident", [(row["id"], bodies[i]["photos"]) for i, (row, _) in rows.items()], user
        ),
        [_entry(user, bodies[i], row, place) for i, (row, place) in rows.items()],
    )
    taken = [row["id"] for row, _ in rows.values() if row["id"] not in inserted]
    originals = {}
    if taken:  # sent before, or twice at once (PostgreSQL waits for the other)
        originals = {
            incident.id: incident
            for incident in db.session.execute(
                select(Incident).where(Incident.id.in_(taken))
            ).scalars()
        }
    here = defaultdict(set)  # the photos that have arrived, by incident
    for incident_id, sha in arrived:
        here[incident_id].add(sha)
    for i, (row, place) in rows.items():
        if row["id"] not in inserted:
            original = originals[row["id"]]
            if original.reporter_id != user.id:
                outcomes[i] = Conflict(
                    "That id is taken.", code="id_taken", fields={"id": [row["id"]]}
                )
            else:
                outcomes[i] = Reported(original, False)
            continue
        # The objects taken as loaded: the ORM's unit of work would only repeat what is
        # known here. Made after the statement: a failed one leaves none in the session.
        incident = Incident(**row)
        make_transient_to_detached(incident)
        db.session.add(incident)
        shown_photos = photos.shown(bodies[i]["photos"], here[incident.id]) if shown else None
        outcomes[i] = Reported(incident, True, place, shown_photos)
    transaction.commit()
    return outcomes


def _entry(user, body, row, place):
    """The history entry of a report's row."""
    return history.entry(
        "incident",
        row["id"],
        "report",
        user,
        to_state=row["state"],
        note=body["description"],
        device_time=body.get("device_time"),
        point=(body["lat"], body["lng"]),
        scope=(row["grid_id"], row["community_id"]),
        data={
            "grid": place["grid"]["code"],
            "handled_on_spot": body["handled_on_spot"],
            "source": row["source"],
        },
    )


def _insert(rows, attachments, entries):
    """Insert the incidents' rows and, for each that is new (a taken id inserts nothing),
    its attachments and history entry, in the caller's transaction: the ids inserted, and
    the (incident id, sha256) of the photos that have arrived. On PostgreSQL one statement
    (the history of a push is held for the push to write); on SQLite one each. Core
    statements on the session's connection: no autoflush."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        held = history.holding()
        given = {"incident": rows, "attachment": attachments, "history": entries}
        parameters = {
            name: _GIVEN[name].parameter(given[name], connection.dialect)
            for name in ("incident", "attachment") + (() if held else ("history",))
        }
        inserted, arrived = set(), set()
        for incident_id, sha, available in connection.execute(_ONE_STATEMENT[held], parameters):
            if sha is None:
                inserted.add(incident_id)
            elif available:
                arrived.add((incident_id, sha))
        if held:
            history.write([entry for entry in entries if entry["entity_id"] in inserted])
        return inserted, arrived
    inserted = set(connection.execute(_INSERT, rows).scalars())
    arrived = photos.attach_rows([row for row in attachments if row["entity_id"] in inserted])
    history.write([entry for entry in entries if entry["entity_id"] in inserted])
    return inserted, arrived


def _checked(user, body):
    """The ApiError refusing a report before it is placed, or None."""
    try:
        require(user.role != DEPARTMENT, "Departments do not report incidents here.")
        try:
            catalogue.catalogue().subcategory(body["category"])
        except KeyError:
            raise Invalid("Unknown category.", fields={"category": [body["category"]]}) from None
        kinds = {p["kind"] for p in body["photos"]}
        if body["handled_on_spot"] and not {"before", "after"} <= kinds:
            raise Invalid(
                "Handling on the spot needs a before and an after photo.",
                code="evidence_required",
                fields={"photos": ["needs kinds before and after"]},
            )
    except ApiError as refused:
        return refused
    return None


def _placed(body, place):
    """The placement of a report's point (the server places it; the phone's opinion of its
    grid is not asked), or the refusal of a point outside every grid."""
    if place is None:  # for a report it is bad input, not a missing resource
        outside = units.outside_district(body["lng"], body["lat"])
        raise Invalid(outside.message, code=outside.code, fields=outside.fields)
    return place


def _row(user, body, place, source, now):
    """The incident's row to insert, and where it was placed."""
    if user.role == people.LIAISON:  # a 联户长 reports in its own grid, as itself
        require(
            place["grid"]["id"] in {unit.id for unit in user.units},
            "A 联户长 reports in their own grid.",
        )
        source = LIAISON
    row = {
        "id": body.get("id") or str(uuid.uuid4()),
        "category_code": body["category"],
        "urgent": body["urgent"],
        "description": body["description"],
        "lat": body["lat"],
        "lng": body["lng"],
        "accuracy_m": body.get("accuracy_m"),
        "address": body.get("address"),
        "grid_id": place["grid"]["id"],
        "community_id": place["community"]["id"],
        "street_id": place["street"]["id"],
        "reporter_id": user.id,
        "resident_name": body.get("resident_name"),
        "resident_phone": body.get("resident_phone"),
        "state": HANDLED if body["handled_on_spot"] else REPORTED,
        "source": source or body.get("source") or MEMBER,
        "self_handled": body["handled_on_spot"],
        "assignee_id": user.id if body["handled_on_spot"] else None,
        "merged_into_id": None,
        "rework_count": 0,
        "supervised": False,
        "reason": None,
        "reported_at": now,
        "updated_at": now,
        "device_time": body.get("device_time"),
    }
    row.update(_stage(row["category_code"], row["urgent"], row["state"], now))
    return row, place


def similar(user, category, lat, lng, now=None):
    """Open incidents of the same category within 250 m in the last 7 days, nearest first."""
    now = now or clock.now()
    box = spatial.metres_box(lat, lng, DUPLICATE_RADIUS_M)
    candidates = db.session.execute(
        select(Incident).where(
            Incident.category_code == category,
            Incident.state.in_(OPEN),
            Incident.reported_at >= now - timedelta(days=DUPLICATE_DAYS),
            Incident.lat.between(box[1], box[3]),
            Incident.lng.between(box[0], box[2]),
        )
    ).scalars()
    near = []
    for incident in candidates:
        distance = spatial.distance_m(lat, lng, incident.lat, incident.lng)
        if distance <= DUPLICATE_RADIUS_M and visible(user, incident):
            near.append((distance, incident))
    near.sort(key=lambda pair: (pair[0], pair[1].id))
    return near[:DUPLICATE_MAX]


def me_too(user, incident_id):
    """附议: a field member joins an open incident instead of filing the same problem again."""
    incident = get_visible_open_to(user, incident_id)
    require(user.role in people.FIELD, '"Me too" is for members in the field.')
    if db.session.get(Follower, (incident.id, user.id)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(Follower(incident_id=incident.id, user_id=user.id))
                record("incident", incident.id, "me_too", user)
        except IntegrityError:  # the member's other request joined a moment earlier
            pass
        transaction.commit()
    return incident


def get_visible_open_to(user, incident_id):
    """For "me too": any field member or manager who can see the incident's grid."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not (
        visible(user, incident)
        or people.can_view(user, incident.grid)
        or people.serves(user, incident.grid)
    ):
        raise NotFound("No such incident.", fields={"id": [incident_id]})
    require_state(incident, OPEN, "join")
    return incident


# -- the case flow -------------------------------------------------------------------------------


def _transition(
    incident,
    user,
    action,
    to_state,
    *,
    note=None,
    data=None,
    device_time=None,
    point=None,
    restart_stage=True,
):
    from_state = incident.state
    now = clock.now()
    incident.state = to_state
    incident.updated_at = now
    if restart_stage:
        _start_stage(incident, now)
    record(
        "incident",
        incident.id,
        action,
        user,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data,
        device_time=device_time,
        point=point,
    )


def _manager_action(user, incident_id, states, action):
    incident = get_visible(user, incident_id, lock=True)
    require(
        people.manages(user, incident.grid),
        "Only the community's secretary or the street and district may do that.",
    )
    require_state(incident, states, action)
    return incident


def accept(user, incident_id, note=None):
    """立案: the case is real and within the catalogue's filing conditions."""
    incident = _manager_action(user, incident_id, (REPORTED,), "accept")
    _transition(incident, user, "accept", ACCEPTED, note=note)
    transaction.commit()
    return incident


def reject(user, incident_id, reason):
    incident = _manager_action(user, incident_id, (REPORTED,), "reject")
    incident.reason = reason
    _transition(incident, user, "reject", REJECTED, note=reason)
    transaction.commit()
    return incident


def merge(user, incident_id, into_id, note=None):
    """A duplicate of another open incident: its reporter follows the original."""
    incident = _manager_action(user, incident_id, (REPORTED,), "merge")
    original = db.session.get(Incident, into_id)
    if original is None or original.id == incident.id or not visible(user, original):
        raise Invalid("Merge into an incident you can see.", fields={"into": [into_id]})
    require_state(original, OPEN, "merge into")
    incident.merged_into_id = original.id
    if db.session.get(Follower, (original.id, incident.reporter_id)) is None:
        db.session.add(Follower(incident_id=original.id, user_id=incident.reporter_id))
    _transition(incident, user, "merge", MERGED, note=note, data={"into": original.id})
    transaction.commit()
    return incident


def dispatch(user, incident_id, assignee_id, deadline=None, note=None):
    """派遣: send an accepted case to a member who serves its grid."""
    incident = _manager_action(user, incident_id, (ACCEPTED,), "dispatch")
    assignee = db.session.get(User, assignee_id)
    if assignee is None or not assignee.active or not people.serves(assignee, incident.grid):
        raise Invalid(
            "Dispatch to an active member who serves the incident's grid.",
            code="bad_assignee",
            fields={"assignee_id": [assignee_id]},
        )
    incident.assignee_id = assignee.id
    _transition(
        incident,
        user,
        "dispatch",
        DISPATCHED,
        note=note,
        data={
            "assignee": assignee.id,
            "assignee_name": assignee.name,
            # A deadline set by hand is what the assessment counts the case by.
            **({"deadline": deadline.isoformat()} if deadline is not None else {}),
        },
    )
    if deadline is not None:
        _set_deadline(incident, deadline)
    _tell(assignee.id, "dispatch", "派单", incident, note)
    transaction.commit()
    return incident


def _tell(user_ids, kind, what, incident, note=None):
    """A message about the case in people's inbox (and by push)."""
    try:
        name = catalogue.catalogue().subcategory(incident.category_code).name
    except KeyError:  # a category since removed from the catalogue
        name = incident.category_code
    inbox.deliver(
        user_ids if isinstance(user_ids, list) else [user_ids],
        kind,
        f"{what}：{name}",
        note or incident.description,
        "incident",
        incident.id,
    )


def _set_deadline(incident, deadline):
    if deadline <= clock.now():
        raise Invalid("The deadline must be in the future.", fields={"deadline": ["in the past"]})
    incident.deadline = deadline


def _assignee_action(user, incident_id, states, action):
    incident = get_visible(user, incident_id, lock=True)
    require(incident.assignee_id == user.id, "Only the member it was dispatched to may do that.")
    require_state(incident, states, action)
    return incident


def start(user, incident_id, device_time=None, point=None):
    incident = _assignee_action(user, incident_id, (DISPATCHED,), "start")
    _transition(
        incident,
        user,
        "start",
        IN_PROGRESS,
        device_time=device_time,
        point=point,
        restart_stage=False,
    )
    transaction.commit()
    return incident


def give_back(user, incident_id, reason):
    """回退: the member cannot handle it; it goes back to be dispatched again."""
    incident = _assignee_action(user, incident_id, (DISPATCHED, IN_PROGRESS), "return")
    incident.reason = reason
    incident.assignee_id = None
    _transition(incident, user, "return", ACCEPTED, note=reason)
    transaction.commit()
    return incident


def withdraw(member, actor, note, keep):
    """The cases dispatched to a member who leaves (moved away, deactivated) go back to be
    dispatched again, as with 回退, unless `keep(grid)`; in the caller's transaction. How many."""
    returned = 0
    for incident in db.session.execute(
        select(Incident)
        .where(Incident.assignee_id == member.id, Incident.state.in_((DISPATCHED, IN_PROGRESS)))
        .with_for_update()
    ).scalars():
        if keep(incident.grid):
            continue
        incident.reason = note
        incident.assignee_id = None
        _transition(incident, actor, "return", ACCEPTED, note=note, data={"member": member.id})
        returned += 1
    return returned


def handle(user, incident_id, note, evidence, device_time=None, point=None):
    """处置: done, with at least one "after" photo."""
    incident = _assignee_action(user, incident_id, (DISPATCHED, IN_PROGRESS), "handle")
    if not any(p["kind"] == "after" for p in evidence):
        raise Invalid(
            "Show the result: at least one photo of kind after.",
            code="evidence_required",
            fields={"photos": ["needs an after photo"]},
        )
    photos.attach("incident", incident.id, evidence, user)
    _transition(incident, user, "handle", HANDLED, note=note, device_time=device_time, point=point)
    transaction.commit()
    return incident


def check(user, incident_id, passed, reason=None, evidence=(), point=None):
    """核查: on-site check by a manager or a member of the grid other than the handler.
    Passing closes the case; failing sends it back for rework (返工) to the same member."""
    incident = get_visible(user, incident_id, lock=True)
    may_check = people.manages(user, incident.grid) or people.serves(user, incident.grid)
    require(
        may_check and incident.assignee_id != user.id,
        "The check is for someone other than the member who handled it.",
    )
    require_state(incident, (HANDLED,), "check")
    photos.attach("incident", incident.id, list(evidence), user)
    if passed:
        _transition(incident, user, "check", CLOSED, note=reason, point=point)
    else:
        if not reason:
            raise Invalid("Say what must be redone.", fields={"reason": ["required"]})
        _rework(incident, user, reason, point=point)
    transaction.commit()
    return incident


def _rework(incident, user, reason, *, point=None, data=None):
    """返工: back to the member who handled it; if they have left, to be dispatched again."""
    incident.rework_count += 1
    incident.reason = reason
    assignee = db.session.get(User, incident.assignee_id) if incident.assignee_id else None
    if assignee is None or not assignee.active:
        incident.assignee_id = None
        _transition(incident, user, "rework", ACCEPTED, note=reason, point=point, data=data)
        return
    _transition(incident, user, "rework", DISPATCHED, note=reason, point=point, data=data)
    _tell(incident.assignee_id, "dispatch", "返工", incident, reason)


def rework_after_visit(incident, user, reason):
    """A closed case reopened for rework by a dissatisfied return visit (回访不满意), in the
    caller's transaction (app/return_visits); `user` None is the resident's own verdict."""
    require_state(incident, (CLOSED,), "reopen")
    _rework(incident, user, reason, data={"after": "return_visit"})


def extend(user, incident_id, deadline, reason):
    """延期: a later deadline for the current stage, asked before it runs out."""
    incident = _manager_action(user, incident_id, OPEN, "extend")
    if incident.deadline is None or incident.deadline <= clock.now():
        raise Conflict("An overdue case cannot be extended.", code="overdue")
    if deadline <= incident.deadline:
        raise Invalid("The new deadline must be later.", fields={"deadline": ["not later"]})
    old = incident.deadline
    incident.deadline = deadline
    record(
        "incident",
        incident.id,
        "extend",
        user,
        note=reason,
        data={"from": old.isoformat(), "to": deadline.isoformat()},
    )
    transaction.commit()
    return incident


def supervise(user, incident_id, note):
    """督办: a street or district leader marks the case for supervision."""
    incident = get_visible(user, incident_id, lock=True)
    require(
        user.role in (STREET_ADMIN, DISTRICT_ADMIN) and people.can_view(user, incident.grid),
        "Supervision is for the street and the district.",
    )
    require_state(incident, OPEN, "supervise")
    incident.supervised = True
    record("incident", incident.id, "supervise", user, note=note)
    transaction.commit()
    return incident


def escalate(user, incident_id, note):
    """A secretary raises a case the community cannot solve to the street."""
    incident = _manager_action(user, incident_id, OPEN, "escalate")
    incident.escalation = max(incident.escalation, 2)
    record("incident", incident.id, "escalate", user, note=note, data={"level": "street"})
    transaction.commit()
    return incident


def escalate_overdue(now=None):
    """Raise overdue cases up the chain, one level per allowed span overdue: the secretary
    when the deadline passes, the street after as long again, the 包保 leader after twice
    as long. Idempotent; returns how many cases moved up."""
    now = now or clock.now()
    moved = 0
    overdue = db.session.execute(
        select(Incident)
        .where(Incident.state.in_(OPEN), Incident.deadline < now)
        .with_for_update(skip_locked=True)
    ).scalars()
    for incident in overdue:
        allowed = max(incident.deadline - incident.stage_started_at, timedelta(minutes=1))
        level = min(3, 1 + int((now - incident.deadline) / allowed))
        if level > incident.escalation:
            record(
                "incident",
                incident.id,
                "escalate",
                None,
                data={
                    "level": ("secretary", "street", "leader")[level - 1],
                    "from": incident.escalation,
                },
            )
            incident.escalation = level
            unit = (incident.community_id, incident.street_id, None)[level - 1]
            role = (SECRETARY, STREET_ADMIN, None)[level - 1]
            if unit is None:  # the 包保 leaders of the grid, community or street
                units = (incident.grid_id, incident.community_id, incident.street_id)
                told = sorted({u for ids in people.holders(None, units).values() for u in ids})
            else:
                told = people.holders(role, [unit]).get(unit, [])
            if told:
                _tell(told, "escalation", "超期督办", incident)
            moved += 1
    transaction.commit()
    return moved


# -- whistles (吹哨报到) ---------------------------------------------------------------------------


def whistle(user, incident_id, department_codes, minutes=WHISTLE_DEFAULT_MINUTES, note=None):
    """A street calls departments to an open incident; each must report within `minutes`."""
    incident = get_visible(user, incident_id, lock=True)
    require(
        user.role in (STREET_ADMIN, DISTRICT_ADMIN) and people.can_view(user, incident.street),
        "Only the incident's street or the district may blow the whistle.",
    )
    require_state(incident, OPEN, "call departments to")
    departments = (
        db.session.execute(select(Department).where(Department.code.in_(department_codes)))
        .scalars()
        .all()
    )
    unknown = sorted(set(department_codes) - {d.code for d in departments})
    if unknown:
        raise Invalid("Unknown departments.", fields={"departments": unknown})
    now = clock.now()
    called = []
    for department in departments:
        already = db.session.execute(
            select(Whistle).where(
                Whistle.incident_id == incident.id, Whistle.department_id == department.id
            )
        ).scalar()
        if already is None:
            already = Whistle(
                incident_id=incident.id,
                department_id=department.id,
                called_by_id=user.id,
                called_at=now,
                report_deadline=now + timedelta(minutes=minutes),
                note=note,
            )
            db.session.add(already)
        called.append(already)
    record(
        "incident",
        incident.id,
        "whistle",
        user,
        note=note,
        data={"departments": sorted(department_codes), "minutes": minutes},
    )
    transaction.commit()
    return called


def _department_whistle(user, whistle_id):
    row = db.session.get(Whistle, whistle_id, with_for_update=True)
    if row is None or user.role not in (DEPARTMENT, DISTRICT_ADMIN, STREET_ADMIN):
        raise NotFound("No such call.")
    if user.role == DEPARTMENT and row.department_id != user.department_id:
        raise NotFound("No such call.")
    incident = db.session.get(Incident, row.incident_id)
    if not visible(user, incident):
        raise NotFound("No such call.")
    return row, incident


def whistle_step(user, whistle_id, step, note=None, point=None):
    """报到 (report in), arrive, done: a department's answer to a call."""
    row, incident = _department_whistle(user, whistle_id)
    require(user.role == DEPARTMENT, "Only the called department answers the call.")
    now = clock.now()
    if step == "report":
        row.reported_at = row.reported_at or now
        row.reported_by_id = row.reported_by_id or user.id
    elif step == "arrive":
        row.reported_at = row.reported_at or now
        row.arrived_at = row.arrived_at or now
    elif step == "done":
        if not note:
            raise Invalid("Say what was done.", fields={"note": ["required"]})
        row.arrived_at = row.arrived_at or now
        row.outcome, row.done_at = note, now
    record(
        "whistle",
        row.id,
        step,
        user,
        note=note,
        point=point,
        data={"incident": incident.id, "late": step == "report" and now > row.report_deadline},
    )
    transaction.commit()
    return row


def rate_whistle(user, whistle_id, rating, note=None):
    row, incident = _department_whistle(user, whistle_id)
    require(
        user.role in (STREET_ADMIN, DISTRICT_ADMIN) and people.can_view(user, incident.street),
        "The street that called rates the response.",
    )
    if row.done_at is None:
        raise Conflict(
            "Rate the response once the department has recorded its outcome.", code="wrong_state"
        )
    row.rating, row.rating_note = rating, note
    record("whistle", row.id, "rate", user, note=note, data={"rating": rating})
    transaction.commit()
    return row


# -- reading ------------------------------------------------------------------------------------


def _visible_to(user):
    """The incidents a user may see, as a query to narrow."""
    query = select(Incident).options(*SHOWN_WITH)
    if user.role == DEPARTMENT:
        return query.join(Whistle, Whistle.incident_id == Incident.id).where(
            Whistle.department_id == user.department_id
        )
    if user.role != DISTRICT_ADMIN:
        own = [Incident.reporter_id == user.id, Incident.assignee_id == user.id]
        for area in people.areas(user):
            own.append(_within(area))
        query = query.where(or_(*own))
    return query


def visible_query(user):
    """The incidents a user may see, as a select() to narrow (other domains' listings)."""
    return _visible_to(user)


def snapshot(user, after_id, since, limit):
    """A page of what a phone's first sync holds: open incidents and those changed since
    `since`, in id order after `after_id`."""
    query = _visible_to(user).where(
        or_(Incident.state.in_(OPEN), Incident.updated_at >= since), Incident.id > after_id
    )
    return db.session.execute(query.order_by(Incident.id).limit(limit)).scalars().all()


def listing(user, filters, now=None):
    """The incidents a user may see, filtered, soonest deadline first."""
    query = _visible_to(user)
    if filters.get("state"):
        query = query.where(Incident.state.in_(filters["state"]))
    if filters.get("category"):
        query = query.where(Incident.category_code == filters["category"])
    if filters.get("grid"):
        query = query.join(Unit, Unit.id == Incident.grid_id).where(Unit.code == filters["grid"])
    if filters.get("community"):
        query = query.where(
            Incident.community_id.in_(select(Unit.id).where(Unit.code == filters["community"]))
        )
    if filters.get("urgent") is not None:
        query = query.where(Incident.urgent.is_(filters["urgent"]))
    if filters.get("source"):
        query = query.where(Incident.source.in_(filters["source"]))
    if filters.get("mine"):
        query = query.where(or_(Incident.reporter_id == user.id, Incident.assignee_id == user.id))
    if filters.get("overdue"):
        query = query.where(Incident.state.in_(OPEN), Incident.deadline < (now or clock.now()))
    if filters.get("escalated"):
        query = query.where(Incident.escalation > 0)
    query = query.order_by(Incident.deadline.is_(None), Incident.deadline, Incident.reported_at)
    return (
        db.session.execute(query.limit(filters.get("limit", 100)).offset(filters.get("offset", 0)))
        .scalars()
        .all()
    )


# What an incident is shown with, loaded with it rather than one query per row.
SHOWN_WITH = (
    joinedload(Incident.reporter),
    joinedload(Incident.assignee),
)


def _within(area):
    column = {
        "district": None,
        "street": Incident.street_id,
        "community": Incident.community_id,
        "grid": Incident.grid_id,
    }[area.level]
    return Incident.id.is_not(None) if column is None else column == area.id


def present_reported(user, reported):
    """A report as the API shows it: a new one with the units it was placed in, and its
    photos if `report` was asked for them, as `report` knows them."""
    if not reported.created:
        return present(user, [reported.incident])[0]
    incident, place = reported.incident, reported.place
    units = {place[level]["id"]: place[level] for level in ("grid", "community", "street")}
    photo_map = None if reported.photos is None else {incident.id: reported.photos}
    return present(user, [incident], units=units, photo_map=photo_map)[0]


def present(user, incidents, *, detail=False, units=None, photo_map=None):
    """Incidents as this user may see them (personal data masked below secretary), for
    IncidentOut (or IncidentDetail) to dump: what the rows cannot say, gathered for all of
    them at once. `units` ({id: {code, name}}) and `photo_map` (as `photos.attachments` gives
    it) are what the caller already knows, not read again."""
    from app.history.services import timeline

    now = clock.now()
    full = user.role in people.MANAGERS
    cat, calendar = catalogue.catalogue(), catalogue.calendar()
    # The units the incidents are shown with, in one query.
    units = dict(units or {})
    needed = {i.grid_id for i in incidents} | {i.community_id for i in incidents}
    needed |= {i.street_id for i in incidents}
    needed -= units.keys()
    if needed:
        rows = db.session.execute(
            select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(needed))
        ).all()
        units.update((row.id, {"code": row.code, "name": row.name}) for row in rows)
    if photo_map is None:
        photo_map = photos.attachments("incident", [i.id for i in incidents])
    out = []
    for incident in incidents:
        shown = Shown(
            incident,
            category=_category(cat, incident.category_code),
            grid=units[incident.grid_id],
            community=units[incident.community_id],
            street=units[incident.street_id],
            resident_name=incident.resident_name if full else mask_name(incident.resident_name),
            resident_phone=incident.resident_phone if full else mask_phone(incident.resident_phone),
            due=due(incident, now, cat=cat, calendar=calendar),
            photos=photo_map.get(incident.id, []),
        )
        if detail:
            shown.history = timeline("incident", incident.id)
            shown.whistles = (
                db.session.execute(
                    select(Whistle).where(Whistle.incident_id == incident.id).order_by(Whistle.id)
                )
                .scalars()
                .all()
            )
            shown.followers = (
                db.session.execute(
                    select(Follower.user_id).where(Follower.incident_id == incident.id)
                )
                .scalars()
                .all()
            )
        out.append(shown)
    return out


def _category(cat, code):
    try:
        sub = cat.subcategory(code)
    except KeyError:  # removed from the catalogue since: the case keeps its code
        return {"code": code, "name": None, "parent": None}
    return {"code": code, "name": sub.name, "parent": sub.category_code}


def _photo_visible(user, incident_id):
    incident = db.session.get(Incident, incident_id)
    return incident is not None and visible(user, incident)


def _scope(incident_id):
    incident = db.session.get(Incident, incident_id)
    return (incident.grid_id, incident.community_id) if incident else (None, None)


def _whistle_scope(whistle_id):
    return _scope(db.session.get(Whistle, whistle_id).incident_id)


photos.register_visibility("incident", _photo_visible)
register_scope("incident", _scope)
register_scope("whistle", _whistle_scope)
# A resident's contact is shown in full to managers; the members handling the case ask for it
# (the reason recorded) when they must call the resident.
for _field in ("resident_name", "resident_phone"):
    privacy.register(
        "incident",
        _field,
        load=lambda incident_id: db.session.get(Incident, incident_id),
        visible=visible,
        roles=people.FIELD + people.MANAGERS,
        scope=lambda incident: (incident.grid_id, incident.community_id),
    )
