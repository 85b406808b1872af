"""The 12345 hotline: an operator files a caller's case and sees only what they filed; the
district sees, per source, how many cases came in and how they went."""

import pytest

from app.people.models import HOTLINE_OPERATOR
from tests.builders import point_in
from tests.conftest import make_user
from tests.residents.test_residents import send


def call(client, unit, **extra):
    body = {
        "caller_phone": "13900003333",
        "caller_name": "陈先生",
        "category": "dispute",  # the hotline takes any case, not only the residents' list
        "description": "邻居装修噪音扰民",
        **point_in(unit),
        **extra,
    }
    return client.post("/api/hotline/calls", json=body)


@pytest.fixture
def operator(cast):
    return make_user(HOTLINE_OPERATOR, [cast.district_admin.units[0]], name="话务员小周")


def test_an_operator_files_a_callers_case_and_follows_only_their_own(cast, as_user, operator):
    desk = as_user(operator)
    filed = call(desk, cast.grid)
    assert filed.status_code == 201, filed.get_json()
    case = filed.get_json()
    assert (case["source"], case["state"], case["grid"]["code"]) == (
        "hotline_12345",
        "reported",
        cast.grid.code,
    )
    assert desk.get(f"/api/incidents/{case['id']}").status_code == 200
    secretary = as_user(cast.secretary)
    assert secretary.get(f"/api/incidents/{case['id']}").get_json()["resident_phone"] == (
        "13900003333"
    )
    member_case = as_user(cast.member).post(
        "/api/incidents",
        json={"category": "dispute", "description": "x", **point_in(cast.grid)},
    )
    assert desk.get(f"/api/incidents/{member_case.get_json()['id']}").status_code == 404
    assert [i["id"] for i in desk.get("/api/incidents").get_json()] == [case["id"]]


@pytest.mark.parametrize("who", ["member", "secretary", "district_admin", "dept_user"])
def test_only_operators_file_calls(cast, as_user, who):
    assert call(as_user(getattr(cast, who)), cast.grid).status_code == 403


def test_figures_per_source_count_what_came_in_and_how_it_went(client, cast, as_user, operator):
    desk, secretary = as_user(operator), as_user(cast.secretary)
    hotline_case = call(desk, cast.grid).get_json()["id"]
    call(desk, cast.grid)
    send(client, cast.grid)
    member = as_user(cast.member)
    member.post(
        "/api/incidents",
        json={"category": "clutter_piling", "description": "x", **point_in(cast.grid)},
    )
    resident_case = secretary.get("/api/incidents?source=resident").get_json()[0]["id"]
    secretary.post(f"/api/incidents/{resident_case}/reject", json={"reason": "不属实"})
    for who, action, payload in (
        (secretary, "accept", {}),
        (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
        (
            as_user(cast.colleague),
            "handle",
            {"note": "调解", "photos": [{"sha256": "a" * 64, "kind": "after"}]},
        ),
        (member, "check", {"passed": True}),
    ):
        assert who.post(f"/api/incidents/{hotline_case}/{action}", json=payload).status_code == 200
    visit = desk.post(f"/api/incidents/{hotline_case}/return-visits", json={"verdict": "satisfied"})
    assert visit.status_code in (200, 201), visit.get_json()

    figures = {
        row["source"]: row
        for row in as_user(cast.district_admin).get("/api/figures/sources").get_json()
    }
    hotline = figures["hotline_12345"]
    assert (hotline["came_in"], hotline["open"], hotline["closed"], hotline["satisfied"]) == (
        2,
        1,
        1,
        1,
    )
    assert (figures["resident"]["came_in"], figures["resident"]["rejected"]) == (1, 1)
    assert figures["member"]["came_in"] == 1 and figures["open311"]["came_in"] == 0
    elsewhere = as_user(cast.outside_secretary).get("/api/figures/sources").get_json()
    assert sum(row["came_in"] for row in elsewhere) == 0
    assert as_user(cast.member).get("/api/figures/sources").status_code == 403
