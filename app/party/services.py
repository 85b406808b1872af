"""Rules of the party organisation: committees and branches on the map, members, in-service
members reporting to a community (which gives a party member's login its scope), joint-built
units, and a member's own record. Each change is one history entry."""

from sqlalchemy import func, select, update

from app import clock, transaction
from app.errors import Invalid, NotFound
from app.extensions import db
from app.history.services import record
from app.party.models import (
    COMMITTEE,
    JointUnit,
    PartyMember,
    PartyOrg,
    ServiceReport,
)
from app.people import services as people
from app.people.models import PARTY_MEMBER, User
from app.rules import require
from app.units.models import Unit
from app.volunteering.models import SignUp
from app.wishes.models import FULFILLED, Wish, WishClaim

# A committee is organised in a community, a branch or group in a grid.
LEVEL_OF = {COMMITTEE: "community"}


def _unit(code, level, field):
    unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar() if code else None
    if unit is None or unit.level != level:
        raise Invalid(f"No {level} with code {code}.", fields={field: [code]})
    return unit


def _manager(user, unit):
    require(
        people.manages(user, unit),
        "The party organisation is kept by the community's secretary, the street or the district.",
    )


def _org_scope(org):
    unit = org.unit
    return (unit.id, unit.parent_id) if unit.level == "grid" else (None, unit.id)


def create_org(user, body):
    """A community's committee, or a grid's branch (group) under its community's committee."""
    level = LEVEL_OF.get(body["kind"], "grid")
    unit = _unit(body["unit"], level, "unit")
    _manager(user, unit)
    if db.session.execute(select(PartyOrg.id).where(PartyOrg.unit_id == unit.id)).first():
        raise Invalid("That unit already has its party organisation.", fields={"unit": [unit.code]})
    parent = None
    if level == "grid":
        parent = db.session.execute(
            select(PartyOrg).where(PartyOrg.unit_id == unit.parent_id)
        ).scalar()
        if parent is None:
            raise Invalid("Set up the community's committee first.", fields={"unit": [unit.code]})
    org = PartyOrg(
        kind=body["kind"],
        name=body["name"],
        unit=unit,
        parent_id=parent.id if parent else None,
        created_at=clock.now(),
    )
    db.session.add(org)
    db.session.flush()
    record("party_org", org.id, "create", user, note=org.name, scope=_org_scope(org))
    transaction.commit()
    return org


def get_org(user, org_id):
    org = db.session.get(PartyOrg, org_id)
    if org is None or not people.can_view(user, org.unit):
        raise NotFound("No such party organisation.", fields={"id": [org_id]})
    return org


def community(user, code):
    """A community whose party organisation the user may see."""
    unit = _unit(code, "community", "community")
    people.require_view(user, unit)
    return unit


def orgs(user, community_code):
    """A community's committee and its grids' branches."""
    unit = community(user, community_code)
    grids = select(Unit.id).where(Unit.parent_id == unit.id)
    return (
        db.session.execute(
            select(PartyOrg)
            .where((PartyOrg.unit_id == unit.id) | PartyOrg.unit_id.in_(grids))
            .order_by(PartyOrg.id)
        )
        .scalars()
        .all()
    )


def members_of(org_ids):
    """{org id: [PartyMember]} by name."""
    found = {}
    for member in db.session.execute(
        select(PartyMember).where(PartyMember.org_id.in_(list(org_ids))).order_by(PartyMember.name)
    ).scalars():
        found.setdefault(member.org_id, []).append(member)
    return found


def add_member(user, body):
    org = get_org(user, body["org_id"])
    _manager(user, org.unit)
    if body["mobile"] and not body.get("origin"):
        raise Invalid("A 流动党员 says where they come from.", fields={"origin": ["required"]})
    login = None
    if body.get("user_id"):
        login = db.session.get(User, body["user_id"])
        taken = db.session.execute(
            select(PartyMember.id).where(PartyMember.user_id == body["user_id"])
        ).first()
        if login is None or taken:
            raise Invalid(
                "No such login, or it is another member's.", fields={"user_id": [body["user_id"]]}
            )
    member = PartyMember(
        name=body["name"],
        org_id=org.id,
        type=body["type"],
        mobile=body["mobile"],
        origin=body.get("origin"),
        user_id=login.id if login else None,
        created_at=clock.now(),
    )
    db.session.add(member)
    db.session.flush()
    record(
        "party_member",
        member.id,
        "join",
        user,
        note=member.name,
        scope=_org_scope(org),
        data={"org": org.id, "type": member.type, "mobile": member.mobile},
    )
    transaction.commit()
    return member


def edit_member(user, member_id, body):
    """A member's name, type (转正: 预备 → 正式) or being a 流动党员 (with where from)."""
    member = db.session.get(PartyMember, member_id)
    if member is None or member.org is None or not people.can_view(user, member.org.unit):
        raise NotFound("No such party member.", fields={"id": [member_id]})
    _manager(user, member.org.unit)
    changed = {k: v for k, v in body.items() if getattr(member, k) != v}
    mobile = changed.get("mobile", member.mobile)
    origin = changed.get("origin", member.origin) if mobile else None
    if mobile and not origin:
        raise Invalid("A 流动党员 says where they come from.", fields={"origin": ["required"]})
    changed.pop("origin", None)
    if member.origin != origin:
        changed["origin"] = origin
    for name, value in changed.items():
        setattr(member, name, value)
    if changed:
        db.session.flush()
        record(
            "party_member",
            member.id,
            "edit",
            user,
            note=member.name,
            scope=_org_scope(member.org),
            data=changed,
        )
    transaction.commit()
    return member


