"""Rules of 志愿服务: activities a secretary organises, sign-ups held to capacity by the
database, check-in within the stated distance of the place and check-out giving the hours,
the organiser's confirmation, and hours per person, branch and community."""

import uuid

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import clock, transaction
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.party import services as party
from app.party.models import PartyMember, PartyOrg
from app.people import services as people
from app.people.models import DISTRICT_ADMIN, User
from app.rules import require, require_state
from app.schemas import Shown
from app.units import spatial
from app.units.models import Unit
from app.volunteering.models import OPEN, Activity, SignUp

SHOWN_WITH = (joinedload(Activity.community), joinedload(Activity.organiser))


def _mine(user, activity_id):
    return db.session.execute(
        select(SignUp).where(
            SignUp.activity_id == activity_id, SignUp.user_id == user.id, SignUp.live
        )
    ).scalar()


def visible(user, activity):
    return (
        user.role == DISTRICT_ADMIN
        or people.can_view(user, activity.community)
        or party.joins(user, activity.community)
        or _mine(user, activity.id) is not None
    )


def get_visible(user, activity_id):
    activity = db.session.get(Activity, activity_id)
    if activity is None or not visible(user, activity):
        raise NotFound("No such activity.", fields={"id": [activity_id]})
    return activity


def create(user, body):
    community = db.session.execute(select(Unit).where(Unit.code == body["community"])).scalar()
    if community is None or community.level != "community":
        raise Invalid("No such community.", fields={"community": [body["community"]]})
    require(people.manages(user, community), "Activities are organised by the secretary.")
    if body["ends_at"] <= body["starts_at"]:
        raise Invalid("It ends after it starts.", fields={"ends_at": ["before the start"]})
    now = clock.now()
    activity = Activity(
        id=body.get("id") or str(uuid.uuid4()),
        community_id=community.id,
        title=body["title"],
        description=body.get("description"),
        place=body["place"],
        lat=body["lat"],
        lng=body["lng"],
        radius_m=body["radius_m"],
        starts_at=body["starts_at"],
        ends_at=body["ends_at"],
        capacity=body["capacity"],
        signed_up=0,
        state=OPEN,
        organiser_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(activity)
    db.session.flush()
    record("activity", activity.id, "create", user, to_state=OPEN, note=activity.title)
    transaction.commit()
    return activity


def sign_up(user, activity_id, device_time=None):
    """A place, held to capacity as a task's claim is: one conditional UPDATE raises the
    count only below capacity, a CHECK refuses more, a partial unique index one live sign-up
    per person; signing up again is harmless."""
    activity = get_visible(user, activity_id)
    require(
        party.joins(user, activity.community), "Activities are joined by the community's people."
    )
    if _mine(user, activity.id) is not None:
        return activity
    try:
        with db.session.begin_nested():
            taken = db.session.execute(
                update(Activity)
                .where(
                    Activity.id == activity.id,
                    Activity.state == OPEN,
                    Activity.signed_up < Activity.capacity,
                )
                .values(signed_up=Activity.signed_up + 1, updated_at=clock.now())
                .returning(Activity.id)
                .execution_options(synchronize_session=False)
            ).scalar()
            if taken is not None:
                db.session.add(
                    SignUp(
                        activity_id=activity.id,
                        user_id=user.id,
                        signed_up_at=clock.now(),
                        live=True,
                    )
                )
                db.session.flush()
    except IntegrityError:  # the same person's other request got there first
        return activity
    db.session.expire(activity)
    if taken is None:
        require_state(activity, (OPEN,), "sign up for")
        raise Conflict(
            f"Full: all {activity.capacity} places are taken.",
            code="activity_full",
            extra={"capacity": activity.capacity},
        )
    record("activity", activity.id, "sign_up", user, device_time=device_time)
    transaction.commit()
    return activity


def _at(device_time):
    """When the phone says it happened (offline for hours), never later than now."""
    now = clock.now()
    return min(device_time, now) if device_time else now


def check_in(user, activity_id, lat, lng, device_time=None):
    """At the place: the phone's point within the activity's stated distance."""
    activity = get_visible(user, activity_id)
    mine = _mine(user, activity.id)
    require(mine is not None, "Sign up first.")
    if mine.checked_in_at is not None:
        return activity  # once, however often sent
    off_by = spatial.distance_m(lat, lng, activity.lat, activity.lng)
    if off_by > activity.radius_m:
        raise Invalid(
            f"{round(off_by)} m from the place: check in within {activity.radius_m} m.",
            code="too_far",
            fields={"lat": ["too far"], "lng": ["too far"]},
        )
    mine.checked_in_at, mine.check_in_m = _at(device_time), off_by
    record("activity", activity.id, "check_in", user, device_time=device_time, point=(lat, lng))
    transaction.commit()
    return activity


def check_out(user, activity_id, device_time=None):
    """Leaving: the time since check-in gives the hours (to the tenth), for the organiser to
    confirm."""
    activity = get_visible(user, activity_id)
    mine = _mine(user, activity.id)
    if mine is None or mine.checked_in_at is None:
        raise Invalid("Check in first.", code="not_checked_in", fields={"id": [activity_id]})
    if mine.checked_out_at is not None:
        return activity
    out = max(_at(device_time), mine.checked_in_at)
    mine.checked_out_at = out
    mine.hours = round((out - mine.checked_in_at).total_seconds() / 3600, 1)
    record("activity", activity.id, "check_out", user, device_time=device_time)
    transaction.commit()
    return activity


def confirm(user, activity_id, user_id, hours=None):
    """The organiser (or the secretary) confirms a person's hours, or corrects them."""
    activity = get_visible(user, activity_id)
    require(
        activity.organiser_id == user.id or people.manages(user, activity.community),
        "Hours are confirmed by the organiser.",
    )
    person = db.session.execute(
        select(SignUp).where(
            SignUp.activity_id == activity.id, SignUp.user_id == user_id, SignUp.live
        )
    ).scalar()
    if person is None or person.checked_out_at is None:
        raise Invalid("Nobody of that id checked out.", fields={"user_id": [user_id]})
    if hours is not None:
        person.hours = hours
    person.confirmed_by_id, person.confirmed_at = user.id, clock.now()
    record("activity", activity.id, "confirm", user, data={"user": user_id, "hours": person.hours})
    transaction.commit()
    return activity


# -- reading -------------------------------------------------------------------------------------


def _visible_to(user):
    query = select(Activity).options(*SHOWN_WITH)
    if user.role == DISTRICT_ADMIN:
        return query
    communities = [*party.reported_to(user)]
    for area in people.areas(user):
        if area.level == "grid":
            communities.append(area.parent_id)
        elif area.level == "community":
            communities.append(area.id)
    own = [
        Activity.id.in_(select(SignUp.activity_id).where(SignUp.user_id == user.id)),
        Activity.community_id.in_(communities),
    ]
    streets = [area.id for area in people.areas(user) if area.level == "street"]
    if streets:
        own.append(Activity.community_id.in_(select(Unit.id).where(Unit.parent_id.in_(streets))))
    return query.where(or_(*own))


def listing(user, filters):
    query = _visible_to(user)
    if filters.get("mine"):
        query = query.where(
            Activity.id.in_(select(SignUp.activity_id).where(SignUp.user_id == user.id))
        )
    if filters.get("upcoming"):
        query = query.where(Activity.ends_at >= clock.now(), Activity.state == OPEN)
    query = query.order_by(Activity.starts_at, Activity.id)
    return (
        db.session.execute(query.limit(filters["limit"]).offset(filters["offset"])).scalars().all()
    )


def snapshot(user, after_id, since, limit):
    query = _visible_to(user).where(
        or_(Activity.ends_at >= clock.now(), Activity.updated_at >= since), Activity.id > after_id
    )
    return db.session.execute(query.order_by(Activity.id).limit(limit)).scalars().all()


def present(user, activities, *, detail=False):
    """Activities with the user's own sign-up; the organiser's view lists everyone's."""
    ids = [a.id for a in activities]
    mine = {}
    if ids:
        for signup in db.session.execute(
            select(SignUp).where(
                SignUp.activity_id.in_(ids), SignUp.user_id == user.id, SignUp.live
            )
        ).scalars():
            mine[signup.activity_id] = signup
    out = []
    for activity in activities:
        shown = Shown(activity, mine=mine.get(activity.id))
        if detail:
            runs = activity.organiser_id == user.id or people.manages(user, activity.community)
            shown.signups = (
                db.session.execute(
                    select(SignUp)
                    .where(SignUp.activity_id == activity.id, SignUp.live)
                    .order_by(SignUp.signed_up_at, SignUp.id)
                )
                .scalars()
                .all()
                if runs
                else []
            )
        out.append(shown)
    return out


def hours(user, by, since=None, until=None):
    """Confirmed hours per person, branch or community, within the user's area."""
    query = (
        select(func.sum(SignUp.hours).label("hours"), func.count().label("activities"))
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(SignUp.live, SignUp.confirmed_at.is_not(None))
    )
    if since is not None:
        query = query.where(Activity.starts_at >= since)
    if until is not None:
        query = query.where(Activity.starts_at < until)
    if user.role != DISTRICT_ADMIN:
        areas = people.areas(user)
        require(areas, "Hours are for the secretaries, streets and the district.")
        query = query.where(Activity.id.in_(_visible_to(user).with_only_columns(Activity.id)))
    if by == "person":
        keys = (User.id, User.name)
        query = query.join(User, User.id == SignUp.user_id)
    elif by == "branch":
        keys = (PartyOrg.id, PartyOrg.name)
        query = query.join(PartyMember, PartyMember.user_id == SignUp.user_id).join(
            PartyOrg, PartyOrg.id == PartyMember.org_id
        )
    else:
        keys = (Unit.code, Unit.name)
        query = query.join(Unit, Unit.id == Activity.community_id)
    rows = db.session.execute(
        query.add_columns(*keys).group_by(*keys).order_by(func.sum(SignUp.hours).desc())
    )
    return [dict(row._mapping) for row in rows]


def feed_filter(user, entry):
    """The history rows of activities a party member pulls (as wishes.feed_filter)."""
    mine = select(SignUp.activity_id).where(SignUp.user_id == user.id)
    return and_(
        entry.entity == "activity",
        or_(entry.community_id.in_(party.reported_to(user)), entry.entity_id.in_(mine)),
    )


def _scope(activity_id):
    return None, db.session.get(Activity, activity_id).community_id


register_scope("activity", _scope)
