"""Rules of patrols: started in a grid the member serves, its track merged from batches
exactly once, ended, the incidents found on the way, the secretary's review, and the
retention that reduces old patrols to their figures. Every change is one history entry."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, undefer

from app import clock, transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.incidents import services as incidents
from app.notify import services as inbox
from app.patrols import track
from app.patrols.models import (
    ACTIVE,
    BY_MEMBER,
    ENDED,
    NEW_PATROL,
    SILENCE,
    TOO_LONG,
    Patrol,
    PatrolIncident,
    PatrolPlan,
)
from app.patrols.plans import checkpoint_shape
from app.people import services as people
from app.people.models import DISTRICT_ADMIN
from app.rules import require, require_state
from app.schemas import Shown
from app.units import spatial
from app.units.models import Unit

# A first sync brings active patrols and those of the last days: a community's month of
# patrols is hundreds of them, and a phone needs this week's.
SNAPSHOT_DAYS = 7


def visible(user, patrol):
    """A member's patrols are theirs and their managers' (secretary and up): nobody below
    secretary sees another member's track."""
    return patrol.member_id == user.id or people.manages(user, patrol.grid)


def _get(patrol_id, *, for_update=False):
    query = select(Patrol).options(*SHOWN_WITH).where(Patrol.id == patrol_id)
    if for_update:
        # The batches of one patrol merge one after the other (a resend racing the original).
        query = query.options(undefer(Patrol.track), undefer(Patrol.samples)).with_for_update(
            of=Patrol
        )
        query = query.execution_options(populate_existing=True)
    return db.session.execute(query).unique().scalar()


def get_visible(user, patrol_id, *, for_update=False):
    patrol = _get(patrol_id, for_update=for_update)
    if patrol is None or not visible(user, patrol):
        raise NotFound("No such patrol.", fields={"id": [patrol_id]})
    return patrol


def _own(user, patrol_id, **kw):
    patrol = get_visible(user, patrol_id, **kw)
    require(patrol.member_id == user.id, "Only the member who walks a patrol records it.")
    return patrol


def _scope(patrol):
    return patrol.grid_id, patrol.community_id


def _device_time(moment, earliest=None):
    """A phone's time, never in the server's future (a clock running fast), nor before
    `earliest`."""
    at = min(moment or clock.now(), clock.now())
    return max(at, earliest) if earliest is not None else at


def start(user, args):
    """A patrol of a grid the member serves, started at the phone's time. Sent again with
    its id, the same patrol. An active patrol of theirs ends where this one starts (a phone
    lost mid-walk must not leave one running for ever)."""
    require(user.role in people.FIELD, "Patrols are walked by grid members and team members.")
    existing = db.session.get(Patrol, args["id"])
    if existing is not None:
        if existing.member_id != user.id:
            raise Conflict("That id is taken.", code="id_taken", fields={"id": [args["id"]]})
        return existing
    grid = db.session.execute(select(Unit).where(Unit.code == args["grid"])).scalar()
    if grid is None or grid.level != "grid":
        raise Invalid("No grid with that code.", fields={"grid": [args["grid"]]})
    if not people.serves(user, grid):
        raise Forbidden(
            f"{grid.code} is not a grid you serve.", code="out_of_scope", extra={"unit": grid.code}
        )
    started_at = _device_time(args.get("device_time"))
    for running in db.session.execute(
        select(Patrol).where(Patrol.member_id == user.id, Patrol.state == ACTIVE)
    ).scalars():
        _end(user, running, max(started_at, running.started_at), NEW_PATROL)
    plan = db.session.execute(
        select(PatrolPlan.id)
        .where(PatrolPlan.grid_id == grid.id, PatrolPlan.active, PatrolPlan.emergency_id.is_(None))
        .order_by(PatrolPlan.id.desc())
    ).scalar()
    patrol = Patrol(
        id=args["id"],
        member_id=user.id,
        grid_id=grid.id,
        community_id=grid.parent_id,
        plan_id=plan,
        state=ACTIVE,
        started_at=started_at,
        points=0,
        counted=0,
        length_m=0.0,
        duration_s=0,
        updated_at=clock.now(),
    )
    try:
        with db.session.begin_nested():  # the same id sent twice at once: one patrol
            db.session.add(patrol)
    except IntegrityError:
        if db.session.get(Patrol, args["id"]) is None:
            raise  # another refusal than the same id sent twice: as it came
        return start(user, args)
    record(
        "patrol",
        patrol.id,
        "start",
        user,
        to_state=ACTIVE,
        device_time=args.get("device_time"),
        scope=_scope(patrol),
        data={"grid": grid.code},
    )
    transaction.commit()
    return patrol


