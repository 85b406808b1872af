"""Rules of 微心愿: recording for a resident, verification (核实), the wall with the beneficiary
masked, one live claim enforced by the database, cancel, fulfilment with photos and the
beneficiary's confirmation, and counts by date fulfilled. Every change is one history entry."""

import uuid

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import clock, transaction
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope, timeline
from app.party import services as party
from app.party.models import JointUnit, PartyMember, ServiceReport
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, SECRETARY, User
from app.photos import services as photos
from app.rules import require, require_state
from app.schemas import Shown
from app.units.models import Unit
from app.wishes.models import (
    CLAIMED,
    DELIVERED,
    FULFILLED,
    PUBLISHED,
    RECORDED,
    STATES,
    WALL,
    WITHDRAWN,
    Wish,
    WishClaim,
)

# 联户长: the households work adds the role to app/people ROLES; a wish they collect in their
# grid is recorded as a grid member's is.
LIAISON = "liaison"

SHOWN_WITH = (joinedload(Wish.community), joinedload(Wish.grid), joinedload(Wish.recorded_by))


# -- who -----------------------------------------------------------------------------------------


def _grid_people(user, grid):
    """The grid's members and its 联户长: who collect wishes door to door and confirm them."""
    if user.role == LIAISON:
        return any(area.contains(grid) for area in user.units)
    return people.serves(user, grid)


def personal(user, wish):
    """Whether the user sees the beneficiary (name, phone, address): whoever recorded the
    wish, the grid's people and the community's secretary. The wall, the street, the
    district and claimants see the category, the need and a rough place."""
    return (
        wish.recorded_by_id == user.id
        or _grid_people(user, wish.grid)
        or (user.role == SECRETARY and people.can_view(user, wish.community))
    )


def _claims_of(user, wish_id):
    return select(WishClaim.id).where(WishClaim.wish_id == wish_id, WishClaim.user_id == user.id)


def visible(user, wish):
    if user.role == DISTRICT_ADMIN or people.can_view(user, wish.grid) or personal(user, wish):
        return True
    if wish.state in WALL and party.joins(user, wish.community):
        return True
    return db.session.execute(_claims_of(user, wish.id).limit(1)).first() is not None


def get_visible(user, wish_id):
    wish = db.session.get(Wish, wish_id, options=SHOWN_WITH)
    if wish is None or not visible(user, wish):
        raise NotFound("No such wish.", fields={"id": [wish_id]})
    return wish


def _live_claim(wish_id):
    return db.session.execute(
        select(WishClaim).where(WishClaim.wish_id == wish_id, WishClaim.live)
    ).scalar()


# -- recording and the wall ----------------------------------------------------------------------


