"""The demo's party work: its printed party member login sees the wall of the community it
reported to, the activity, and its own record; the meeting's decision is a task."""

from app.party.demo import WISHES, seed_party
from app.people.demo import seed_people
from app.people.models import PARTY_MEMBER
from tests.wishes.conftest import ok


def test_the_demo_party_member_logs_in_and_sees_the_wall(app, db, district):
    logins = seed_people(members=40)
    seed_party(logins)
    db.session.commit()
    login = next(entry for entry in logins if entry["role"] == PARTY_MEMBER)
    assert logins[-1]["role"] == "everyone else"
    client = app.test_client()
    ok(
        client.post(
            "/api/auth/login", json={"phone": login["phone"], "password": login["password"]}
        )
    )
    community = login["unit"].split()[-1]
    wall = ok(client.get(f"/api/wishes/wall?community={community}"))
    assert len(wall) == len(WISHES) - 1  # the last waits to be verified
    assert [a["title"] for a in ok(client.get("/api/activities"))] == ["文明城市创建：街巷清扫"]
    record = ok(client.get("/api/party/me"))
    assert record["org"]["kind"] == "branch" and record["reports"][0]["post"] == "楼栋志愿者"
    leader = next(entry for entry in logins if entry["role"] == "district_admin")
    chair = app.test_client()
    ok(
        chair.post(
            "/api/auth/login", json={"phone": leader["phone"], "password": leader["password"]}
        )
    )
    meeting = ok(chair.get("/api/meetings"))[0]
    assert (
        meeting["state"] == "held"
        and meeting["problems"][0]["decisions"][0]["task_state"] == "open"
    )
