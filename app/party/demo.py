"""The demo's party work, on the first community of the demo logins: its committee and the
first grid's branch with members, a party member's login reported to the community, a
joint-built unit, a few wishes, an activity and a held meeting with a decision."""

import secrets
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.meetings import services as meetings
from app.party import services as party
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    GRID_MEMBER,
    PARTY_MEMBER,
    SECRETARY,
    User,
)
from app.people.services import hash_password
from app.units.models import Unit
from app.volunteering import services as volunteering
from app.wishes import services as wishes

WISHES = (
    ("daily_needs", "一台电饭煲", "锦江路3栋附近"),
    ("study", "孙子的课外辅导书", "学府路小区"),
    ("repair", "修好漏水的水龙头", "老街5号院"),
    ("company", "每周有人陪聊一次", "滨江花园"),
)


def seed_party(logins):
    """Add the party demo and its login (before the last, "everyone else", entry)."""
    login = {entry["role"]: entry for entry in logins}

    def person(role):
        return db.session.execute(select(User).where(User.phone == login[role]["phone"])).scalar()

    member, secretary = person(GRID_MEMBER), person(SECRETARY)
    leader, department = person(DISTRICT_ADMIN), person(DEPARTMENT)
    grid = db.session.execute(
        select(Unit).where(Unit.code == login[GRID_MEMBER]["unit"].split()[-1])
    ).scalar()
    community, street = grid.parent, grid.parent.parent
    password = secrets.token_urlsafe(9)
    volunteer = User(
        phone="13600000001",
        name="党员志愿者",
        password_hash=hash_password(password),
        role=PARTY_MEMBER,
        active=True,
    )
    db.session.add(volunteer)
    db.session.flush()

    party.create_org(
        secretary, {"kind": "committee", "unit": community.code, "name": f"{community.name}党委"}
    )
    branch = party.create_org(
        secretary, {"kind": "branch", "unit": grid.code, "name": f"{grid.name}党支部"}
    )
    chief = party.add_member(
        secretary, {"org_id": branch.id, "name": "李支书", "type": "full", "mobile": False}
    )
    party.set_secretary(secretary, branch.id, chief.id)
    party.add_member(
        secretary,
        {
            "org_id": branch.id,
            "name": "流动党员",
            "type": "full",
            "mobile": True,
            "origin": "思南县",
        },
    )
    reported = party.add_member(
        secretary,
        {
            "org_id": branch.id,
            "name": volunteer.name,
            "type": "probationary",
            "mobile": False,
            "user_id": volunteer.id,
        },
    )
    joint = party.add_joint_unit(leader, {"street": street.code, "name": "碧江区供电局"})
    party.report(
        secretary,
        {
            "member_id": reported.id,
            "community": community.code,
            "work_unit": joint.name,
            "post": "楼栋志愿者",
            "joint_unit_id": joint.id,
        },
    )

    for index, (category, need, place) in enumerate(WISHES):
        wish, _ = wishes.create(
            member,
            {
                "grid": grid.code,
                "category": category,
                "need": need,
                "place": place,
                "beneficiary_name": f"居民{index + 1}",
                "beneficiary_phone": None,
                "address": f"{place}{index + 1}单元",
            },
        )
        if index < len(WISHES) - 1:  # the last waits to be verified
            wishes.verify(secretary, wish.id, True)

    point = community.geom.representative_point()
    now = clock.now()
    volunteering.create(
        secretary,
        {
            "community": community.code,
            "title": "文明城市创建：街巷清扫",
            "place": f"{community.name}广场",
            "lat": point.y,
            "lng": point.x,
            "radius_m": 200,
            "starts_at": now + timedelta(days=1),
            "ends_at": now + timedelta(days=1, hours=3),
            "capacity": 20,
        },
    )

    meeting = meetings.plan(
        leader,
        {
            "unit": street.code,
            "kind": "quarterly",
            "title": "第四季度联席会议",
            "place": f"{street.name}会议室",
            "due_at": now - timedelta(days=1),
            "due": [department.id, secretary.id],
        },
    )
    meetings.hold(leader, meeting.id, now - timedelta(days=1), [department.id, secretary.id])
    problem = meetings.raise_problem(leader, meeting.id, "夜市占道经营，影响通行", secretary.id)
    meetings.decide(
        leader,
        meeting.id,
        problem.id,
        {
            "responsible_id": department.id,
            "community": community.code,
            "measure": "划定临时摊区，错时经营",
            "deadline": now + timedelta(days=14),
            "capacity": 1,
        },
    )
    logins.insert(
        len(logins) - 1,
        {
            "role": PARTY_MEMBER,
            "name": volunteer.name,
            "phone": volunteer.phone,
            "password": password,
            "unit": f"{community.name} {community.code}",
        },
    )
