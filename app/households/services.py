"""The household register's rules: who sees which household (and which fields in full), what
a phone may change, how two phones' changes merge field by field, and 十联户 groups."""

import json
import uuid

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import selectinload

from app import clock, privacy, transaction
from app.errors import Conflict as ConflictError
from app.errors import Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.households.models import (
    HOUSEHOLD_FIELDS,
    HOUSEHOLD_TAGS,
    MEMBER_FIELDS,
    PERSON_TAGS,
    RELATIONSHIPS,
    Conflict,
    Household,
    HouseholdMember,
    LiaisonGroup,
    member_id,
    normalize_id,
    normalize_phone,
)
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, GRID_MEMBER, LIAISON, SECRETARY, TEAM_MEMBER
from app.rules import require
from app.schemas import Shown
from app.units.models import Unit

ENTITY = "household"
_MEMBER_COLUMNS = ("id", "relationship", "tags", "versions")
SHOWN_WITH = (selectinload(Household.members), selectinload(Household.group))
# Who may ask for a resident's field in full (app/privacy): those who call and register them.
UNMASK_ROLES = {
    "phone": (GRID_MEMBER, TEAM_MEMBER, SECRETARY),
    "id_number": (GRID_MEMBER, SECRETARY),
}


# -- who sees what -----------------------------------------------------------------------------


def visible(user, household):
    """A 联户长 sees their own group's households; others where they may see the grid."""
    if user.role == LIAISON:
        return household.group is not None and household.group.liaison_id == user.id
    return people.can_view(user, household.grid)


def _visible_to(user):
    """The households a user may see, as a query to narrow."""
    query = select(Household).options(*SHOWN_WITH)
    if user.role == DISTRICT_ADMIN:
        return query
    if user.role == LIAISON:
        mine = select(LiaisonGroup.id).where(LiaisonGroup.liaison_id == user.id)
        return query.where(Household.group_id.in_(mine))
    own = [false()]
    for area in people.areas(user):
        if area.level == "district":
            own.append(true())
        elif area.level == "street":
            own.append(Household.community_id.in_(select(Unit.id).where(Unit.parent_id == area.id)))
        else:
            own.append(
                (Household.grid_id if area.level == "grid" else Household.community_id) == area.id
            )
    return query.where(or_(*own))


def visible_ids(user):
    """The ids of the households a user may see, as a subquery."""
    return _visible_to(user).with_only_columns(Household.id)


def may_edit(user, household_or_grid):
    grid = getattr(household_or_grid, "grid", household_or_grid)
    return people.serves(user, grid) or people.manages(user, grid)


def get_visible(user, household_id):
    household = db.session.get(Household, household_id, options=SHOWN_WITH)
    if household is None or not visible(user, household):
        raise NotFound("No such household.", fields={"id": [household_id]})
    return household


def _member(household, member_id):
    for member in household.members:
        if member.id == member_id:
            return member
    raise NotFound("No such member of this household.", fields={"member": [member_id]})


def present(user, households):
    """Households as this user may see them: phones and ID numbers masked for everyone (in
    full only on request, app/privacy), names too for a 联户长."""
    from app.visits.services import due_of  # visits build on households

    names = privacy.mask_name if user.role == LIAISON else (lambda name: name)
    dues = due_of(households)
    out = []
    for household in households:
        # Plain dicts: the columns shown as they are, the personal ones masked.
        members = [
            {
                **{column: getattr(member, column) for column in _MEMBER_COLUMNS},
                "name": names(member.name),
                "phone": privacy.mask_phone(member.phone),
                "id_number": privacy.mask_id(member.id_number),
                "moved_out": member.moved_out,
            }
            for member in household.members
        ]
        group = household.group
        out.append(
            Shown(
                household,
                grid={"code": household.grid.code, "name": household.grid.name},
                group={"id": group.id, "name": group.name} if group else None,
                members=members,
                last_visit_at=dues[household.id]["last_visit_at"],
                next_visit_due=dues[household.id]["next_visit_due"],
            )
        )
    return out


