"""The demo's households: a dozen in the first grid of the demo logins, ten of them a 十联户
group with its 联户长 (a login), a few tagged people, and one visit made."""

import random
import secrets
import uuid

from sqlalchemy import select

from app.extensions import db
from app.households import groups, services
from app.people.models import GRID_MEMBER, LIAISON, SECRETARY, User
from app.people.services import hash_password
from app.units.models import Unit
from app.visits import services as visits

SURNAMES = "王李张刘陈杨黄赵吴周"
TAGGED = ("elderly_alone", "low_income", "disabled", "key_person:mental_disorder")


def seed_households(logins, count=12):
    """Add the households demo and the 联户长's login (before the last, "everyone else")."""
    login = {entry["role"]: entry for entry in logins}

    def person(role):
        return db.session.execute(select(User).where(User.phone == login[role]["phone"])).scalar()

    member, secretary = person(GRID_MEMBER), person(SECRETARY)
    grid = db.session.execute(
        select(Unit).where(Unit.code == login[GRID_MEMBER]["unit"].split()[-1])
    ).scalar()
    rng = random.Random(12)
    made = []
    for number in range(1, count + 1):
        head = {
            "name": rng.choice(SURNAMES) + rng.choice("建国秀英明华桂兰志强"),
            "relationship": "head",
            "phone": f"1379000{number:04d}",  # not a staff login's number
            "tags": [TAGGED[number % len(TAGGED)]] if number % 3 == 0 else [],
        }
        made.append(
            services.create(
                secretary,
                {
                    "grid": grid.code,
                    "address": "清水塘路18号",
                    "building": f"{(number - 1) // 6 + 1}栋",
                    "unit": "1单元",
                    "room": f"{(number - 1) % 6 + 1}01",
                    "tags": ["rental"] if number == count else [],
                    "members": [
                        head,
                        {"name": head["name"][0] + "小" + "明", "relationship": "child"},
                    ],
                },
            )
        )
    password = secrets.token_urlsafe(9)
    liaison = User(
        phone="13600000021",
        name="联户长",
        password_hash=hash_password(password),
        role=LIAISON,
        active=True,
    )
    liaison.units = [grid]
    db.session.add(liaison)
    db.session.flush()
    groups.save(
        secretary,
        {
            "grid": grid.code,
            "name": "清水塘路18号一组",
            "liaison_id": liaison.id,
            "households": [h.id for h in made[:10]],
        },
    )
    visited = made[5]  # its head is 残疾人: a form of no fields, no sign-off
    visits.record_visit(
        member,
        {
            "id": str(uuid.uuid4()),
            "household": visited.id,
            "met": [visited.members[0].id],
            "note": "入户走访，生活尚可，轮椅需要维修",
            "forms": {},
        },
    )
    logins.insert(
        len(logins) - 1,
        {
            "role": LIAISON,
            "name": liaison.name,
            "phone": liaison.phone,
            "password": password,
            "unit": f"{grid.name} {grid.code}",
        },
    )
