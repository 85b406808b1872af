"""The area at a glance for a street or the district: open, overdue and escalated cases and
active switches, per community (a street) or per street (the district); for those who answer
for the area."""

import uuid

import pytest

from tests.builders import report_body
from tests.dispatch.test_dispatch_desk import accepted_incident


def row(overview, code):
    return next(u for u in overview["units"] if u["code"] == code)


def test_a_street_sees_its_communities_open_overdue_escalated_and_switches(cast, as_user, frozen):
    secretary = as_user(cast.secretary)
    accepted_incident(cast, as_user)
    accepted_incident(cast, as_user)
    raised = accepted_incident(cast, as_user)
    secretary.post(f"/api/incidents/{raised['id']}/escalate", json={"note": None})
    closed = as_user(cast.member).post(
        "/api/incidents",
        json=report_body(cast.grid),
    )
    secretary.post(f"/api/incidents/{closed.get_json()['id']}/reject", json={"reason": "重复"})
    as_user(cast.outsider).post("/api/incidents", json=report_body(cast.other_grid))
    street = as_user(cast.street_admin)
    started = street.post(
        "/api/emergency/switches",
        json={
            "id": str(uuid.uuid4()),
            "kind": "flood",
            "level": "II",
            "reason": "锦江水位超警戒",
            "scope": {"level": "community", "codes": [cast.community.code]},
        },
    )
    assert started.status_code == 201, started.get_json()
    frozen.move(days=40)  # every open case's deadline passes

    seen = street.get("/api/dispatch/overview").get_json()

    assert seen["unit"] == {
        "code": cast.street.code,
        "name": cast.street.name,
        "level": "street",
    }
    assert {u["level"] for u in seen["units"]} == {"community"}
    mine = row(seen, cast.community.code)
    assert (mine["open"], mine["overdue"], mine["escalated"], mine["switches"]) == (3, 3, 1, 1)
    assert (seen["open"], seen["switches"]) == (3, 1)  # the other street's case is not here
    others = [u for u in seen["units"] if u["code"] != cast.community.code]
    assert all(u["open"] == 0 and u["switches"] == 0 for u in others)


def test_the_district_sees_its_streets(cast, as_user):
    accepted_incident(cast, as_user)
    seen = as_user(cast.district_admin).get("/api/dispatch/overview").get_json()
    assert {u["level"] for u in seen["units"]} == {"street"}
    assert row(seen, cast.street.code)["open"] == 1
    assert seen["open"] == 1


@pytest.mark.parametrize(
    "who, unit, status",
    [
        ("street_admin", None, 200),
        ("street_admin", "community", 200),
        ("street_admin", "other_street", 403),
        ("district_admin", "other_street", 200),
        ("secretary", "community", 200),
        ("secretary", None, 422),  # a secretary's is the desk: they say which, or go there
        ("secretary", "street", 403),
        ("member", "community", 403),
        ("dept_user", "community", 403),
        ("street_admin", "grid", 422),
        ("street_admin", "nowhere", 422),
    ],
)
def test_only_those_who_answer_for_the_area_see_it(cast, as_user, who, unit, status):
    codes = {
        "community": cast.community.code,
        "street": cast.street.code,
        "other_street": cast.other_grid.parent.parent.code,
        "grid": cast.grid.code,
        "nowhere": "000",
    }
    url = "/api/dispatch/overview" + (f"?unit={codes[unit]}" if unit else "")
    response = as_user(getattr(cast, who)).get(url)
    assert response.status_code == status, response.get_json()
    if status != 200:
        assert response.get_json()["error"]["code"]