def listing(user, filters):
    """The households the user sees that live here (with `moved_out`, those moved out)."""
    query = _visible_to(user).where(
        Household.moved_out_on.is_not(None)
        if filters.get("moved_out")
        else Household.moved_out_on.is_(None)
    )
    if filters.get("grid"):
        query = query.join(Unit, Unit.id == Household.grid_id).where(Unit.code == filters["grid"])
    if filters.get("q"):
        query = query.where(_matches(filters["q"]))
    found = db.session.execute(query.order_by(Household.address_key).limit(filters["limit"]))
    households = found.scalars().all()
    if filters.get("tag"):  # JSON lists: read, then narrowed here (a grid's few hundred)
        tag = filters["tag"]
        households = [
            h for h in households if tag in h.tags or any(tag in m.tags for m in h.members)
        ]
    return households


def _matches(q):
    """An address's part, a member's name's part, or a whole phone or ID number (found by
    their blind indexes: they are encrypted)."""
    pattern = f"%{q.strip()}%"
    member = select(HouseholdMember.household_id).where(
        or_(
            HouseholdMember.name.like(pattern),
            HouseholdMember.phone_index.in_(privacy.blind_indexes(q, normalize_phone)),
            HouseholdMember.id_index.in_(privacy.blind_indexes(q, normalize_id)),
        )
    )
    return or_(Household.address_key.like(pattern.lower()), Household.id.in_(member))


def snapshot(user, after_id, since, limit):
    """A page of a first sync: the whole register the user sees (not only what is recent:
    a member visits households that have not changed in years)."""
    query = _visible_to(user).where(Household.id > after_id).order_by(Household.id).limit(limit)
    return db.session.execute(query).scalars().all()


def feed_filter(user, history):
    """The history rows of households a 联户长's phone pulls: their group's (others pull
    their area's by grid and community)."""
    if user.role != LIAISON:
        return false()
    mine = select(Household.id).join(LiaisonGroup).where(LiaisonGroup.liaison_id == user.id)
    return (history.entity == ENTITY) & history.entity_id.in_(mine)


# -- changes -----------------------------------------------------------------------------------


def address_key(address, building=None, unit=None, room=None):
    """How two spellings of one address match: parts trimmed, spaces and case ignored."""
    parts = (address, building, unit, room)
    return "|".join("".join((part or "").split()).lower() for part in parts)


def _check_tags(tags, allowed, field):
    unknown = [tag for tag in tags if tag not in allowed]
    if unknown:
        raise Invalid("Unknown tags.", fields={field: unknown})
    return sorted(set(tags))


def set_field(row, field, value):
    if field == "tags":
        allowed = PERSON_TAGS if isinstance(row, HouseholdMember) else HOUSEHOLD_TAGS
        value = _check_tags(value or [], allowed, "tags")
    if field == "relationship" and value not in RELATIONSHIPS:
        raise Invalid("Unknown relationship.", fields={"relationship": [value]})
    setattr(row, field, value)
    if field == "phone":
        row.phone_index = privacy.blind_index(value, normalize_phone)
    elif field == "id_number":
        row.id_index = privacy.blind_index(value, normalize_id)
    elif field in ("address", "building", "unit", "room"):
        row.address_key = address_key(row.address, row.building, row.unit, row.room)


def _new_member(household, body, position):
    if body.get("id") and db.session.get(HouseholdMember, body["id"]) is not None:
        raise ConflictError("Another member has this id.", code="id_taken")
    member = HouseholdMember(
        id=body.get("id") or member_id(household.id, position),
        position=position,
        versions={},
        tags=[],
    )
    for field in MEMBER_FIELDS:
        if body.get(field) is not None:
            set_field(member, field, body[field])
    household.members.append(member)
    return member


def create(user, body):
    """A new household in a grid the user serves or manages, with its members; the same one
    again if this id was sent before (a resent command)."""
    if body.get("id"):
        found = db.session.get(Household, body["id"])
        if found is not None:
            require(visible(user, found), "Another household has this id.")
            return found
    grid = db.session.execute(
        select(Unit).where(Unit.code == body["grid"], Unit.level == "grid")
    ).scalar()
    if grid is None:
        raise Invalid("No such grid.", fields={"grid": [body["grid"]]})
    require(may_edit(user, grid), "Households are registered by the grid's members and managers.")
    household = Household(
        id=body.get("id") or str(uuid.uuid4()),
        grid=grid,
        grid_id=grid.id,
        community_id=grid.parent_id,
        versions={},
        tags=[],
        updated_at=clock.now(),
    )
    for field in HOUSEHOLD_FIELDS:
        if body.get(field) is not None:
            set_field(household, field, body[field])
    _require_new_address(household)
    for position, member in enumerate(body.get("members", ())):
        _new_member(household, member, position)
    db.session.add(household)
    record(ENTITY, household.id, "create", user, scope=_scope_of(household))
    transaction.commit()
    return household