def add_track(user, args):
    """Merge a batch of points (`patrol.track`): only seqs not held yet are added, so a batch
    resent, late or overlapping another leaves the track whole with no point twice."""
    patrol = _own(user, args["id"], for_update=True)
    if patrol.reduced_at is not None:
        raise Conflict("This patrol's track was reduced to its summary.", code="reduced")
    offset = (args["start"] - patrol.started_at).total_seconds()
    try:
        batch = track.from_wire(args, round(offset))
    except ValueError as error:
        raise Invalid(str(error), fields={"line": [str(error)]}) from None
    held = track.Points.stored(patrol.track, patrol.samples)
    merged = held.merged(batch)
    added = len(merged) - len(held)
    if added:
        patrol.track, patrol.samples = merged.store()
        if patrol.end_reason == SILENCE:
            # Silent, not lost: a phone offline for long sends its points at last, and the
            # patrol it walked ends at its last point.
            patrol.ended_at = max(patrol.ended_at, _last_point(patrol, merged))
        _figure(patrol, merged)
        record(
            "patrol",
            patrol.id,
            "track",
            user,
            scope=_scope(patrol),
            data={"added": added, "points": len(merged)},
        )
        transaction.commit()
    return patrol


def end(user, args):
    """End the member's patrol at the phone's time; ending it again changes nothing."""
    patrol = _own(user, args["id"], for_update=True)
    if patrol.state == ACTIVE:
        _end(user, patrol, _device_time(args.get("device_time"), patrol.started_at), BY_MEMBER)
        transaction.commit()
    return patrol


def _end(user, patrol, at, reason):
    patrol.state, patrol.ended_at, patrol.end_reason = ENDED, at, reason
    _figure(patrol)
    record(
        "patrol",
        patrol.id,
        "end",
        user,
        from_state=ACTIVE,
        to_state=ENDED,
        note=_because(reason),
        scope=_scope(patrol),
        data={**figures(patrol), "reason": reason},
    )


# What the history says of a patrol its member did not end themselves, and what they are told.
ENDED_BECAUSE = {
    NEW_PATROL: "a new patrol started",
    SILENCE: "ended by the system: no point for {hours} h",
    TOO_LONG: "ended by the system: longer than {hours} h",
}
_TOLD = {SILENCE: "已 {hours} 小时没有收到位置", TOO_LONG: "已超过 {hours} 小时"}


_HOURS = {SILENCE: "PATROL_SILENCE_H", TOO_LONG: "PATROL_MAX_H"}  # the setting each names


def _hours(reason):
    return f"{current_app.config[_HOURS[reason]]:g}" if reason in _HOURS else ""


def _because(reason):
    note = ENDED_BECAUSE.get(reason)
    return note and note.format(hours=_hours(reason))


def _last_point(patrol, points):
    """When the patrol's last point was recorded (its start if it has none)."""
    return patrol.started_at + timedelta(seconds=int(points.t.max()) if len(points) else 0)


def end_left_running(now=None):
    """End the patrols left running on a lost or silent phone, which hold back the judging of
    their grid's windows (plans.check_missed): after PATROL_SILENCE_H without a point, at
    their last point; past PATROL_MAX_H, at that length. Recorded as ended by the system
    (no user), the member told. The number ended. The worker's job, before the plans'."""
    now = now or clock.now()
    silence, longest = (timedelta(hours=current_app.config[_HOURS[r]]) for r in (SILENCE, TOO_LONG))
    # An active patrol's duration_s runs to its last point: the silence is read from the row.
    candidates = db.session.execute(
        select(Patrol.id).where(Patrol.state == ACTIVE, Patrol.started_at <= now - silence)
    ).scalars()
    ended = 0
    for patrol_id in candidates.all():
        patrol = _get(patrol_id, for_update=True)
        if patrol.state != ACTIVE:
            continue  # ended meanwhile by its member
        last = patrol.started_at + timedelta(seconds=patrol.duration_s)
        if last + silence <= now:
            reason, at = SILENCE, last
        elif patrol.started_at + longest <= now:
            reason, at = TOO_LONG, patrol.started_at + longest
        else:
            continue
        _end(None, patrol, at, reason)
        inbox.deliver(
            [patrol.member_id],
            "patrol",
            "巡查已由系统结束",
            f"{patrol.grid.name}的巡查（{clock.told(patrol.started_at)} 开始）"
            f"{_TOLD[reason].format(hours=_hours(reason))}，已于 {clock.told(at)} 结束。",
            "patrol",
            patrol.id,
        )
        ended += 1
    if ended:
        transaction.commit()
    return ended


