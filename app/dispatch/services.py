"""The secretary's dispatch desk: the community's open work, its members and their load,
the people who may take one case or task (the picker), and assigning work in bulk (all or
nothing)."""

from sqlalchemy import func, or_, select

from app import transaction
from app.errors import ApiError, Forbidden, Invalid
from app.extensions import db
from app.incidents import services as incidents
from app.incidents.models import DISPATCHED, IN_PROGRESS, Incident
from app.people import services as people
from app.people.models import User, user_scope
from app.tasks import services as tasks
from app.tasks.models import OPEN, Claim, Task
from app.units.models import Unit


def _community(user, code):
    """The community the desk is for: the given one, or the secretary's own."""
    if code is None:
        own = [u for u in user.units if u.level == "community"]
        if len(own) != 1:
            raise Invalid("Say which community.", fields={"community": ["required"]})
        community = own[0]
    else:
        community = db.session.execute(
            select(Unit).where(Unit.code == code, Unit.level == "community")
        ).scalar()
        if community is None:
            raise Invalid(f"No community {code}.", fields={"community": [code]})
    if not people.manages(user, community):
        raise Forbidden("The dispatch desk is for the community's managers.", code="not_allowed")
    return community


def queue(user, filters):
    """Open incidents and tasks of the community, each list soonest deadline first."""
    community = _community(user, filters.pop("community", None))
    scoped = {**filters, "community": community.code}
    incident_filters = {k: v for k, v in scoped.items() if k != "task_state"}
    task_filters = {
        "state": filters.get("task_state"),
        "grid": filters.get("grid"),
        "overdue": filters.get("overdue"),
        "limit": filters.get("limit", 100),
    }
    found = [t for t in tasks.listing(user, task_filters) if t.community_id == community.id]
    return {
        "community": {"code": community.code, "name": community.name},
        "incidents": incidents.present(user, incidents.listing(user, incident_filters)),
        "tasks": tasks.present(user, found),
    }


def members(user, community_code=None):
    """Members serving the community's grids, least loaded first: open cases dispatched to
    them and live claims on open tasks."""
    community = _community(user, community_code)
    grid_ids = select(Unit.id).where(Unit.parent_id == community.id)
    rows = db.session.execute(
        select(User, Unit.code, Unit.name)
        .join(user_scope, user_scope.c.user_id == User.id)
        .join(Unit, Unit.id == user_scope.c.unit_id)
        .where(user_scope.c.unit_id.in_(grid_ids), User.role.in_(people.FIELD), User.active)
        .order_by(User.id)
    ).all()
    cases, claims = _load([row[0].id for row in rows])
    out = [
        {
            "id": member.id,
            "name": member.name,
            "role": member.role,
            "force": member.force,
            "phone": member.phone,
            "grid": {"code": code, "name": name},
            "open_cases": cases.get(member.id, 0),
            "open_tasks": claims.get(member.id, 0),
        }
        for member, code, name in rows
    ]
    return sorted(out, key=lambda m: (m["open_cases"] + m["open_tasks"], m["name"]))


def _load(ids):
    """({user id: open cases dispatched to them}, {user id: live claims on open tasks})."""
    cases = dict(
        db.session.execute(
            select(Incident.assignee_id, func.count())
            .where(Incident.assignee_id.in_(ids), Incident.state.in_((DISPATCHED, IN_PROGRESS)))
            .group_by(Incident.assignee_id)
        ).all()
    )
    claims = dict(
        db.session.execute(
            select(Claim.user_id, func.count())
            .join(Task, Task.id == Claim.task_id)
            .where(Claim.user_id.in_(ids), Claim.live, Task.state == OPEN)
            .group_by(Claim.user_id)
        ).all()
    )
    return cases, claims


def candidates(user, incident_id=None, task_id=None, text=None, limit=50):
    """Who may take this case or task (派遣/指派): the active members who serve its grid (or
    its community's pool), those whose own grid it is first, then those who serve it from a
    wider unit (a community's team); each way, the least loaded first. `text` finds a name
    (any part) or a phone number (its end)."""
    target = (
        incidents.get_visible(user, incident_id)
        if incident_id
        else tasks.get_visible(user, task_id)
    )
    if not people.manages(user, target.community):
        raise Forbidden("Work is given by the community's managers.", code="not_allowed")
    place = target.grid or target.community
    # Who serves `place` (people.serves): a scope at it or above it, or, for a community's
    # pool, inside it.
    above = Unit.id.in_([place.id, *(u.id for u in place.ancestors())])
    where = above if target.grid else or_(above, Unit.code.startswith(place.code))
    query = (
        select(User, Unit)
        .join(user_scope, user_scope.c.user_id == User.id)
        .join(Unit, Unit.id == user_scope.c.unit_id)
        .where(User.role.in_(people.FIELD), User.active, where)
    )
    if text:
        query = query.where(
            or_(
                User.name.contains(text, autoescape=True),
                User.phone.endswith(text, autoescape=True),
            )
        )
    found = {}
    for member, unit in db.session.execute(query.order_by(User.id, Unit.code)).all():
        found.setdefault(member.id, (member, []))[1].append(unit)
    cases, claims = _load(list(found))
    ranked = []
    for member, units in found.values():
        own = any(u.id == place.id for u in units)
        load = cases.get(member.id, 0) + claims.get(member.id, 0)
        ranked.append(
            (
                (not own, load, member.name),
                {
                    "id": member.id,
                    "name": member.name,
                    "role": member.role,
                    "force": member.force,
                    "phone": member.phone,  # managers dispatch: they see contacts
                    "units": [{"code": u.code, "name": u.name, "level": u.level} for u in units],
                    "own_grid": own,
                    "open_cases": cases.get(member.id, 0),
                    "open_tasks": claims.get(member.id, 0),
                },
            )
        )
    ranked.sort(key=lambda row: row[0])
    return [candidate for _, candidate in ranked[:limit]]


def assign(user, assignments):
    """Dispatch incidents and give task places in one transaction: all or nothing. A failure
    names the assignment (by its index) and why."""
    with db.session.begin_nested(), transaction.grouped():  # a failure undoes the batch
        for index, item in enumerate(assignments):
            try:
                if item.get("incident_id"):
                    incidents.dispatch(
                        user, item["incident_id"], item["user_id"], item.get("deadline")
                    )
                else:
                    tasks.assign(user, item["task_id"], item["user_id"])
            except ApiError as error:
                error.fields = {f"assignments.{index}": [error.message], **error.fields}
                raise
    transaction.commit()
    return assignments
