"""The 派遣/指派 picker: who may take a case or task, its grid's own members first, then those
serving it from the community, least loaded first; found by name or phone; for managers only."""

import pytest

from app.people.models import GRID_MEMBER, TEAM_MEMBER
from tests.conftest import make_user
from tests.dispatch.test_dispatch_desk import accepted_incident, new_task
from tests.tasks.conftest import jsonable, task_body


def names(response):
    assert response.status_code == 200, response.get_json()
    return [c["name"] for c in response.get_json()]


def test_the_grids_own_come_first_then_the_community_team_least_loaded_first(cast, as_user):
    make_user(TEAM_MEMBER, [cast.community], name="钱综合", force="community_main")
    neighbour = next(g for g in cast.community.children if g.id != cast.grid.id)
    make_user(GRID_MEMBER, [neighbour], name="孙邻格")  # does not serve the case's grid
    make_user(GRID_MEMBER, [cast.grid], name="吴离职", active=False)
    secretary = as_user(cast.secretary)
    busy = accepted_incident(cast, as_user)
    secretary.post(f"/api/incidents/{busy['id']}/dispatch", json={"assignee_id": cast.member.id})
    case = accepted_incident(cast, as_user)

    found = secretary.get(f"/api/dispatch/candidates?incident={case['id']}")

    assert names(found) == ["李强", "王芳", "钱综合"]
    by_name = {c["name"]: c for c in found.get_json()}
    assert by_name["王芳"]["open_cases"] == 1
    assert by_name["王芳"]["own_grid"] and not by_name["钱综合"]["own_grid"]
    assert by_name["钱综合"]["units"] == [
        {"code": cast.community.code, "name": cast.community.name, "level": "community"}
    ]
    assert by_name["李强"]["force"] == "community_main"
    assert by_name["李强"]["phone"] == cast.colleague.phone  # in full: the secretary calls


def test_search_by_part_of_a_name_or_the_end_of_a_phone(cast, as_user):
    case = accepted_incident(cast, as_user)
    url = f"/api/dispatch/candidates?incident={case['id']}&q="
    secretary = as_user(cast.secretary)
    assert names(secretary.get(url + "芳")) == ["王芳"]
    assert names(secretary.get(url + cast.colleague.phone[-4:])) == ["李强"]
    assert names(secretary.get(url + "%")) == []  # a wildcard is a character like any other


def test_a_pool_task_is_offered_to_every_grid_of_the_community(cast, as_user):
    neighbour = next(g for g in cast.community.children if g.id != cast.grid.id)
    make_user(GRID_MEMBER, [neighbour], name="孙邻格")
    task = new_task(cast, as_user)
    secretary = as_user(cast.secretary)
    assert names(secretary.get(f"/api/dispatch/candidates?task={task['id']}")) == [
        "李强",
        "王芳",
    ]
    pool = secretary.post(
        "/api/tasks", json=jsonable(task_body(community=cast.community))
    ).get_json()
    assert set(names(secretary.get(f"/api/dispatch/candidates?task={pool['id']}"))) == {
        "李强",
        "王芳",
        "孙邻格",
    }


@pytest.mark.parametrize(
    "who, status",
    [
        ("secretary", 200),
        ("street_admin", 200),
        ("district_admin", 200),
        ("member", 403),
        ("colleague", 403),
        ("outside_secretary", 404),
        ("outsider", 404),
    ],
)
def test_only_the_communitys_managers_see_the_candidates(cast, as_user, who, status):
    case = accepted_incident(cast, as_user)
    response = as_user(getattr(cast, who)).get(f"/api/dispatch/candidates?incident={case['id']}")
    assert response.status_code == status, response.get_json()


@pytest.mark.parametrize(
    "query", ["", "?incident=x", "?incident={id}&task={id}", "?incident={id}&q=" + "9" * 21]
)
def test_a_bad_question_is_a_422(cast, as_user, query):
    case = accepted_incident(cast, as_user)
    response = as_user(cast.secretary).get("/api/dispatch/candidates" + query.format(id=case["id"]))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"]