def create(user, body):
    """A wish collected for a resident of a grid, waiting to be verified. The same id again is
    the original (a phone's retry)."""
    if body.get("id"):
        existing = db.session.get(Wish, body["id"])
        if existing is not None:
            if existing.recorded_by_id != user.id:
                raise Conflict("That id is taken.", code="id_taken", fields={"id": [body["id"]]})
            return existing, False
    grid = db.session.execute(select(Unit).where(Unit.code == body["grid"])).scalar()
    if grid is None or grid.level != "grid":
        raise Invalid("No grid with that code.", fields={"grid": [body["grid"]]})
    require(
        _grid_people(user, grid) or people.manages(user, grid),
        "Wishes are recorded by the grid's members, its 联户长 or the secretary.",
    )
    now = clock.now()
    wish = Wish(
        id=body.get("id") or str(uuid.uuid4()),
        community_id=grid.parent_id,
        grid_id=grid.id,
        category=body["category"],
        need=body["need"],
        place=body["place"],
        beneficiary_name=body["beneficiary_name"],
        beneficiary_phone=body.get("beneficiary_phone"),
        address=body["address"],
        state=RECORDED,
        recorded_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(wish)
    record(
        "wish",
        wish.id,
        "record",
        user,
        to_state=RECORDED,
        scope=(grid.id, grid.parent_id),
        data={"category": wish.category},
    )
    transaction.commit()
    return wish, True


def _checker(user, wish):
    require(
        _grid_people(user, wish.grid) or people.manages(user, wish.grid),
        "Only the grid's members, its 联户长 or the secretary may do that.",
    )


def _move(wish, user, action, to_state, note=None, **values):
    from_state = wish.state
    wish.state = to_state
    wish.updated_at = clock.now()
    for name, value in values.items():
        setattr(wish, name, value)
    record("wish", wish.id, action, user, from_state=from_state, to_state=to_state, note=note)


def verify(user, wish_id, passed, reason=None):
    """核实: the wish is real and goes on the wall, or it is withdrawn with the reason."""
    wish = get_visible(user, wish_id)
    _checker(user, wish)
    require_state(wish, (RECORDED,), "verify")
    if passed:
        _move(wish, user, "verify", PUBLISHED, published_at=clock.now())
    else:
        if not reason:
            raise Invalid("Say why the wish is not published.", fields={"reason": ["required"]})
        _move(wish, user, "withdraw", WITHDRAWN, reason, reason=reason)
    transaction.commit()
    return wish


def withdraw(user, wish_id, reason):
    """Taken off the wall, only while nobody has claimed it."""
    wish = get_visible(user, wish_id)
    _checker(user, wish)
    require_state(wish, (RECORDED, PUBLISHED), "withdraw")
    _move(wish, user, "withdraw", WITHDRAWN, reason, reason=reason)
    transaction.commit()
    return wish


# -- claims --------------------------------------------------------------------------------------


def _joint_unit(user, wish, joint_unit_id):
    """The joint-built unit a claim is made for: one of the wish's street, whose in-service
    member the claimant reported as."""
    if joint_unit_id is None:
        return None
    unit = db.session.get(JointUnit, joint_unit_id)
    member_of = db.session.execute(
        select(ServiceReport.id)
        .join(PartyMember, PartyMember.id == ServiceReport.member_id)
        .where(PartyMember.user_id == user.id, ServiceReport.joint_unit_id == joint_unit_id)
        .limit(1)
    ).first()
    if unit is None or unit.street_id != wish.community.parent_id or member_of is None:
        raise Invalid(
            "Claim for a joint-built unit of the wish's street that you reported from.",
            fields={"joint_unit_id": [joint_unit_id]},
        )
    return unit


def claim(user, wish_id, joint_unit_id=None, device_time=None):
    """One live claim per wish, settled by the database: a conditional UPDATE moves the wish
    from published to claimed (PostgreSQL re-checks the condition on the locked row, SQLite
    runs one writer at a time) and a partial unique index refuses a second live claim, in a
    savepoint of its own. Claiming what one already holds is harmless."""
    wish = get_visible(user, wish_id)
    require(
        party.joins(user, wish.community),
        "Wishes are claimed by the party members and volunteers of the wish's community.",
    )
    unit = _joint_unit(user, wish, joint_unit_id)
    now = clock.now()
    try:
        with db.session.begin_nested():
            taken = db.session.execute(
                update(Wish)
                .where(Wish.id == wish.id, Wish.state == PUBLISHED)
                .values(state=CLAIMED, updated_at=now)
                .returning(Wish.id)
                .execution_options(synchronize_session=False)
            ).scalar()
            if taken is not None:
                db.session.add(
                    WishClaim(
                        wish_id=wish.id,
                        user_id=user.id,
                        joint_unit_id=unit.id if unit else None,
                        claimed_at=now,
                        live=True,
                    )
                )
                db.session.flush()
    except IntegrityError:  # a live claim stood after all: the database's word is final
        taken = None
    db.session.expire(wish)
    if taken is None:
        held = _live_claim(wish.id)
        if held is not None and held.user_id == user.id:
            return wish  # a retry of one's own claim
        if held is None:  # withdrawn or done; or claimed and given back in the meantime
            require_state(wish, (PUBLISHED,), "claim")
            raise Conflict("Claimed and given back meanwhile: try again.", code="wish_claimed")
        raise Conflict(
            f"Already claimed, at {clock.told(held.claimed_at)}.",
            code="wish_claimed",
            extra={"state": wish.state},
        )
    record(
        "wish",
        wish.id,
        "claim",
        user,
        from_state=PUBLISHED,
        to_state=CLAIMED,
        device_time=device_time,
        data={"joint_unit": unit.id} if unit else None,
    )
    transaction.commit()
    return wish


def cancel(user, wish_id, reason, device_time=None):
    """The claimant (or the secretary) gives the wish back to the wall, saying why."""
    wish = get_visible(user, wish_id)
    held = _live_claim(wish.id)
    require(
        (held is not None and held.user_id == user.id) or people.manages(user, wish.grid),
        "Only the claimant or the secretary may cancel a claim.",
    )
    require_state(wish, (CLAIMED,), "cancel the claim on")
    now = clock.now()
    ended = db.session.execute(
        update(WishClaim)
        .where(WishClaim.wish_id == wish.id, WishClaim.live)
        .values(live=False, ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:  # of two cancels at once, one returns the wish
        _move(wish, user, "cancel", PUBLISHED, reason, reason=reason)
    transaction.commit()
    return wish


def fulfil(user, wish_id, note, evidence, confirmed, device_time=None):
    """Done, with photos; `confirmed` when the beneficiary confirmed it on the claimant's
    phone (then it is fulfilled), else a grid member confirms it later."""
    wish = get_visible(user, wish_id)
    held = _live_claim(wish.id)
    require(held is not None and held.user_id == user.id, "Only the claimant may fulfil it.")
    require_state(wish, (CLAIMED,), "fulfil")
    if not evidence:
        raise Invalid(
            "Fulfilment needs at least one photo.",
            code="evidence_required",
            fields={"photos": ["at least one"]},
        )
    photos.attach("wish", wish.id, evidence, user)
    now = clock.now()
    if confirmed:
        _move(wish, user, "fulfil", FULFILLED, note, fulfilment_note=note, fulfilled_at=now)
        wish.confirmed_by = "beneficiary"
    else:
        _move(wish, user, "deliver", DELIVERED, note, fulfilment_note=note)
    transaction.commit()
    return wish


def confirm(user, wish_id, note=None):
    """A grid member (or the secretary) records that the beneficiary confirmed it."""
    wish = get_visible(user, wish_id)
    _checker(user, wish)
    require_state(wish, (DELIVERED,), "confirm")
    _move(wish, user, "confirm", FULFILLED, note, fulfilled_at=clock.now(), confirmed_by="grid")
    transaction.commit()
    return wish


# -- reading -------------------------------------------------------------------------------------


def _within(area):
    if area.level == "district":
        return Wish.id.is_not(None)
    if area.level == "street":
        return Wish.community_id.in_(select(Unit.id).where(Unit.parent_id == area.id))
    if area.level == "community":
        return Wish.community_id == area.id
    return Wish.grid_id == area.id


def _visible_to(user):
    query = select(Wish).options(*SHOWN_WITH)
    if user.role == DISTRICT_ADMIN:
        return query
    own = [
        Wish.id.in_(select(WishClaim.wish_id).where(WishClaim.user_id == user.id)),
        Wish.recorded_by_id == user.id,
        *(_within(area) for area in people.areas(user)),
    ]
    walls = party.reported_to(user)
    if user.role in people.FIELD:
        walls += [area.parent_id for area in user.units if area.level == "grid"]
    if walls:
        own.append(and_(Wish.community_id.in_(walls), Wish.state.in_(WALL)))
    return query.where(or_(*own))


def listing(user, filters):
    query = _visible_to(user)
    if filters.get("community"):
        query = query.join(Unit, Unit.id == Wish.community_id).where(
            Unit.code == filters["community"]
        )
    if filters.get("state"):
        query = query.where(Wish.state.in_(filters["state"]))
    if filters.get("category"):
        query = query.where(Wish.category == filters["category"])
    if filters.get("mine"):
        query = query.where(
            Wish.id.in_(select(WishClaim.wish_id).where(WishClaim.user_id == user.id))
        )
    query = query.order_by(Wish.updated_at.desc(), Wish.id)
    return (
        db.session.execute(query.limit(filters.get("limit", 100)).offset(filters.get("offset", 0)))
        .unique()
        .scalars()
        .all()
    )


def wall(user, community_code, category=None):
    """The community's wall: its open wishes, newest first, for anyone whose wall it is."""
    community = db.session.execute(select(Unit).where(Unit.code == community_code)).scalar()
    if community is None or community.level != "community":
        raise NotFound("No such community.", fields={"community": [community_code]})
    if not (
        user.role == DISTRICT_ADMIN
        or people.can_view(user, community)
        or party.joins(user, community)
    ):
        raise NotFound("No such community.", fields={"community": [community_code]})
    query = select(Wish.id, Wish.category, Wish.need, Wish.place, Wish.published_at).where(
        Wish.community_id == community.id, Wish.state == PUBLISHED
    )
    if category:
        query = query.where(Wish.category == category)
    return db.session.execute(query.order_by(Wish.published_at.desc(), Wish.id)).all()


def tally(user, community_code):
    """{state: count} of a community's wishes, for those who keep its wishes (its secretary,
    the street, the district)."""
    community = db.session.execute(select(Unit).where(Unit.code == community_code)).scalar()
    if community is None or community.level != "community":
        raise Invalid("No community with that code.", fields={"community": [community_code]})
    require(
        people.manages(user, community),
        "The counts are for the community's secretary, the street and the district.",
    )
    rows = db.session.execute(
        select(Wish.state, func.count())
        .where(Wish.community_id == community.id)
        .group_by(Wish.state)
    )
    return {**dict.fromkeys(STATES, 0), **dict(rows.all())}


def snapshot(user, after_id, since, limit):
    """A first sync's wishes: those still open and those changed since `since`."""
    query = _visible_to(user).where(
        or_(Wish.state.in_((RECORDED, PUBLISHED, CLAIMED, DELIVERED)), Wish.updated_at >= since),
        Wish.id > after_id,
    )
    return db.session.execute(query.order_by(Wish.id).limit(limit)).unique().scalars().all()


def present(user, wishes, *, detail=False):
    """Wishes as this user sees them: the beneficiary only to those `personal` allows; the
    live claimant also sees the address and the recorder to ask for."""
    ids = [w.id for w in wishes]
    photo_map = photos.attachments("wish", ids)
    claims = {}
    if ids:
        for held, name in db.session.execute(
            select(WishClaim, User.name)
            .join(User, User.id == WishClaim.user_id)
            .where(WishClaim.wish_id.in_(ids), WishClaim.live)
        ):
            claims[held.wish_id] = (held, name)
    out = []
    for wish in wishes:
        held, name = claims.get(wish.id, (None, None))
        mine = held is not None and held.user_id == user.id
        full = personal(user, wish)
        managing = full or people.can_view(user, wish.community)
        shown = Shown(
            wish,
            beneficiary_name=wish.beneficiary_name if full else None,
            beneficiary_phone=wish.beneficiary_phone if full else None,
            address=wish.address if full or mine else None,
            contact=wish.recorded_by if mine else None,
            claimed_at=held.claimed_at if held else None,
            claimant={"id": held.user_id, "name": name} if held and (managing or mine) else None,
            mine=mine,
            photos=photo_map.get(wish.id, []),
        )
        if detail:
            shown.history = timeline("wish", wish.id) if managing else []
        out.append(shown)
    return out


def counts(user, by, since=None, until=None):
    """Fulfilled wishes by the date fulfilled, per community, street or claimant, within the
    user's area: [{code, name, count}] (claimants: {id, name, count}), largest first."""
    query = (
        select(func.count(Wish.id).label("count"))
        .join(WishClaim, and_(WishClaim.wish_id == Wish.id, WishClaim.live))
        .where(Wish.state == FULFILLED)
    )
    if since is not None:
        query = query.where(Wish.fulfilled_at >= since)
    if until is not None:
        query = query.where(Wish.fulfilled_at < until)
    if user.role != DISTRICT_ADMIN:
        areas = people.areas(user)
        require(areas, "Counts are for the secretaries, streets and the district.")
        query = query.where(or_(*(_within(area) for area in areas)))
    if by == "claimant":
        query = query.join(User, User.id == WishClaim.user_id).add_columns(
            User.id.label("id"), User.name
        )
        keys = (User.id, User.name)
    else:
        community = Unit.__table__.alias("community")
        query = query.join(community, community.c.id == Wish.community_id)
        if by == "street":
            street = Unit.__table__.alias("street")
            query = query.join(street, street.c.id == community.c.parent_id)
            keys = (street.c.code, street.c.name)
        else:
            keys = (community.c.code, community.c.name)
        query = query.add_columns(*keys)
    rows = db.session.execute(query.group_by(*keys).order_by(func.count(Wish.id).desc()))
    return [dict(row._mapping) for row in rows]


def feed_filter(user, entry):
    """The history rows of wishes a party member pulls: their communities' and their own
    claims' (grid members and secretaries pull them by the rows' grid and community)."""
    mine = select(WishClaim.wish_id).where(WishClaim.user_id == user.id)
    return and_(
        entry.entity == "wish",
        or_(entry.community_id.in_(party.reported_to(user)), entry.entity_id.in_(mine)),
    )


def _photo_visible(user, wish_id):
    wish = db.session.get(Wish, wish_id)
    return wish is not None and visible(user, wish)


def _scope(wish_id):
    wish = db.session.get(Wish, wish_id)
    return wish.grid_id, wish.community_id


photos.register_visibility("wish", _photo_visible)
register_scope("wish", _scope)
