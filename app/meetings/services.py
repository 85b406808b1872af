"""Rules of 联席会议: planned and held by the 包保 district leader for a street or community,
attendance, problems raised, decisions that become tasks with the 五定 (the meeting as their
origin), problems closed (销号) when their tasks are verified, and the district's counts."""

import uuid

from sqlalchemy import func, or_, select

from app import clock, transaction
from app.errors import Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.meetings.models import CLOSED, HELD, OPEN, PLANNED, Attendee, Decision, Meeting, Problem
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, User
from app.rules import require, require_state
from app.tasks import services as tasks
from app.tasks.models import VERIFIED, Task
from app.units.models import Unit


def _convenes(user, unit):
    """The district leader who answers for (包保) the unit, or the district's admins."""
    return user.role == DISTRICT_ADMIN or any(area.contains(unit) for area in user.responsible_for)


def _runs(user, meeting):
    return meeting.convened_by_id == user.id or _convenes(user, meeting.unit)


def _attends(user, meeting):
    return (
        db.session.get(Attendee, (meeting.id, user.id)) is not None
        or meeting.convened_by_id == user.id
    )


def visible(user, meeting):
    return people.can_view(user, meeting.unit) or _attends(user, meeting)


def get_visible(user, meeting_id):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not visible(user, meeting):
        raise NotFound("No such meeting.", fields={"id": [meeting_id]})
    return meeting


def _people(ids, field):
    found = db.session.execute(select(User).where(User.id.in_(ids), User.active)).scalars().all()
    if len(found) != len(set(ids)):
        missing = sorted(set(ids) - {u.id for u in found})
        raise Invalid("No such person.", fields={field: missing})
    return found