def _require_new_address(household):
    taken = db.session.execute(
        select(Household.id).where(
            Household.community_id == household.community_id,
            Household.address_key == household.address_key,
            Household.id != household.id,
        )
    ).scalar()
    if taken:
        raise ConflictError(
            "The community has a household at this address.",
            code="address_taken",
            extra={"household": taken},
        )


def update(user, household_id, changes, base, member_id=None, device_time=None):
    """Apply a phone's changes field by field (of the household, or of one member): a field
    whose version is still the one the phone saw takes the new value; one that another change
    moved since keeps its value, and the difference waits as a conflict for the secretary."""
    household = get_visible(user, household_id)
    require(may_edit(user, household), "Households are changed by the grid's members.")
    row = _member(household, member_id) if member_id else household
    allowed = MEMBER_FIELDS if member_id else HOUSEHOLD_FIELDS
    unknown = sorted(set(changes) - set(allowed))
    missing = sorted(set(changes) - set(base))
    if unknown or missing:
        raise Invalid(
            "Change only known fields, each with the version it was seen at.",
            fields={
                **{f: ["unknown"] for f in unknown},
                **{f: ["no base version"] for f in missing},
            },
        )
    versions = dict(row.versions or {})
    changed, conflicts = [], []
    for field, value in sorted(changes.items()):
        current, version = getattr(row, field), versions.get(field, 0)
        if _same(field, current, value):
            continue  # already so (the same change from two phones, or sent again)
        if base[field] == version:
            set_field(row, field, value)
            versions[field] = version + 1
            changed.append(field)
        else:
            conflicts.append(
                Conflict(
                    household_id=household.id,
                    member_id=member_id,
                    field=field,
                    base_version=base[field],
                    current=json.dumps(current, ensure_ascii=False),
                    proposed=json.dumps(value, ensure_ascii=False),
                    proposed_by_id=user.id,
                    at=clock.now(),
                )
            )
    row.versions = versions
    if changed:
        household.updated_at = clock.now()
        record(
            ENTITY,
            household.id,
            "update",
            user,
            data={"member": member_id, "fields": changed},
            device_time=device_time,
            scope=_scope_of(household),
        )
    for conflict in conflicts:
        db.session.add(conflict)
        db.session.flush()
        record(
            ENTITY,
            household.id,
            "conflict",
            user,
            data=_conflict_data(conflict),
            device_time=device_time,
            scope=_scope_of(household),
        )
    transaction.commit()
    return household


def _same(field, current, value):
    if field == "tags":
        return sorted(set(current or [])) == sorted(set(value or []))
    return current == value


def _conflict_data(conflict):
    """Both values for the history, encrypted as the register keeps them: the history is
    not a way round the encryption."""
    return {
        "conflict": conflict.id,
        "member": conflict.member_id,
        "field": conflict.field,
        "current": privacy.encrypt(conflict.current),
        "proposed": privacy.encrypt(conflict.proposed),
    }


def add_member(user, household_id, body):
    household = get_visible(user, household_id)
    require(may_edit(user, household), "Households are changed by the grid's members.")
    if body.get("id") and any(m.id == body["id"] for m in household.members):
        return household  # sent again
    member = _new_member(household, body, len(household.members))
    household.updated_at = clock.now()
    db.session.flush()
    record(
        ENTITY,
        household.id,
        "add_member",
        user,
        data={"member": member.id},
        scope=_scope_of(household),
    )
    transaction.commit()
    return household


# -- moved out (迁出) and back in ---------------------------------------------------------------


def move_out(user, household_id, body):
    """迁出: the household (or one member) moved out on a day, to somewhere, for a reason; off
    the visit plans and the lists from then on, kept in the register and its history. Sent
    again as it stands, it changes nothing."""
    household = get_visible(user, household_id)
    require(may_edit(user, household), "Moves are recorded by the grid's members.")
    row = _member(household, body["member"]) if body.get("member") else household
    if body["on"] > clock.today():
        raise Invalid("A move is recorded when it has happened.", fields={"on": ["in the future"]})
    moved = (body["on"], body.get("to"), body["reason"])
    if (row.moved_out_on, row.moved_to, row.moved_reason) == moved:
        return household  # sent again
    row.moved_out_on, row.moved_to, row.moved_reason = moved
    _moved(user, household, "move_out", body, {"on": body["on"].isoformat(), "to": moved[1]})
    return household