def set_secretary(user, org_id, member_id):
    org = get_org(user, org_id)
    _manager(user, org.unit)
    member = db.session.get(PartyMember, member_id)
    if member is None or member.org_id != org.id:
        raise Invalid(
            "The secretary is a member of the organisation.", fields={"member_id": [member_id]}
        )
    db.session.execute(  # the previous secretary steps down in the same change
        update(PartyMember)
        .where(PartyMember.org_id == org.id, PartyMember.secretary, PartyMember.id != member.id)
        .values(secretary=False)
    )
    db.session.flush()
    member.secretary = True
    record(
        "party_org", org.id, "secretary", user, scope=_org_scope(org), data={"member": member.id}
    )
    transaction.commit()
    return org


def report(user, body):
    """在职党员报到: a member reports to a community; a party member's login then sees and
    claims that community's wishes and activities (its scope)."""
    community = _unit(body["community"], "community", "community")
    _manager(user, community)
    member = db.session.get(PartyMember, body["member_id"])
    if member is None:
        raise Invalid("No such party member.", fields={"member_id": [body["member_id"]]})
    joint = body.get("joint_unit_id")
    if joint is not None and db.session.get(JointUnit, joint) is None:
        raise Invalid("No such joint-built unit.", fields={"joint_unit_id": [joint]})
    entry = ServiceReport(
        member_id=member.id,
        community_id=community.id,
        work_unit=body["work_unit"],
        post=body.get("post"),
        joint_unit_id=joint,
        reported_at=clock.now(),
    )
    db.session.add(entry)
    if member.user is not None and member.user.role == PARTY_MEMBER:
        if community not in member.user.units:
            member.user.units.append(community)
    db.session.flush()
    record(
        "party_member",
        member.id,
        "report",
        user,
        scope=(None, community.id),
        data={"community": community.code, "work_unit": entry.work_unit, "post": entry.post},
    )
    transaction.commit()
    return entry


def reports_to(community_id):
    return (
        db.session.execute(
            select(ServiceReport)
            .where(ServiceReport.community_id == community_id)
            .order_by(ServiceReport.reported_at.desc())
        )
        .scalars()
        .all()
    )


def add_joint_unit(user, body):
    street = _unit(body["street"], "street", "street")
    _manager(user, street)
    unit = JointUnit(
        name=body["name"], street_id=street.id, note=body.get("note"), created_at=clock.now()
    )
    db.session.add(unit)
    db.session.flush()
    record("joint_unit", unit.id, "create", user, note=unit.name, scope=(None, None))
    transaction.commit()
    return unit


def joint_units(user, street_code):
    """The street's joint-built units: for those who see the street, and for the people of
    its communities (a secretary records in-service members reporting from them)."""
    street = _unit(street_code, "street", "street")
    if not any(street.contains(area) for area in people.areas(user)):
        people.require_view(user, street)
    return (
        db.session.execute(
            select(JointUnit).where(JointUnit.street_id == street.id).order_by(JointUnit.name)
        )
        .scalars()
        .all()
    )


def reported_to(user):
    """The ids of the communities a party member reported to: their scope."""
    if user.role != PARTY_MEMBER:
        return []
    return [unit.id for unit in user.units if unit.level == "community"]


def joins(user, community):
    """Whether the community's wish wall and activities are the user's: a party member who
    reported to it, or a member of one of its grids."""
    return community.id in reported_to(user) or people.serves(user, community)


def own_record(user):
    """我的党员档案: the member, their organisation, where they reported, their wishes
    fulfilled and claimed, and their confirmed volunteer hours."""
    member = db.session.execute(select(PartyMember).where(PartyMember.user_id == user.id)).scalar()
    claims = select(WishClaim.wish_id).where(WishClaim.user_id == user.id, WishClaim.live)
    fulfilled = db.session.execute(
        select(func.count()).where(Wish.id.in_(claims), Wish.state == FULFILLED)
    ).scalar()
    return {
        "member": member,
        "org": member.org if member else None,
        "reports": (
            db.session.execute(
                select(ServiceReport)
                .where(ServiceReport.member_id == member.id)
                .order_by(ServiceReport.reported_at)
            )
            .scalars()
            .all()
            if member
            else []
        ),
        "wishes_fulfilled": fulfilled,
        "wishes_claimed": db.session.execute(
            select(func.count()).where(Wish.id.in_(claims), Wish.state != FULFILLED)
        ).scalar(),
        "volunteer_hours": db.session.execute(
            select(func.coalesce(func.sum(SignUp.hours), 0.0)).where(
                SignUp.user_id == user.id, SignUp.live, SignUp.confirmed_at.is_not(None)
            )
        ).scalar(),
    }