def plan(user, body):
    """A meeting as planned: for a street or a community, when and where, who is due."""
    unit = db.session.execute(select(Unit).where(Unit.code == body["unit"])).scalar()
    if unit is None or unit.level not in ("street", "community"):
        raise Invalid("Meetings are for a street or a community.", fields={"unit": [body["unit"]]})
    require(
        _convenes(user, unit), "Meetings are convened by the district leader who answers for it."
    )
    now = clock.now()
    meeting = Meeting(
        id=body.get("id") or str(uuid.uuid4()),
        unit_id=unit.id,
        kind=body["kind"],
        title=body["title"],
        place=body["place"],
        due_at=body["due_at"],
        state=PLANNED,
        convened_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(meeting)
    for person in _people(body["due"], "due"):
        db.session.add(Attendee(meeting_id=meeting.id, user_id=person.id, attended=False))
    db.session.flush()
    record("meeting", meeting.id, "plan", user, to_state=PLANNED, note=meeting.title)
    transaction.commit()
    return meeting


def hold(user, meeting_id, held_at, attended):
    """The meeting took place: when, and who of those due came (others may come too)."""
    meeting = get_visible(user, meeting_id)
    require(_runs(user, meeting), "Only the convener records the meeting.")
    require_state(meeting, (PLANNED,), "hold")
    present = {person.id for person in _people(attended, "attended")}
    due = db.session.execute(select(Attendee).where(Attendee.meeting_id == meeting.id)).scalars()
    for attendee in due:
        attendee.attended = attendee.user_id in present
        present.discard(attendee.user_id)
    for user_id in present:
        db.session.add(Attendee(meeting_id=meeting.id, user_id=user_id, attended=True))
    meeting.state, meeting.held_at, meeting.updated_at = HELD, held_at, clock.now()
    record("meeting", meeting.id, "hold", user, from_state=PLANNED, to_state=HELD)
    transaction.commit()
    return meeting


def raise_problem(user, meeting_id, description, raised_by_id):
    meeting = get_visible(user, meeting_id)
    require(_runs(user, meeting), "Only the convener records the meeting's problems.")
    require_state(meeting, (HELD,), "record problems of")
    raiser = _people([raised_by_id or user.id], "raised_by_id")[0]
    problem = Problem(
        meeting_id=meeting.id,
        description=description,
        raised_by_id=raiser.id,
        state=OPEN,
        created_at=clock.now(),
    )
    db.session.add(problem)
    db.session.flush()
    record("meeting", meeting.id, "problem", user, note=description, data={"problem": problem.id})
    transaction.commit()
    return problem


def _problem(user, meeting_id, problem_id):
    meeting = get_visible(user, meeting_id)
    problem = db.session.get(Problem, problem_id)
    if problem is None or problem.meeting_id != meeting.id:
        raise NotFound("No such problem.", fields={"problem_id": [problem_id]})
    require(_runs(user, meeting), "Only the convener decides on the meeting's problems.")
    return meeting, problem


def decide(user, meeting_id, problem_id, body):
    """议定事项: becomes a task with the 五定 in the community it concerns (the meeting's, or
    one of the street's), its responsible the person named (a department's, say)."""
    meeting, problem = _problem(user, meeting_id, problem_id)
    if problem.state != OPEN:
        raise Invalid(
            "The problem is closed.", code="wrong_state", fields={"problem_id": [problem_id]}
        )
    community = meeting.unit if meeting.unit.level == "community" else None
    if body.get("community"):
        community = db.session.execute(select(Unit).where(Unit.code == body["community"])).scalar()
        if community is None or community.parent_id not in (
            meeting.unit_id,
            meeting.unit.parent_id,
        ):
            raise Invalid(
                "A community of the meeting's street.", fields={"community": [body["community"]]}
            )
    if community is None:
        raise Invalid(
            "Name the community the decision concerns.", fields={"community": ["required"]}
        )
    responsible = _people([body["responsible_id"]], "responsible_id")[0]
    with transaction.grouped():  # the task and the decision, or neither
        task, _ = tasks.create(
            user,
            {
                "title": problem.description[:200],
                "kind": "routine",
                "community": community.code,
                "target": problem.description,
                "capacity": body["capacity"],
                "responsible_id": responsible.id,
                "deadline": body["deadline"],
                "measures": body["measure"],
            },
        )
        decision = Decision(
            problem_id=problem.id,
            department_id=responsible.department_id,
            measure=body["measure"],
            deadline=body["deadline"],
            task_id=task.id,
            created_at=clock.now(),
        )
        db.session.add(decision)
        db.session.flush()
        record(
            "meeting",
            meeting.id,
            "decide",
            user,
            note=body["measure"],
            data={"problem": problem.id, "task": task.id, "department": decision.department_id},
        )
    transaction.commit()
    return decision


def _close(problem, user, note):
    problem.state, problem.closed_at, problem.close_note = CLOSED, clock.now(), note
    record(
        "meeting",
        problem.meeting_id,
        "close",
        user,
        note=note,
        data={"problem": problem.id},
    )


def close(user, meeting_id, problem_id, note):
    """销号 by hand: a problem solved at the table, with no decision to carry out."""
    _, problem = _problem(user, meeting_id, problem_id)
    if problem.state != OPEN:
        raise Invalid(
            "The problem is closed.", code="wrong_state", fields={"problem_id": [problem_id]}
        )
    _close(problem, user, note)
    transaction.commit()
    return problem


def task_verified(task, user):
    """销号: a decision's task passed; its problem closes once every decision's has. In the
    verifying transaction (called by app.tasks.services.verify)."""
    decision = db.session.execute(select(Decision).where(Decision.task_id == task.id)).scalar()
    if decision is None or decision.problem.state != OPEN:
        return
    pending = db.session.execute(
        select(func.count())
        .select_from(Decision)
        .join(Task, Task.id == Decision.task_id)
        .where(Decision.problem_id == decision.problem_id, Task.state != VERIFIED)
    ).scalar()
    if not pending:
        _close(decision.problem, user, None)


# -- reading -------------------------------------------------------------------------------------


def _within(area):
    if area.level == "district":
        return Meeting.id.is_not(None)
    inner = select(Unit.id).where(or_(Unit.id == area.id, Unit.parent_id == area.id))
    return Meeting.unit_id.in_(inner)


def _visible_to(user):
    query = select(Meeting)
    if user.role == DISTRICT_ADMIN:
        return query
    attends = select(Attendee.meeting_id).where(Attendee.user_id == user.id)
    return query.where(
        or_(
            Meeting.id.in_(attends),
            Meeting.convened_by_id == user.id,
            *(_within(area) for area in people.areas(user)),
        )
    )


def listing(user, filters):
    query = _visible_to(user)
    if filters.get("state"):
        query = query.where(Meeting.state == filters["state"])
    query = query.order_by(Meeting.due_at.desc()).limit(filters["limit"]).offset(filters["offset"])
    return db.session.execute(query).scalars().all()


def problems_of(meeting_ids):
    """{meeting id: [Problem]}, each with its decisions and their tasks."""
    found = {}
    for problem in db.session.execute(
        select(Problem).where(Problem.meeting_id.in_(list(meeting_ids))).order_by(Problem.id)
    ).scalars():
        found.setdefault(problem.meeting_id, []).append(problem)
    return found


def attendees_of(meeting_id):
    return (
        db.session.execute(select(Attendee).where(Attendee.meeting_id == meeting_id))
        .scalars()
        .all()
    )


def counts(user, since, until):
    """The district's figures over a period: meetings planned (due in it) against held (in
    it), problems raised at them and problems closed (销号) in it."""
    visible_meetings = _visible_to(user).with_only_columns(Meeting.id)
    planned = db.session.execute(
        select(func.count()).where(
            Meeting.id.in_(visible_meetings), Meeting.due_at >= since, Meeting.due_at < until
        )
    ).scalar()
    held = db.session.execute(
        select(func.count()).where(
            Meeting.id.in_(visible_meetings),
            Meeting.state == HELD,
            Meeting.held_at >= since,
            Meeting.held_at < until,
        )
    ).scalar()
    of_meetings = Problem.meeting_id.in_(visible_meetings)
    raised = db.session.execute(
        select(func.count()).where(
            of_meetings, Problem.created_at >= since, Problem.created_at < until
        )
    ).scalar()
    closed = db.session.execute(
        select(func.count()).where(
            of_meetings,
            Problem.state == CLOSED,
            Problem.closed_at >= since,
            Problem.closed_at < until,
        )
    ).scalar()
    return {"planned": planned, "held": held, "problems": raised, "closed": closed}


def _scope(meeting_id):
    unit = db.session.get(Meeting, meeting_id).unit
    return (None, unit.id) if unit.level == "community" else (None, None)


register_scope("meeting", _scope)
tasks.VERIFIED_HOOKS.append(task_verified)
