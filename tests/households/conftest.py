"""A grid's households for the register's tests: two households in the member's grid (one in
a 十联户 group with its 联户长) and one in another street's grid."""

import uuid
from types import SimpleNamespace

import pytest

from app.extensions import db as _db
from app.households import groups, services
from app.people.models import LIAISON
from tests.conftest import make_user

PHONE, ID_NUMBER = "13912345678", "520602198001011232"


def household_body(grid, address="碧江区清水塘路8号", **extra):
    return {
        "id": str(uuid.uuid4()),
        "grid": grid.code,
        "address": address,
        "building": "3栋",
        "unit": "2单元",
        "room": "501",
        "members": [
            {
                "id": str(uuid.uuid4()),
                "name": "张三丰",
                "relationship": "head",
                "phone": PHONE,
                "id_number": ID_NUMBER,
                "tags": ["elderly_alone"],
            }
        ],
        **extra,
    }


@pytest.fixture
def homes(cast):
    """Households of the member's grid, a group with its 联户长, and a stranger's."""
    secretary = cast.secretary
    ours = services.create(secretary, household_body(cast.grid))
    neighbour = services.create(secretary, household_body(cast.grid, address="清水塘路10号"))
    outside = services.create(
        cast.outside_secretary, household_body(cast.other_grid, address="别处1号")
    )
    liaison = make_user(LIAISON, [cast.grid], name="联户长甲")
    other_liaison = make_user(LIAISON, [cast.grid], name="联户长乙")
    group = groups.save(
        secretary,
        {"grid": cast.grid.code, "name": "一组", "liaison_id": liaison.id, "households": [ours.id]},
    )
    groups.save(secretary, {"grid": cast.grid.code, "name": "二组", "liaison_id": other_liaison.id})
    _db.session.expire_all()
    return SimpleNamespace(
        ours=ours,
        neighbour=neighbour,
        outside=outside,
        group=group,
        liaison=liaison,
        other_liaison=other_liaison,
        member_id=ours.members[0].id,
    )
