"""The demo's residents and hotline: a 12345 operator's login, a caller's case they filed,
and two residents' reports (随手拍) in the demo member's grid, one already accepted."""

import hashlib
import secrets

from sqlalchemy import select

from app.extensions import db
from app.incidents import services as incidents
from app.people.models import GRID_MEMBER, HOTLINE_OPERATOR, SECRETARY, User
from app.people.services import hash_password
from app.residents import hotline, services
from app.units.models import Unit

REPORTS = (
    ("clutter_piling", "楼道里堆满纸箱和旧家具，堵住了消防通道"),
    ("street_light", "小区门口的路灯坏了一个星期，晚上很黑"),
)


def seed_residents(logins):
    """Add the demo and the operator's login (before the last, "everyone else", entry)."""
    login = {entry["role"]: entry for entry in logins}

    def person(role):
        return db.session.execute(select(User).where(User.phone == login[role]["phone"])).scalar()

    secretary = person(SECRETARY)
    grid = db.session.execute(
        select(Unit).where(Unit.code == login[GRID_MEMBER]["unit"].split()[-1])
    ).scalar()
    point = grid.geom.representative_point()
    password = secrets.token_urlsafe(9)
    operator = User(
        phone="13700000001",
        name="12345话务员",
        password_hash=hash_password(password),
        role=HOTLINE_OPERATOR,
        active=True,
    )
    db.session.add(operator)
    db.session.flush()
    device = services.device_of(hashlib.sha256(b"demo resident").hexdigest()[:32])
    for i, (category, description) in enumerate(REPORTS):
        body = {
            "category": category,
            "description": description,
            "lat": point.y,
            "lng": point.x,
            "photos": [],
            "phone": "13900001234" if i == 0 else None,
        }
        services.report(device, "127.0.0.1", body)
    case = hotline.file(
        operator,
        {
            "category": "dispute",
            "urgent": False,
            "description": "来电反映：楼上住户深夜噪音扰民，多次沟通无果",
            "lat": point.y,
            "lng": point.x,
            "caller_phone": "13900005678",
            "caller_name": "陈先生",
        },
    )
    incidents.accept(secretary, case.incident.id, "已电话联系双方")
    logins.insert(
        len(logins) - 1,
        {
            "role": HOTLINE_OPERATOR,
            "name": operator.name,
            "phone": operator.phone,
            "password": password,
            "unit": "12345 热线",
        },
    )
