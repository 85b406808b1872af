"""Demo people for a loaded map: members, team members, secretaries, admins, departments.

Names are generated; phones are a reserved-looking sequence; passwords are random per run and
printed, never stored in code. Bulk accounts share one random password hashed once: hashing
13,000 passwords one by one would take minutes for a demo nobody logs into as each of them.
"""

import random
import secrets

from sqlalchemy import insert, select

from app.extensions import db
from app.people.models import (
    DEPARTMENT,
    DISTRICT_ADMIN,
    FORCES,
    GRID_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
    Department,
    User,
    responsibility,
    user_scope,
)
from app.people.services import hash_password
from app.units.models import Unit

DEPARTMENTS = (
    ("urban_management", "区城市管理局"),
    ("civil_affairs", "区民政局"),
    ("emergency_management", "区应急管理局"),
    ("housing", "区住房和城乡建设局"),
    ("water", "区水务局"),
    ("market_regulation", "区市场监督管理局"),
    ("public_security", "铜仁市公安局碧江分局"),
    ("petitions", "区信访局"),
)
# Shares of the team members by force; the community's own people are the main body.
FORCE_SHARES = {
    "district_support": 0.10,
    "street_backbone": 0.15,
    "community_main": 0.50,
    "social_reserve": 0.25,
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华红玉梅兵辉鹏飞斌宇浩凯健俊"
    "帆帅旭宁婷雪琳晶欣悦诗颖露瑶怡佳"
)


def _names(rng):
    while True:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        yield rng.choice(SURNAMES) + given


def _team_forces(total):
    counts = {force: int(total * share) for force, share in FORCE_SHARES.items()}
    counts["community_main"] += total - sum(counts.values())
    return [force for force in FORCES for _ in range(counts[force])]


def seed_people(*, members=13000, seed=42, leaders=36):
    """Create the demo's people over the units in the database; returns the demo logins.

    `members` counts the whole grid comprehensive team: one full-time grid member per grid,
    the rest team members across the four forces, each serving one grid.
    """
    rng = random.Random(seed)
    names = _names(rng)
    phones = (f"139{n:08d}" for n in range(1, 10**8))
    units = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id).order_by(Unit.code)
    ).all()
    by_level = {
        level: [u for u in units if u.level == level]
        for level in ("district", "street", "community", "grid")
    }
    grids, communities, streets = by_level["grid"], by_level["community"], by_level["street"]
    district = by_level["district"][0]

    for code, name in DEPARTMENTS:
        db.session.add(Department(code=code, name=name))
    db.session.flush()
    departments = db.session.execute(select(Department).order_by(Department.id)).scalars().all()

    bulk_password = secrets.token_urlsafe(9)
    bulk_hash = hash_password(bulk_password)
    rows, scopes, duties = [], [], []  # users; (row index, unit id); (row index, unit id)

    def person(role, unit_id=None, force=None, department_id=None):
        rows.append(
            {
                "phone": next(phones),
                "name": next(names),
                "role": role,
                "force": force,
                "department_id": department_id,
                "password_hash": bulk_hash,
                "active": True,
            }
        )
        if unit_id is not None:
            scopes.append((len(rows) - 1, unit_id))
        return len(rows) - 1

    for i in range(leaders):
        leader = person(DISTRICT_ADMIN, district.id)
        duties.append((leader, communities[i % len(communities)].id))
        if i < len(streets):
            duties.append((leader, streets[i].id))
    for street in streets:
        person(STREET_ADMIN, street.id)
        person(STREET_ADMIN, street.id)
    for community in communities:
        person(SECRETARY, community.id)
    for i, department in enumerate(departments):
        member = person(DEPARTMENT, district.id, department_id=department.id)
        duties.extend((member, c.id) for c in communities[i :: len(departments)])
    for grid in grids:
        person(GRID_MEMBER, grid.id)
    forces = _team_forces(max(0, members - len(grids)))
    rng.shuffle(forces)
    for i, force in enumerate(forces):
        person(TEAM_MEMBER, grids[i % len(grids)].id, force=force)

    ids = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True), rows
    ).all()
    if scopes:
        db.session.execute(
            insert(user_scope), [{"user_id": ids[i], "unit_id": u} for i, u in scopes]
        )
    if duties:
        db.session.execute(
            insert(responsibility), [{"user_id": ids[i], "unit_id": u} for i, u in duties]
        )

    # One account of each kind gets its own password: these are the ones printed to log in with.
    first_grid = grids[0]
    first_community = next(c for c in communities if c.id == first_grid.parent_id)
    first_street = next(s for s in streets if s.id == first_community.parent_id)
    wanted = [
        (GRID_MEMBER, first_grid),
        (TEAM_MEMBER, first_grid),
        (SECRETARY, first_community),
        (STREET_ADMIN, first_street),
        (DEPARTMENT, district),
        (DISTRICT_ADMIN, district),
    ]
    logins = []
    for role, unit in wanted:
        index = next(i for i, u in scopes if rows[i]["role"] == role and u == unit.id)
        password = secrets.token_urlsafe(9)
        user = db.session.get(User, ids[index])
        user.password_hash = hash_password(password)
        logins.append(
            {
                "role": role,
                "name": user.name,
                "phone": user.phone,
                "password": password,
                "unit": f"{unit.name} {unit.code}",
            }
        )
    logins.append(
        {
            "role": "everyone else",
            "name": "",
            "phone": "139xxxxxxxx",
            "password": bulk_password,
            "unit": f"{len(rows)} accounts",
        }
    )
    return logins
