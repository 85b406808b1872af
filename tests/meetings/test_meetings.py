"""联席会议 as the 包保 leader runs one: planned, held with who came, problems raised, a
decision becoming a task with the 五定 whose verification closes the problem (销号), and the
district's figures: held against planned, problems solved."""

from datetime import timedelta

from app import clock
from app.people.models import DEPARTMENT, DISTRICT_ADMIN, SECRETARY
from tests.tasks.conftest import inside, person, photo_ref
from tests.wishes.conftest import error, ok


def iso(at):
    return at.isoformat()


def test_a_decision_becomes_a_task_and_its_verification_closes_the_problem(crowd, as_user):
    place = crowd.place
    leader = person(
        DISTRICT_ADMIN, [place.district], responsible_for=[place.street], name="包保区领导"
    )
    department = person(DEPARTMENT, [place.district], name="城管局联络员")
    chair = as_user(leader)
    due = [department.id, crowd.street_admin.id, crowd.secretary.id]
    meeting = ok(
        chair.post(
            "/api/meetings",
            json={
                "unit": place.street.code,
                "title": "第四季度联席会议",
                "place": "街道三楼会议室",
                "due_at": iso(clock.now() + timedelta(days=1)),
                "due": due,
            },
        ),
        201,
    )
    assert meeting["state"] == "planned" and len(meeting["attendees"]) == 3
    # Problems wait for the meeting to be held.
    problems = f"/api/meetings/{meeting['id']}/problems"
    error(chair.post(problems, json={"description": "x"}), 409, "wrong_state")
    held = ok(
        chair.post(
            f"/api/meetings/{meeting['id']}/hold",
            json={"held_at": iso(clock.now()), "attended": [department.id, crowd.secretary.id]},
        )
    )
    came = {a["user"]["id"]: a["attended"] for a in held["attendees"]}
    assert came == {department.id: True, crowd.street_admin.id: False, crowd.secretary.id: True}

    shown = ok(
        chair.post(
            problems,
            json={"description": "锦江路夜市占道经营", "raised_by_id": crowd.secretary.id},
        ),
        201,
    )
    problem = shown["problems"][0]
    assert problem["raised_by"]["name"] == "张书记" and problem["state"] == "open"
    # Only the convener decides; the secretary who attended may read it.
    decision = {
        "responsible_id": department.id,
        "community": place.community.code,
        "measure": "划定临时摊区，错时经营",
        "deadline": iso(clock.now() + timedelta(days=10)),
    }
    decisions = f"{problems}/{problem['id']}/decisions"
    error(as_user(crowd.secretary).post(decisions, json=decision), 403, "not_allowed")
    shown = ok(chair.post(decisions, json=decision), 201)
    made = shown["problems"][0]["decisions"][0]
    assert made["task_state"] == "open" and made["measure"] == "划定临时摊区，错时经营"
    assert made["responsible"]["id"] == decision["responsible_id"]

    # The task carries the 五定, in the community it concerns, its responsible the department.
    secretary = as_user(crowd.secretary)
    task = ok(secretary.get(f"/api/tasks/{made['task_id']}"))
    assert task["target"] == "锦江路夜市占道经营" and task["measures"] == decision["measure"]
    assert (
        task["responsible"]["id"] == department.id
        and task["community"]["code"] == place.community.code
    )
    member = as_user(crowd.member)
    ok(member.post(f"/api/tasks/{task['id']}/claim", json={}))
    ok(
        member.post(
            f"/api/tasks/{task['id']}/complete",
            json={"photos": [photo_ref()], **inside(place.grid)},
        )
    )
    # A returned task leaves the problem open; a verified one closes it.
    ok(
        secretary.post(
            f"/api/tasks/{task['id']}/verify", json={"passed": False, "reason": "摊区未划"}
        )
    )
    assert ok(chair.get(f"/api/meetings/{meeting['id']}"))["problems"][0]["state"] == "open"
    ok(
        member.post(
            f"/api/tasks/{task['id']}/complete",
            json={"photos": [photo_ref()], **inside(place.grid)},
        )
    )
    ok(secretary.post(f"/api/tasks/{task['id']}/verify", json={"passed": True}))
    closed = ok(secretary.get(f"/api/meetings/{meeting['id']}"))["problems"][0]
    assert closed["state"] == "closed" and closed["closed_at"]
    assert closed["decisions"][0]["task_state"] == "verified"

    period = {
        "since": iso(clock.now() - timedelta(days=1)),
        "until": iso(clock.now() + timedelta(days=2)),
    }
    assert ok(as_user(crowd.district_admin).get("/api/meetings/counts", query_string=period)) == {
        "planned": 1,
        "held": 1,
        "problems": 1,
        "closed": 1,
    }
    # Another street's people see none of it.
    far = person(SECRETARY, [place.far_community])
    assert ok(as_user(far).get("/api/meetings")) == []
    error(as_user(far).get(f"/api/meetings/{meeting['id']}"), 404, "not_found")


def test_only_the_leader_who_answers_for_it_convenes_and_a_problem_solved_at_the_table_closes(
    crowd, as_user
):
    body = {
        "unit": crowd.place.community.code,
        "title": "临时联席会议",
        "place": "社区会议室",
        "kind": "ad_hoc",
        "due_at": iso(clock.now()),
    }
    error(as_user(crowd.street_admin).post("/api/meetings", json=body), 403, "not_allowed")
    chair = as_user(crowd.district_admin)
    meeting = ok(chair.post("/api/meetings", json=body), 201)
    ok(chair.post(f"/api/meetings/{meeting['id']}/hold", json={"held_at": iso(clock.now())}))
    problem = ok(
        chair.post(f"/api/meetings/{meeting['id']}/problems", json={"description": "路灯不亮"}), 201
    )["problems"][0]
    closed = ok(
        chair.post(
            f"/api/meetings/{meeting['id']}/problems/{problem['id']}/close",
            json={"note": "供电所当场认领，已修复"},
        )
    )["problems"][0]
    assert closed["state"] == "closed" and closed["close_note"] == "供电所当场认领，已修复"
    listed = ok(as_user(crowd.secretary).get("/api/meetings"))
    assert [m["id"] for m in listed] == [meeting["id"]]