def _accuracy_m():
    return current_app.config["PATROL_ACCURACY_M"]


def _figure(patrol, points=None):
    """The patrol's figures from its points: counted points only (accurate enough) make its
    length, checkpoints and coverage; coverage once it has ended (the costly one)."""
    if points is None:
        points = track.Points.stored(patrol.track, patrol.samples)
    counted = points.counted(_accuracy_m())
    patrol.points, patrol.counted = len(points), len(counted)
    patrol.length_m = round(counted.length_m(), 1)
    last = patrol.started_at + timedelta(seconds=int(points.t.max())) if len(points) else None
    until = patrol.ended_at or (max(last, patrol.started_at) if last else patrol.started_at)
    patrol.duration_s = max(0, round((until - patrol.started_at).total_seconds()))
    if patrol.plan_id is not None:
        plan = db.session.get(PatrolPlan, patrol.plan_id)
        patrol.checkpoints, patrol.in_order = _passes(patrol, plan, counted)
    if patrol.state == ENDED:
        radius = current_app.config["PATROL_COVERAGE_M"]
        patrol.coverage = round(spatial.coverage(patrol.grid_id, counted.shape(), radius), 4)
    patrol.updated_at = clock.now()


def _passes(patrol, plan, counted):
    """([{"name", "passed_at"}], in order?) of the plan's checkpoints on these points."""
    passed, times = [], []
    for checkpoint in plan.checkpoints or ():
        index = counted.first_within(checkpoint_shape(checkpoint), checkpoint["radius_m"])
        at = None if index is None else patrol.started_at + timedelta(seconds=int(counted.t[index]))
        passed.append({"name": checkpoint["name"], "passed_at": at and at.isoformat()})
        times.append(at)
    reached = [at for at in times if at is not None]
    in_order = len(reached) == len(times) and reached == sorted(reached)
    return passed, in_order if times else None


def figures(patrol):
    """What a patrol amounts to, for the history (assessment computes from it)."""
    return {
        "grid_id": patrol.grid_id,
        "member_id": patrol.member_id,
        "started_at": patrol.started_at.isoformat(),
        "duration_s": patrol.duration_s,
        "length_m": patrol.length_m,
        "coverage": patrol.coverage,
        "points": patrol.points,
        "counted": patrol.counted,
    }


def report(user, args):
    """An incident found on the member's patrol: reported as any other, with source
    `patrol`, and listed with the patrol. Sent again, the same incident, listed once."""
    patrol = _own(user, args["patrol_id"])
    body = {key: value for key, value in args.items() if key != "patrol_id"}
    incident = incidents.report(user, body, source="patrol").incident
    if db.session.get(PatrolIncident, (patrol.id, incident.id)) is None:
        db.session.add(PatrolIncident(patrol_id=patrol.id, incident_id=incident.id))
        record(
            "patrol",
            patrol.id,
            "incident",
            user,
            scope=_scope(patrol),
            data={"incident_id": incident.id},
        )
        transaction.commit()
    return incident


def review(user, patrol_id, score, note):
    """The secretary's 考评 of an ended patrol: a score of 1 to 5 and a comment; the member
    is told. Reviewed again, the newer review stands (both are in the history)."""
    patrol = get_visible(user, patrol_id)
    require(people.manages(user, patrol.grid), "Patrols are reviewed by the secretary.")
    require_state(patrol, (ENDED,), "review")
    patrol.score, patrol.review_note = score, note
    patrol.reviewed_by_id, patrol.reviewed_at = user.id, clock.now()
    patrol.updated_at = clock.now()
    record(
        "patrol", patrol.id, "review", user, note=note, scope=_scope(patrol), data={"score": score}
    )
    inbox.deliver([patrol.member_id], "patrol", f"巡查点评：{score}分", note, "patrol", patrol.id)
    transaction.commit()
    return patrol


