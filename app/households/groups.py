"""十联户: groups of about ten households of one grid under a 联户长, and the alarm a 联户长
(or the grid's member) relays for a household in trouble."""

import uuid

from sqlalchemy import select

from app import clock, transaction
from app.errors import Invalid, NotFound
from app.extensions import db
from app.history.services import record
from app.households import services as households
from app.households.models import Household, LiaisonGroup
from app.incidents import services as incidents
from app.incidents.models import LIAISON as FROM_LIAISON
from app.incidents.models import MEMBER as FROM_MEMBER
from app.notify import services as inbox
from app.people import services as people
from app.people.models import GRID_MEMBER, LIAISON, SECRETARY, TEAM_MEMBER, User, user_scope
from app.rules import require
from app.units.models import Unit

ALARM_CATEGORY = "hardship_assistance"  # 困难帮扶, unless the alarm names another


def save(user, body, group_id=None):
    """A new group (or one changed) in a grid the user manages: its name, its 联户长 (a
    `liaison` account scoped to the grid) and its households (of that grid)."""
    if group_id is None:
        missing = [name for name in ("grid", "name") if not body.get(name)]
        if missing:
            raise Invalid(
                "A new group needs its grid and its name.",
                fields={name: ["Missing data for required field."] for name in missing},
            )
        grid = db.session.execute(
            select(Unit).where(Unit.code == body["grid"], Unit.level == "grid")
        ).scalar()
        if grid is None:
            raise Invalid("No such grid.", fields={"grid": [body["grid"]]})
        group = LiaisonGroup(grid_id=grid.id, community_id=grid.parent_id, grid=grid)
    else:
        group = db.session.get(LiaisonGroup, group_id)
        if group is None or not people.can_view(user, group.grid):
            raise NotFound("No such group.", fields={"id": [group_id]})
        grid = group.grid
    require(people.manages(user, grid), "十联户 groups are set by the community.")
    group.name = body.get("name") or group.name
    if "liaison_id" in body:
        group.liaison_id = _liaison(body["liaison_id"], grid)
    db.session.add(group)
    db.session.flush()
    if "households" in body:
        _place(group, body["households"])
    transaction.commit()
    return group


def _liaison(user_id, grid):
    if user_id is None:
        return None
    person = db.session.get(User, user_id)
    if person is None or person.role != LIAISON or grid not in person.units:
        raise Invalid(
            "A 联户长 is a liaison account of this grid.", fields={"liaison_id": [user_id]}
        )
    return person.id


def _place(group, household_ids):
    found = db.session.execute(select(Household).where(Household.id.in_(household_ids)))
    chosen = {h.id: h for h in found.scalars()}
    wrong = [i for i in household_ids if i not in chosen or chosen[i].grid_id != group.grid_id]
    if wrong:
        raise Invalid("Households of the group's own grid only.", fields={"households": wrong})
    leaving = select(Household).where(Household.group_id == group.id)
    for household in db.session.execute(leaving).scalars():
        if household.id not in chosen:
            household.group_id = None
            _changed(household, None)
    for household in chosen.values():
        if household.group_id != group.id:
            household.group_id = group.id
            _changed(household, group.id)


def _changed(household, group_id):
    household.updated_at = clock.now()
    record(
        households.ENTITY,
        household.id,
        "group",
        None,
        data={"group": group_id},
        scope=(household.grid_id, household.community_id),
    )


def alarm(user, household_id, body):
    """A household in trouble, relayed by its 联户长 or the grid's member: an urgent incident
    (from the 联户长: source liaison) and at once a message to the grid's members, the
    community's secretaries and the grid's other 联户长. A resent alarm (the same id) is the
    same incident and tells nobody again."""
    household = households.get_visible(user, household_id)
    liaison = user.role == LIAISON
    require(liaison or households.may_edit(user, household), "Not your household to alarm.")
    point = household.grid.geom.representative_point()
    with transaction.grouped():  # the case and its alarm are one change, or none
        reported = incidents.report(
            user,
            {
                "id": body.get("id") or str(uuid.uuid4()),
                "category": body.get("category") or ALARM_CATEGORY,
                "urgent": True,
                "description": body["description"],
                "lat": body.get("lat") if body.get("lat") is not None else point.y,
                "lng": body.get("lng") if body.get("lng") is not None else point.x,
                "address": household.address,
                "handled_on_spot": False,
                "photos": body.get("photos") or [],
                "device_time": body.get("device_time"),
            },
            source=FROM_LIAISON if liaison else FROM_MEMBER,
        )
        incident = reported.incident
        if reported.created:
            record(
                households.ENTITY,
                household.id,
                "alarm",
                user,
                data={"incident": incident.id},
                scope=(household.grid_id, household.community_id),
            )
            inbox.deliver(
                _alarmed(household) - {user.id},
                "alarm",
                f"{household.address}: {body['description']}"[:200],
                entity="incident",
                entity_id=incident.id,
            )
    transaction.commit()
    return incident


def _alarmed(household):
    """Who an alarm reaches at once: the grid's members, the community's secretaries and
    every 联户长 of the grid."""
    asks = (
        (household.grid_id, (GRID_MEMBER, TEAM_MEMBER, LIAISON)),
        (household.community_id, (SECRETARY,)),
    )
    found = set()
    for unit_id, roles in asks:
        found.update(
            db.session.execute(
                select(User.id)
                .join(user_scope, user_scope.c.user_id == User.id)
                .where(user_scope.c.unit_id == unit_id, User.role.in_(roles), User.active)
            ).scalars()
        )
    return found
