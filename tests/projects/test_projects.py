"""书记项目 as a secretary leads one: one a year per community, milestones as tasks with the
五定, one review per quarter, and the year-end comparison where the district's judges score
and the mean is a grade."""

from datetime import timedelta

import pytest

from app import clock
from app.people.models import DISTRICT_ADMIN, SECRETARY
from app.projects.services import grade
from tests.tasks.conftest import inside, person, photo_ref
from tests.wishes.conftest import error, ok


def body(unit, **fields):
    return {
        "unit": unit.code,
        "year": 2026,
        "title": "老旧小区楼道微改造",
        "problem": "12栋老楼楼道堆物、照明缺失",
        "measures": "党员包栋，居民议事，分批改造",
        "team": [{"name": "张书记", "role": "组长"}, {"name": "王网格"}],
        **fields,
    }


def test_a_project_with_milestones_reviews_and_the_judges_grade(crowd, as_user):
    secretary = as_user(crowd.secretary)
    project = ok(secretary.post("/api/projects", json=body(crowd.place.community)), 201)
    assert project["leader"]["id"] == crowd.secretary.id and len(project["team"]) == 2
    error(secretary.post("/api/projects", json=body(crowd.place.community)), 409, "project_exists")
    error(
        as_user(person(SECRETARY, [crowd.place.far_community])).post(
            "/api/projects", json=body(crowd.place.community, year=2027)
        ),
        403,
        "not_allowed",
    )

    url = f"/api/projects/{project['id']}"
    milestone = {
        "title": "1-4栋楼道清理",
        "target": "4栋楼道无堆物",
        "deadline": (clock.now() + timedelta(days=30)).isoformat(),
    }
    shown = ok(secretary.post(f"{url}/milestones", json=milestone), 201)
    task = shown["milestones"][0]
    assert (
        task["state"] == "open"
        and ok(secretary.get(f"/api/tasks/{task['id']}"))["target"] == "4栋楼道无堆物"
    )
    ok(secretary.post(f"{url}/reviews", json={"quarter": 1, "progress": "完成摸底"}), 201)
    error(
        secretary.post(f"{url}/reviews", json={"quarter": 1, "progress": "again"}), 409, "reviewed"
    )

    member = as_user(crowd.member)
    ok(member.post(f"/api/tasks/{task['id']}/claim", json={}))
    ok(
        member.post(
            f"/api/tasks/{task['id']}/complete",
            json={"photos": [photo_ref()], **inside(crowd.place.grid)},
        )
    )
    ok(secretary.post(f"/api/tasks/{task['id']}/verify", json={"passed": True}))

    error(secretary.post(f"{url}/score", json={"score": 99}), 403, "not_allowed")  # not a judge
    judges = [person(DISTRICT_ADMIN, [crowd.place.district]) for _ in range(2)]
    ok(as_user(judges[0]).post(f"{url}/score", json={"score": 95}))
    ok(as_user(judges[1]).post(f"{url}/score", json={"score": 70}))
    scored = ok(as_user(judges[1]).post(f"{url}/score", json={"score": 80}))  # replaces theirs
    assert (scored["mean"], scored["judges"], scored["grade"]) == (87.5, 2, "B")
    assert scored["my_score"] == 80 and ok(secretary.get(url))["my_score"] is None
    other = ok(
        as_user(crowd.street_admin).post(
            "/api/projects", json=body(crowd.place.street, title="街道项目")
        ),
        201,
    )
    ranked = ok(as_user(judges[0]).get("/api/projects/comparison?year=2026"))
    assert [(r["project"]["id"], r["mean"], r["judges"], r["grade"]) for r in ranked] == [
        (project["id"], 87.5, 2, "B"),
        (other["id"], None, 0, None),
    ]
    assert (ranked[0]["milestones"], ranked[0]["milestones_done"]) == (1, 1)
    # The community's secretary sees their own, not the street's.
    assert [p["id"] for p in ok(secretary.get("/api/projects?year=2026"))] == [project["id"]]


@pytest.mark.parametrize(
    "mean, letter", [(100, "A"), (90, "A"), (89.9, "B"), (70, "C"), (60, "D"), (0, "E")]
)
def test_the_mean_score_grades(mean, letter):
    assert grade(mean) == letter