def reduce_old(now=None):
    """Drop the tracks of patrols that ended more than PATROL_TRACK_DAYS ago, keeping their
    figures: the number reduced. The worker's job."""
    days = current_app.config["PATROL_TRACK_DAYS"]
    before = (now or clock.now()) - timedelta(days=days)
    ids = (
        db.session.execute(
            select(Patrol.id).where(
                Patrol.state == ENDED, Patrol.ended_at < before, Patrol.reduced_at.is_(None)
            )
        )
        .scalars()
        .all()
    )
    if ids:
        db.session.execute(
            update(Patrol)
            .where(Patrol.id.in_(ids))
            .values(track=None, samples=None, reduced_at=clock.now(), updated_at=clock.now())
        )
        transaction.commit()
    return len(ids)


# -- reading ------------------------------------------------------------------------------------

SHOWN_WITH = (joinedload(Patrol.member), joinedload(Patrol.grid))


def _within(area):
    if area.level == "district":
        return Patrol.id.is_not(None)
    if area.level == "street":
        return Patrol.community_id.in_(select(Unit.id).where(Unit.parent_id == area.id))
    if area.level == "community":
        return Patrol.community_id == area.id
    return Patrol.grid_id == area.id


def _visible_to(user):
    query = select(Patrol).options(*SHOWN_WITH)
    own = [Patrol.member_id == user.id]
    if user.role in people.MANAGERS:
        if user.role == DISTRICT_ADMIN:
            return query
        own.extend(_within(area) for area in people.areas(user))
    return query.where(or_(*own))


def snapshot(user, after_id, since, limit):
    """A page of a first sync: active patrols and those of the last SNAPSHOT_DAYS."""
    since = max(since, clock.now() - timedelta(days=SNAPSHOT_DAYS))
    query = _visible_to(user).where(
        or_(Patrol.state == ACTIVE, Patrol.started_at >= since), Patrol.id > after_id
    )
    return db.session.execute(query.order_by(Patrol.id).limit(limit)).scalars().all()


def listing(user, filters, *, tracks=False):
    """Patrols the user may see, newest first: a member's own, a secretary's community's
    (with their tracks loaded at once if `tracks`)."""
    query = _visible_to(user)
    if tracks:
        query = query.options(undefer(Patrol.track), undefer(Patrol.samples))
    if filters.get("grid"):
        query = query.join(Unit, Unit.id == Patrol.grid_id).where(Unit.code == filters["grid"])
    if filters.get("member_id"):
        query = query.where(Patrol.member_id == filters["member_id"])
    if filters.get("state"):
        query = query.where(Patrol.state == filters["state"])
    if filters.get("since"):
        query = query.where(Patrol.started_at >= filters["since"])
    if filters.get("until"):
        query = query.where(Patrol.started_at < filters["until"])
    query = query.order_by(Patrol.started_at.desc(), Patrol.id)
    rows = db.session.execute(
        query.limit(filters.get("limit", 100)).offset(filters.get("offset", 0))
    )
    return rows.unique().scalars().all()


def _incidents_of(patrol_ids):
    found = {}
    for patrol_id, incident_id in db.session.execute(
        select(PatrolIncident.patrol_id, PatrolIncident.incident_id)
        .where(PatrolIncident.patrol_id.in_(patrol_ids))
        .order_by(PatrolIncident.incident_id)
    ):
        found.setdefault(patrol_id, []).append(incident_id)
    return found


def present(user, patrols, *, detail=False):
    """Patrols for PatrolOut (or PatrolDetail, with the track) to dump."""
    found = _incidents_of([p.id for p in patrols]) if patrols else {}
    out = []
    for patrol in patrols:
        shown = Shown(patrol, incidents=found.get(patrol.id, []), mine=patrol.member_id == user.id)
        if detail:
            shown.track = _wire_track(patrol)
        out.append(shown)
    return out


def _wire_track(patrol):
    """The whole track as the wire writes a batch (from seq 1 of what is held), or None."""
    points = track.Points.stored(patrol.track, patrol.samples)
    if not len(points):
        return None
    times = points.t
    return {
        "seq": points.seq.tolist(),
        "start": patrol.started_at,
        "line": track.encode_polyline(zip(points.lat.tolist(), points.lng.tolist(), strict=True)),
        "dt": [int(times[0]), *(int(d) for d in (times[1:] - times[:-1]))],
        "accuracy": [round(a) for a in points.accuracy.tolist()],
        "max_accuracy_m": _accuracy_m(),
    }


register_scope("patrol", lambda patrol_id: _scope(db.session.get(Patrol, patrol_id)))