def move_in(user, household_id, body):
    """Moved back in: on the lists and visit plans again (its move out stays in the history)."""
    household = get_visible(user, household_id)
    require(may_edit(user, household), "Moves are recorded by the grid's members.")
    row = _member(household, body["member"]) if body.get("member") else household
    if row.moved_out_on is None:
        return household  # lives here (sent again)
    row.moved_out_on = row.moved_to = row.moved_reason = None
    _moved(user, household, "move_in", body, {})
    return household


def _moved(user, household, action, body, data):
    household.updated_at = clock.now()
    record(
        ENTITY,
        household.id,
        action,
        user,
        note=body.get("reason"),
        data={"member": body.get("member"), **data},
        device_time=body.get("device_time"),
        scope=_scope_of(household),
    )
    transaction.commit()


# -- conflicts ---------------------------------------------------------------------------------


def conflicts(user, community_code=None):
    """Open conflicts in the households the user manages, oldest first."""
    query = (
        select(Conflict)
        .join(Household)
        .where(
            Conflict.resolved_at.is_(None),
            Household.id.in_(visible_ids(user)),
        )
        .options(selectinload(Conflict.household).selectinload(Household.grid))
        .order_by(Conflict.id)
    )
    if community_code:
        community = select(Unit.id).where(Unit.code == community_code)
        query = query.where(Household.community_id.in_(community))
    found = db.session.execute(query).scalars().all()
    return [c for c in found if people.manages(user, c.household.grid)]


def present_conflicts(user, found):
    """Both values, masked as the register shows them."""
    out = []
    for conflict in found:
        household = conflict.household
        member = _member(household, conflict.member_id) if conflict.member_id else None
        out.append(
            Shown(
                conflict,
                household={"id": household.id, "address": household.address},
                member={"id": member.id, "name": member.name} if member else None,
                current=_shown_value(conflict.field, json.loads(conflict.current)),
                proposed=_shown_value(conflict.field, json.loads(conflict.proposed)),
                proposed_by={"id": conflict.proposed_by.id, "name": conflict.proposed_by.name},
            )
        )
    return out


def _shown_value(field, value):
    masks = {"phone": privacy.mask_phone, "id_number": privacy.mask_id}
    return masks[field](value) if field in masks else value


def resolve(user, conflict_id, keep):
    """The secretary's decision: keep the current value, or take the proposed one (a new
    version of the field, so phones' later changes merge against it)."""
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or not visible(user, conflict.household):
        raise NotFound("No such conflict.", fields={"id": [conflict_id]})
    household = conflict.household
    require(people.manages(user, household.grid), "Conflicts are decided by the secretary.")
    if conflict.resolved_at is not None:
        if conflict.kept == keep:
            return conflict  # decided so already
        raise ConflictError("This conflict was decided already.", code="resolved")
    if keep == "proposed":
        row = _member(household, conflict.member_id) if conflict.member_id else household
        set_field(row, conflict.field, json.loads(conflict.proposed))
        row.versions = {**row.versions, conflict.field: row.versions.get(conflict.field, 0) + 1}
        household.updated_at = clock.now()
    conflict.kept, conflict.resolved_at, conflict.resolved_by_id = keep, clock.now(), user.id
    record(
        ENTITY,
        household.id,
        "resolve",
        user,
        data={"conflict": conflict.id, "field": conflict.field, "kept": keep},
        scope=_scope_of(household),
    )
    transaction.commit()
    return conflict


# -- scope and privacy -------------------------------------------------------------------------


def _scope_of(household):
    return (household.grid_id, household.community_id)


def _scope(household_id):
    household = db.session.get(Household, household_id)
    return _scope_of(household) if household else (None, None)


def _load_member(member_id):
    return db.session.get(HouseholdMember, member_id)


def _member_visible(user, member):
    return visible(user, db.session.get(Household, member.household_id))


def _member_scope(member):
    return _scope(member.household_id)


register_scope(ENTITY, _scope)
for _field, _roles in UNMASK_ROLES.items():
    privacy.register(
        "household_member",
        _field,
        load=_load_member,
        visible=_member_visible,
        roles=_roles,
        scope=_member_scope,
    )
