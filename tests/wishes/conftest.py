"""Fixtures for the wish tests: the tiny map of the task tests, the people around one grid's
wishes (its member, the secretary, the street, the district, party members reported to the
community and one reported elsewhere), and wishes made through the service."""

from types import SimpleNamespace

import pytest

from app.people.models import (
    DISTRICT_ADMIN,
    GRID_MEMBER,
    PARTY_MEMBER,
    SECRETARY,
    STREET_ADMIN,
    TEAM_MEMBER,
)
from app.wishes import services
from tests.tasks.conftest import person, place  # noqa: F401  (the tiny map)

BENEFICIARY = {"beneficiary_name": "杨秀英", "beneficiary_phone": "13800001111"}
ADDRESS = "锦江路12号3栋2单元401"


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def error(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code, response.get_json()
    return response.get_json()["error"]


def wish_body(grid, **fields):
    return {
        "grid": grid.code,
        "category": "daily_needs",
        "need": "一台电饭煲",
        "place": "锦江路3栋附近",
        "address": ADDRESS,
        **BENEFICIARY,
        **fields,
    }


@pytest.fixture
def crowd(place):  # noqa: F811
    return SimpleNamespace(
        place=place,
        member=person(GRID_MEMBER, [place.grid], name="王网格"),
        sibling_member=person(TEAM_MEMBER, [place.sibling], name="邻格队员"),
        secretary=person(SECRETARY, [place.community], name="张书记"),
        street_admin=person(STREET_ADMIN, [place.street], name="赵街道"),
        district_admin=person(DISTRICT_ADMIN, [place.district], name="刘区长"),
        party=person(PARTY_MEMBER, [place.community], name="党员甲"),
        party_b=person(PARTY_MEMBER, [place.community], name="党员乙"),
        far_party=person(PARTY_MEMBER, [place.far_community], name="别处党员"),
        far_member=person(GRID_MEMBER, [place.far_grid], name="别处网格员"),
    )


def published(crowd, **fields):
    """A wish recorded by the grid's member and verified by the secretary: on the wall."""
    wish, _ = services.create(crowd.member, wish_body(crowd.place.grid, **fields))
    return services.verify(crowd.secretary, wish.id, True)
